package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
)

// scopeRig is the console rig with tickets in two centres and one
// unrouted, a Baikonur dispatcher and a coordinator.
type scopeRig struct {
	*conRig
	baikonur, saryarka int64
	mine, theirs, none *dispatch.Ticket
}

func newScopeRig(t *testing.T) *scopeRig {
	t.Helper()
	g := &scopeRig{conRig: newConRig(t)}
	areas, err := g.store.CentreAreas(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range areas {
		switch a.Centre {
		case "astana-baikonur":
			g.baikonur = a.CentreID
		case "astana-saryarka":
			g.saryarka = a.CentreID
		}
	}
	rt := dispatch.NewRouter(g.store, nil)
	// conRig's tickets stand in Baikonur district: one is routed there by
	// its place, one moved to Saryarka, one left unrouted.
	g.mine, g.theirs, g.none = g.ticket("своя"), g.ticket("чужая"), g.ticket("ничья")
	if a, ok, err := rt.Route(g.ctx, g.mine.ID); err != nil || !ok || a.CentreID != g.baikonur {
		t.Fatalf("route: %+v %v %v", a, ok, err)
	}
	if err := rt.Move(g.ctx, g.theirs.ID, g.saryarka, dispatch.ActorSystem); err != nil {
		t.Fatal(err)
	}
	g.user("baikonur", dispatch.RoleDispatcher, g.baikonur)
	g.user("coord", dispatch.RoleCoordinator, g.baikonur) // a coordinator's centre limits nothing
	return g
}

func (g *scopeRig) user(name string, r dispatch.Role, centre int64) {
	g.t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(conPassword), bcrypt.MinCost)
	if err != nil {
		g.t.Fatal(err)
	}
	u := &dispatch.User{Name: name, Role: r, PasswordHash: string(h)}
	if err := g.store.CreateUser(g.ctx, u); err != nil {
		g.t.Fatal(err)
	}
	if err := g.store.SetUserCentre(g.ctx, u.ID, centre); err != nil {
		g.t.Fatal(err)
	}
}

func (g *scopeRig) loginAs(name string) *browser {
	g.t.Helper()
	b := g.anonymous()
	if res := b.postLogin(name, conPassword); res.StatusCode != http.StatusSeeOther {
		g.t.Fatalf("login as %s: %d", name, res.StatusCode)
	}
	status, body := b.get("/console")
	m := csrfMeta.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		g.t.Fatalf("queue after login: %d, no csrf token", status)
	}
	b.csrf = m[1]
	return b
}

func ticketPath(t *dispatch.Ticket) string { return "/console/tickets/" + strconv.FormatInt(t.ID, 10) }

func TestCentreScopeConsole(t *testing.T) {
	g := newScopeRig(t)
	disp, coord := g.loginAs("baikonur"), g.loginAs("coord")

	_, q := disp.get("/console")
	if !strings.Contains(q, g.mine.Code) || !strings.Contains(q, g.none.Code) || strings.Contains(q, g.theirs.Code) {
		t.Fatalf("Baikonur's queue: want %s and %s, not %s:\n%s", g.mine.Code, g.none.Code, g.theirs.Code, q)
	}
	_, q = coord.get("/console")
	for _, tk := range []*dispatch.Ticket{g.mine, g.theirs, g.none} {
		if !strings.Contains(q, tk.Code) {
			t.Fatalf("coordinator's queue lacks %s", tk.Code)
		}
	}

	for _, p := range []string{ticketPath(g.theirs), ticketPath(g.theirs) + "/row"} {
		if s, _ := disp.get(p); s != http.StatusNotFound {
			t.Fatalf("Baikonur GET %s: %d, want 404", p, s)
		}
		if s, _ := coord.get(p); s != http.StatusOK {
			t.Fatalf("coordinator GET %s: %d", p, s)
		}
	}
	for _, tk := range []*dispatch.Ticket{g.mine, g.none} {
		if s, _ := disp.get(ticketPath(tk)); s != http.StatusOK {
			t.Fatalf("Baikonur GET own ticket %s: %d", tk.Code, s)
		}
	}

	notes := func(tk *dispatch.Ticket) int {
		evs, err := g.store.Events(g.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Kind == "note" {
				n++
			}
		}
		return n
	}
	note := url.Values{"note": {"позвонить"}}
	if s, _ := disp.form(ticketPath(g.theirs)+"/note", note); s != http.StatusNotFound || notes(g.theirs) != 0 {
		t.Fatalf("Baikonur note on Saryarka's ticket: %d, %d notes", s, notes(g.theirs))
	}
	if s, _ := disp.form(ticketPath(g.mine)+"/note", note); s != http.StatusSeeOther || notes(g.mine) != 1 {
		t.Fatalf("Baikonur note on own ticket: %d, %d notes", s, notes(g.mine))
	}
	if s, _ := coord.form(ticketPath(g.theirs)+"/note", note); s != http.StatusSeeOther || notes(g.theirs) != 1 {
		t.Fatalf("coordinator note on Saryarka's ticket: %d, %d notes", s, notes(g.theirs))
	}
}

