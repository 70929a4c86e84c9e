package integration

import (
	"encoding/csv"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/console"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
)

// pagesScope is the scope rig with a dispatcher of each centre and, for
// every list page, tickets in Baikonur, in Saryarka and in no centre: one
// client's tickets, barrier reports and consultations.
type pagesScope struct {
	*scopeRig
	srv *httptest.Server // a console with the barrier pages
	// by centre: "b" Baikonur, "s" Saryarka, "n" none
	client   *dispatch.Client
	clientTs map[string]*dispatch.Ticket
	barrier  map[string]*dispatch.Ticket
	consult  map[string]*dispatch.Ticket
}

func newPagesScope(t *testing.T) *pagesScope {
	t.Helper()
	g := &pagesScope{scopeRig: newScopeRig(t), clientTs: map[string]*dispatch.Ticket{},
		barrier: map[string]*dispatch.Ticket{}, consult: map[string]*dispatch.Ticket{}}
	g.user("saryarka", dispatch.RoleDispatcher, g.saryarka)
	con := console.New(console.Options{Store: g.store, Actions: g.engine, Assignments: g.engine, Bus: g.bus,
		Heartbeat: time.Hour, Records: console.RecordsOptions{Barriers: dispatch.NewBarriers(g.store, time.Now)}})
	hs := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)})
	con.Register(hs.Echo())
	g.srv = httptest.NewServer(hs.Echo())
	t.Cleanup(g.srv.Close)
	t.Cleanup(con.Close)

	g.client = &dispatch.Client{Phone: g.phone(), Name: "Болат", Lang: dispatch.LangRU}
	if err := g.store.CreateClient(g.ctx, g.client); err != nil {
		t.Fatal(err)
	}
	rt := dispatch.NewRouter(g.store, nil)
	put := func(centre string, tk *dispatch.Ticket) {
		switch centre {
		case "b":
			if err := rt.Move(g.ctx, tk.ID, g.baikonur, dispatch.ActorSystem); err != nil {
				t.Fatal(err)
			}
		case "s":
			if err := rt.Move(g.ctx, tk.ID, g.saryarka, dispatch.ActorSystem); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk := func(desc string, cat dispatch.Category, st dispatch.Status, client int64) *dispatch.Ticket {
		loc := dispatch.Location{Lat: 51.1694, Lon: 71.4491}
		tk := &dispatch.Ticket{Channel: dispatch.ChannelSMS, Category: cat, Description: desc, Lang: dispatch.LangRU,
			Location: &loc, Address: "ул. Кенесары 40", Urgency: dispatch.UrgencyNormal, Status: st, ClientID: client}
		if err := g.store.CreateTicket(g.ctx, tk); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	for _, c := range []string{"b", "s", "n"} {
		g.clientTs[c] = mk("клиент "+c, dispatch.CategoryEscort, dispatch.StatusCompleted, g.client.ID)
		g.barrier[c] = mk("пандус "+c, dispatch.CategoryAccessibility, dispatch.StatusQueued, g.mine.ClientID)
		g.consult[c] = mk("юрист "+c, dispatch.CategoryLegal, dispatch.StatusEscalated, g.mine.ClientID)
		for _, tk := range []*dispatch.Ticket{g.clientTs[c], g.barrier[c], g.consult[c]} {
			put(c, tk)
		}
	}
	return g
}

// getOn fetches a page of the console with the barrier pages, with b's
// session: cookies are the host's, whatever the port.
func (g *pagesScope) getOn(b *browser, path string) (int, string) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.srv.URL+path, nil)
	res := b.do(req)
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, sb.String()
}

// wantCodes checks that a page shows the tickets of want and none of the
// others of the set.
func wantCodes(t *testing.T, who, page, body string, set map[string]*dispatch.Ticket, want string) {
	t.Helper()
	for c, tk := range set {
		if got := strings.Contains(body, tk.Code); got != strings.Contains(want, c) {
			t.Errorf("%s's %s: shows %s (centre %q): %v, want %v", who, page, tk.Code, c, got, !got)
		}
	}
}

func TestCentreScopePages(t *testing.T) {
	g := newPagesScope(t)
	users := []struct {
		name string
		want string // the centres whose tickets the user's lists show
	}{
		{"baikonur", "bn"},
		{"saryarka", "sn"},
		{"coord", "bsn"},
	}
	queue := map[string]*dispatch.Ticket{"b": g.mine, "s": g.theirs, "n": g.none}
	clientPath := "/console/clients/" + strconv.FormatInt(g.client.ID, 10)
	for _, u := range users {
		b := g.loginAs(u.name)
		for _, p := range []struct {
			path string
			set  map[string]*dispatch.Ticket
		}{
			{clientPath, g.clientTs},
			{"/console/map", queue},
			{"/console/consultations", g.consult},
			{"/console", queue},
		} {
			s, body := b.get(p.path)
			if s != http.StatusOK {
				t.Fatalf("%s GET %s: %d", u.name, p.path, s)
			}
			wantCodes(t, u.name, p.path, body, p.set, u.want)
		}
		s, body := g.getOn(b, "/console/barriers")
		if s != http.StatusOK {
			t.Fatalf("%s GET /console/barriers: %d", u.name, s)
		}
		wantCodes(t, u.name, "barrier list", body, g.barrier, u.want)
		for c, tk := range g.barrier {
			s, _ := g.getOn(b, "/console/barriers/"+strconv.FormatInt(tk.ID, 10))
			if want := strings.Contains(u.want, c); (s == http.StatusOK) != want {
				t.Errorf("%s GET barrier of centre %q: %d", u.name, c, s)
			}
		}
	}

	// The coordinator narrows the queue to one centre.
	_, body := g.loginAs("coord").get("/console?centre=" + strconv.FormatInt(g.saryarka, 10))
	wantCodes(t, "coordinator (Saryarka chosen)", "queue", body, queue, "s")
	// A dispatcher's choice of another centre changes nothing.
	_, body = g.loginAs("baikonur").get("/console?centre=" + strconv.FormatInt(g.saryarka, 10))
	wantCodes(t, "baikonur (Saryarka chosen)", "queue", body, queue, "bn")
}

