package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// fill puts real ids into a route's parameters.
func fill(path string, id int64) string {
	var parts []string
	for _, p := range strings.Split(path, "/") {
		switch {
		case strings.HasPrefix(p, ":"):
			p = strconv.FormatInt(id, 10)
		case p == "*":
			p = "console.css"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "/")
}

// public routes need no login.
func public(r route) bool {
	return r.Path == "/console/login" || strings.HasPrefix(r.Path, "/console/static/")
}

// Every /console route refuses a visitor who has not logged in: pages send
// them to the login page, streams and fragments answer 401.
func TestConsoleRefusesUnauthenticated(t *testing.T) {
	g := newConRig(t)
	tk := g.ticket("help")
	b := g.anonymous()
	n := 0
	for _, r := range g.routes {
		if public(r) {
			continue
		}
		n++
		req, _ := http.NewRequest(r.Method, g.srv.URL+fill(r.Path, tk.ID), strings.NewReader("csrf=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res := b.do(req)
		res.Body.Close()
		loc := res.Header.Get("Location")
		refused := res.StatusCode == http.StatusUnauthorized ||
			(res.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/console/login"))
		if !refused {
			t.Errorf("%s %s without login: %d %s, want 401 or a redirect to the login page", r.Method, r.Path, res.StatusCode, loc)
		}
	}
	if n < 25 {
		t.Errorf("only %d routes walked; is Register mounting everything?", n)
	}
}

// dispatcherGets are the pages only a dispatcher opens (forms that change
// data); the admin role needs nothing more than a dispatcher's today.
var dispatcherGets = map[string]bool{"/console/volunteers/new": true, "/console/volunteers/import": true, "/console/users": true}

// consolePages are the core pages, all readable by a viewer.
var consolePages = map[string]bool{"/console": true, "/console/": true, "/console/tickets/:id": true,
	"/console/tickets/:id/row": true, "/console/volunteers": true, "/console/volunteers/:id": true,
	"/console/clients": true, "/console/clients/:id": true}

// adminRoutes manage accounts.
var adminRoutes = map[string]bool{"/console/users": true}

// A viewer may read but not act: every POST but logout and the dispatcher
// pages are 403 for them, even with a valid CSRF token.
func TestConsoleRefusesTooSmallRole(t *testing.T) {
	g := newConRig(t)
	tk := g.ticket("help")
	v := g.volunteer("Асель")
	viewer := g.login(dispatch.RoleViewer)
	for _, r := range g.routes {
		if public(r) || r.Path == "/console/logout" || r.Path == "/console/events" {
			continue
		}
		id := tk.ID
		if strings.HasPrefix(r.Path, "/console/volunteers/") {
			id = v.ID
		} else if strings.HasPrefix(r.Path, "/console/clients/") {
			id = tk.ClientID
		}
		path := fill(r.Path, id)
		var status int
		if r.Method == http.MethodPost {
			status, _ = viewer.form(path, url.Values{})
			if status != http.StatusForbidden {
				t.Errorf("viewer POST %s: %d, want 403", r.Path, status)
			}
			continue
		}
		status, _ = viewer.get(path)
		if dispatcherGets[r.Path] && status != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403", r.Path, status)
		}
		if !dispatcherGets[r.Path] && consolePages[r.Path] && status != http.StatusOK {
			t.Errorf("viewer GET %s: %d, want it readable", r.Path, status)
		}
		// Pages of other areas decide their own role, but a logged-in
		// viewer is never sent back to the login page.
		if status == http.StatusUnauthorized || status == http.StatusSeeOther {
			t.Errorf("viewer GET %s: %d", r.Path, status)
		}
	}
	// The same dispatcher page opens for a dispatcher, but not the
	// administrators' pages.
	d := g.login(dispatch.RoleDispatcher)
	if status, _ := d.get("/console/volunteers/new"); status != http.StatusOK {
		t.Errorf("dispatcher GET /console/volunteers/new: %d", status)
	}
	for _, r := range g.routes {
		if !adminRoutes[r.Path] {
			continue
		}
		status := 0
		if r.Method == http.MethodPost {
			status, _ = d.form(r.Path, url.Values{"name": {"mallory"}, "role": {"admin"}, "password": {"12345678"}, "password2": {"12345678"}})
		} else {
			status, _ = d.get(r.Path)
		}
		if status != http.StatusForbidden {
			t.Errorf("dispatcher %s %s: %d, want 403", r.Method, r.Path, status)
		}
	}
	if _, err := g.store.UserByName(g.ctx, "mallory"); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Errorf("a dispatcher created an admin: %v", err)
	}
}

func TestConsoleLoginSessionLogout(t *testing.T) {
	g := newConRig(t)
	b := g.anonymous()

	res := b.postLogin("dispatcher", "wrong password")
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d, want 401", res.StatusCode)
	}
	res = b.postLogin("nobody", conPassword)
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d, want 401", res.StatusCode)
	}
	// The login form itself is refused without its token.
	if res := b.post("/console/login", url.Values{"name": {"dispatcher"}, "password": {conPassword}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without token: %d, want 403", res.StatusCode)
	}

	res = b.postLogin("dispatcher", conPassword)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	var sess *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "dsp_session" {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.Path != "/console" || sess.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want HttpOnly, Path=/console, SameSite=Lax", sess)
	}
	// Only the SHA-256 of the cookie is stored.
	if _, err := g.store.SessionByHash(g.ctx, sess.Value); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Errorf("the raw session id is stored: %v", err)
	}
	sum := sha256.Sum256([]byte(sess.Value))
	s, err := g.store.SessionByHash(g.ctx, hex.EncodeToString(sum[:]))
	if err != nil || s.User.Name != "dispatcher" {
		t.Fatalf("session by hash: %v", err)
	}

	_, body := b.get("/console")
	b.csrf = csrfMeta.FindStringSubmatch(body)[1]
	tk := g.ticket("help")
	note := url.Values{"note": {"called the client"}}
	// A POST without the token, or with another, is 403 and changes nothing.
	if res := b.post("/console/tickets/"+strconv.FormatInt(tk.ID, 10)+"/note", note); res.StatusCode != http.StatusForbidden {
		t.Errorf("POST without CSRF token: %d, want 403", res.StatusCode)
	}
	note.Set("csrf", "forged")
	if res := b.post("/console/tickets/"+strconv.FormatInt(tk.ID, 10)+"/note", note); res.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a wrong CSRF token: %d, want 403", res.StatusCode)
	}
	if evs, _ := g.store.Events(g.ctx, tk.ID); hasNote(evs, "called the client") {
		t.Fatal("a refused POST added the note")
	}
	note.Del("csrf")
	if status, _ := b.form("/console/tickets/"+strconv.FormatInt(tk.ID, 10)+"/note", note); status != http.StatusSeeOther {
		t.Errorf("POST with the token: %d, want 303", status)
	}
	if evs, _ := g.store.Events(g.ctx, tk.ID); !hasNote(evs, "called the client") {
		t.Error("the note is not on the timeline")
	}

	if status, _ := b.form("/console/logout", nil); status != http.StatusSeeOther {
		t.Fatalf("logout: %d", status)
	}
	if _, err := g.store.SessionByHash(g.ctx, hex.EncodeToString(sum[:])); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Errorf("session still stored after logout: %v", err)
	}
	// The old cookie, replayed, opens nothing.
	req, _ := http.NewRequest(http.MethodGet, g.srv.URL+"/console", nil)
	req.AddCookie(sess)
	res = g.anonymous().do(req)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("old session cookie after logout: %d, want a redirect to login", res.StatusCode)
	}
}