// The event stream of a Baikonur dispatcher carries none of Saryarka's
// tickets' events; the coordinator's carries both. The replay from the
// database is read, so the test waits on no clock: Saryarka's event comes
// before Baikonur's, so reaching Baikonur's proves Saryarka's was dropped.
func TestCentreScopeEvents(t *testing.T) {
	g := newScopeRig(t)
	after, err := g.store.LatestEventID(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range []*dispatch.Ticket{g.theirs, g.mine} {
		if err := g.engine.AddNote(g.ctx, tk.ID, "user:test", "заметка"); err != nil {
			t.Fatal(err)
		}
	}
	stream := func(b *browser) []int64 {
		t.Helper()
		ctx, cancel := context.WithCancel(g.ctx)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.srv.URL+"/console/events?after="+strconv.FormatInt(after, 10), nil)
		res := b.do(req)
		defer res.Body.Close()
		var tickets []int64
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var e dispatch.Event
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				t.Fatal(err)
			}
			tickets = append(tickets, e.TicketID)
			if e.TicketID == g.mine.ID {
				return tickets
			}
		}
		t.Fatalf("stream ended before Baikonur's event: %v", sc.Err())
		return nil
	}
	if got := stream(g.loginAs("baikonur")); len(got) != 1 {
		t.Fatalf("Baikonur's stream carried tickets %v, want only %d", got, g.mine.ID)
	}
	if got := stream(g.loginAs("coord")); len(got) != 2 || got[0] != g.theirs.ID {
		t.Fatalf("coordinator's stream carried tickets %v, want %d then %d", got, g.theirs.ID, g.mine.ID)
	}
}

func TestCentreScopeAPI(t *testing.T) {
	g := newScopeRig(t)
	hs := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)})
	api.New(api.Options{Store: g.store, Actions: g.engine, Assignments: g.engine}).Register(hs.Echo().Group("/api/v1"))
	srv := httptest.NewServer(hs.Echo())
	t.Cleanup(srv.Close)
	token := func(r dispatch.Role, centre int64) string {
		secret, hash := dispatch.NewAPIToken()
		tok := &dispatch.Token{Name: string(r) + strconv.FormatInt(centre, 10), Role: r, Hash: hash}
		if err := g.store.CreateToken(g.ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := g.store.SetTokenCentre(g.ctx, tok.ID, centre); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	call := func(secret, method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/api/v1"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b []byte
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				break
			}
		}
		return res.StatusCode, b
	}
	list := func(secret string) (ids []int64, total int) {
		t.Helper()
		s, b := call(secret, http.MethodGet, "/tickets?limit=1", "")
		var out struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
			Total int `json:"total"`
		}
		if s != http.StatusOK || json.Unmarshal(b, &out) != nil {
			t.Fatalf("list: %d %s", s, b)
		}
		for _, it := range out.Items {
			ids = append(ids, it.ID)
		}
		return ids, out.Total
	}
	disp, coord := token(dispatch.RoleDispatcher, g.baikonur), token(dispatch.RoleCoordinator, g.baikonur)

	// One a page: the total counts only what the token sees.
	if ids, total := list(disp); total != 2 || len(ids) != 1 || ids[0] == g.theirs.ID {
		t.Fatalf("Baikonur token's list: %v of %d, want 1 of 2 without %d", ids, total, g.theirs.ID)
	}
	if _, total := list(coord); total != 3 {
		t.Fatalf("coordinator token's list total %d, want 3", total)
	}

	theirs := "/tickets/" + strconv.FormatInt(g.theirs.ID, 10)
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, theirs, ""},
		{http.MethodGet, theirs + "/suggestions", ""},
		{http.MethodPost, theirs + "/notes", `{"text":"позвонить"}`},
		{http.MethodPost, theirs + "/escalate", `{"reason":"срочно"}`},
	} {
		if s, b := call(disp, c.method, c.path, c.body); s != http.StatusNotFound {
			t.Fatalf("Baikonur token %s %s: %d %s, want 404", c.method, c.path, s, b)
		}
	}
	if s, _ := call(disp, http.MethodGet, "/tickets/"+strconv.FormatInt(g.mine.ID, 10), ""); s != http.StatusOK {
		t.Fatalf("Baikonur token GET own ticket: %d", s)
	}
	if s, _ := call(coord, http.MethodGet, theirs, ""); s != http.StatusOK {
		t.Fatalf("coordinator token GET Saryarka's ticket: %d", s)
	}
	if s, b := call(coord, http.MethodPost, theirs+"/notes", `{"text":"позвонить"}`); s != http.StatusNoContent {
		t.Fatalf("coordinator token note: %d %s", s, b)
	}
}