// Every user's report counts the tickets of their lists: the rig's twelve
// tickets are four in each centre and four unrouted, all created today.
// The CSV's split rows add up to its total.
func TestCentreScopeReports(t *testing.T) {
	g := newPagesScope(t)
	for _, u := range []struct {
		name    string
		total   int
		centres []string // the by_centre rows' centre column
	}{
		{"baikonur", 8, []string{"", "astana-baikonur"}},
		{"saryarka", 8, []string{"", "astana-saryarka"}},
		{"coord", 12, []string{"", "astana-baikonur", "astana-saryarka"}},
	} {
		b := g.loginAs(u.name)
		s, page := b.get("/console/reports")
		if s != http.StatusOK || !strings.Contains(page, `id="by-centre"`) || !strings.Contains(page, `id="by-district"`) {
			t.Fatalf("%s's report page: %d, or no split tables", u.name, s)
		}
		s, body := b.get("/console/reports.csv")
		if s != http.StatusOK {
			t.Fatalf("%s's CSV: %d", u.name, s)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		total, sums := -1, map[string]int{}
		var centres []string
		for _, r := range recs[1:] {
			if r[0] == "summary" && r[1] == "tickets" {
				total, _ = strconv.Atoi(r[2])
			}
			if (r[0] == "by_centre" || r[0] == "by_district") && r[1] == "tickets" {
				n, _ := strconv.Atoi(r[2])
				sums[r[0]] += n
				if r[0] == "by_centre" {
					centres = append(centres, r[3])
				}
			}
		}
		if total != u.total || sums["by_centre"] != total || sums["by_district"] != total {
			t.Errorf("%s's CSV: total %d, by centre %d, by district %d; want %d in each", u.name, total,
				sums["by_centre"], sums["by_district"], u.total)
		}
		if strings.Join(centres, ",") != strings.Join(u.centres, ",") {
			t.Errorf("%s's CSV centres %q, want %q", u.name, centres, u.centres)
		}
	}
}

var summaryNumber = regexp.MustCompile(`<strong>(\d+)</strong>`)

// The queue's counts, as the live page fetches them after events, follow
// new tickets of the user's centre and not those of another.
func TestCentreScopeQueueSummary(t *testing.T) {
	g := newScopeRig(t)
	disp, coord := g.loginAs("baikonur"), g.loginAs("coord")
	open := func(b *browser) int {
		t.Helper()
		s, body := b.get("/console/queue/summary")
		if s != http.StatusOK || !strings.Contains(body, `id="queue-summary"`) {
			t.Fatalf("summary: %d\n%s", s, body)
		}
		n := 0
		for _, m := range summaryNumber.FindAllStringSubmatch(body, -1) {
			k, _ := strconv.Atoi(m[1])
			n += k
		}
		return n
	}
	d0, c0 := open(disp), open(coord)
	if d0 != 2 || c0 != 3 {
		t.Fatalf("open tickets before: Baikonur %d, coordinator %d; want 2 and 3", d0, c0)
	}
	rt := dispatch.NewRouter(g.store, nil)
	if err := rt.Move(g.ctx, g.ticket("ещё чужая").ID, g.saryarka, dispatch.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := rt.Route(g.ctx, g.ticket("ещё своя").ID); err != nil || !ok {
		t.Fatalf("route: %v %v", ok, err)
	}
	if d, c := open(disp), open(coord); d != d0+1 || c != c0+2 {
		t.Fatalf("open tickets after one in each centre: Baikonur %d, coordinator %d; want %d and %d", d, c, d0+1, c0+2)
	}
}

// The backfill routes the tickets that have a place and no centre, keeps
// the district on each, leaves a place outside every area unrouted, and
// reads nothing twice when run again.
func TestRouteUnroutedBackfill(t *testing.T) {
	g := newConRig(t)
	inside, also := g.ticket("в Байконуре"), g.ticket("тоже")
	far := g.ticket("в степи")
	far.Location = &dispatch.Location{Lat: 48.0, Lon: 66.9}
	if err := g.store.UpdateTicket(g.ctx, far); err != nil {
		t.Fatal(err)
	}
	rt := dispatch.NewRouter(g.store, nil)
	routed, left, err := rt.RouteUnrouted(g.ctx)
	if err != nil || routed != 2 || left != 1 {
		t.Fatalf("backfill: %d routed, %d left, %v; want 2 and 1", routed, left, err)
	}
	for _, tk := range []*dispatch.Ticket{inside, also, far} {
		c, d, err := g.store.TicketCentre(g.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := tk != far; (c != 0 && d == "Байконур") != want {
			t.Errorf("ticket %s: centre %d, district %q", tk.Description, c, d)
		}
	}
	if routed, left, err = rt.RouteUnrouted(g.ctx); err != nil || routed != 0 || left != 1 {
		t.Fatalf("second backfill: %d routed, %d left, %v; want 0 and 1", routed, left, err)
	}
}