func hasNote(evs []*dispatch.TicketEvent, text string) bool {
	for _, e := range evs {
		if e.Kind == dispatch.EventNote && strings.Contains(e.Reason+e.Data, text) {
			return true
		}
	}
	return false
}

// After LoginAttemptsPerMinute tries for one name from one address, even
// the right password is refused with 429 and a clear message.
func TestConsoleLoginRateLimit(t *testing.T) {
	g := newConRig(t)
	b := g.anonymous()
	for i := 0; i < 5; i++ {
		if res := b.postLogin("viewer", "guess"+strconv.Itoa(i)); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	// The Redis limiter's sliding window is approximated from two fixed
	// windows, so across a minute boundary one more attempt may pass.
	res := b.postLogin("viewer", conPassword)
	if res.StatusCode != http.StatusTooManyRequests {
		res = b.postLogin("viewer", conPassword)
	}
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("attempts 6 and 7 with the right password: %d, want 429", res.StatusCode)
	}
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "Wait a minute") && !strings.Contains(string(body), "Подождите минуту") &&
		!strings.Contains(string(body), "минут күтіп") {
		t.Errorf("429 page does not say to wait")
	}
	// Another user is not locked out by these attempts.
	if res := b.postLogin("dispatcher", conPassword); res.StatusCode != http.StatusSeeOther {
		t.Errorf("another user: %d, want 303", res.StatusCode)
	}
}

// An administrator creates an account on the users page, and it logs in.
func TestConsoleAdminCreatesUser(t *testing.T) {
	g := newConRig(t)
	admin := g.login(dispatch.RoleAdmin)
	status, body := admin.form("/console/users", url.Values{"name": {"olga"}, "role": {"dispatcher"}, "password": {"short"}, "password2": {"short"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "at least 8") {
		t.Fatalf("short password: %d", status)
	}
	if status, _ := admin.form("/console/users", url.Values{"name": {"olga"}, "role": {"dispatcher"},
		"password": {"long enough pw"}, "password2": {"long enough pw"}}); status != http.StatusSeeOther {
		t.Fatalf("create: %d", status)
	}
	if _, body := admin.get("/console/users"); !strings.Contains(body, "<td>olga</td>") {
		t.Error("the new account is not listed")
	}
	if res := g.anonymous().postLogin("olga", "long enough pw"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("new user login: %d", res.StatusCode)
	}
}
