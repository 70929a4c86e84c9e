package integration

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kz-volunteers/dispatcher/console"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/postgres/pgtest"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// conRig is a console on a real server, database and Redis, with one user
// of each role (password conPassword).
type conRig struct {
	t      testing.TB
	ctx    context.Context
	store  *postgres.Store
	bus    *redis.Bus
	engine *dispatch.Engine
	con    *console.Console
	srv    *httptest.Server
	routes []route
	phones atomic.Int64
}

type route struct{ Method, Path string }

const conPassword = "correct horse battery"

func newConRig(t *testing.T) *conRig {
	t.Helper()
	return newConRigTB(t)
}

func newConRigTB(t testing.TB) *conRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	_, store := pgtest.New(t)
	rc, err := redis.Open(ctx, storagetest.RedisURL(), storagetest.RedisPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	g := &conRig{t: t, ctx: ctx, store: store, bus: redis.NewBus(rc)}
	g.engine = dispatch.NewEngine(store, redis.NewQueue(rc, 5*time.Second), redis.NewGeoIndex(rc), g.bus, conMessages{},
		dispatch.EngineOptions{Radii: []float64{3, 10, 25}})
	g.con = console.New(console.Options{
		Store: store, Actions: g.engine, Assignments: g.engine, Bus: g.bus,
		Limiter: redis.NewLimiter(rc), LoginAttemptsPerMinute: 5, Heartbeat: time.Hour,
	})
	hs := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)})
	g.con.Register(hs.Echo())
	for _, r := range hs.Echo().Routes() {
		if strings.HasPrefix(r.Path, "/console") {
			g.routes = append(g.routes, route{r.Method, r.Path})
		}
	}
	g.srv = httptest.NewServer(hs.Echo())
	t.Cleanup(g.srv.Close)
	t.Cleanup(g.con.Close) // before the server closes: streams end first
	for _, r := range []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher, dispatch.RoleViewer} {
		// The cheapest bcrypt cost: logins under the race detector would
		// take seconds at the default one. CheckPassword reads the cost
		// from the hash.
		h, err := bcrypt.GenerateFromPassword([]byte(conPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CreateUser(ctx, &dispatch.User{Name: string(r), Role: r, PasswordHash: string(h)}); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// conMessages renders a message as its key, which is all these tests
// look at.
type conMessages struct{}

func (conMessages) Render(key string, _ dispatch.Lang, _ map[string]any) (string, error) {
	return key, nil
}

// browser is a logged-in (or not) client with its cookies and the session's
// CSRF token.
type browser struct {
	g    *conRig
	c    *http.Client
	csrf string
}

func (g *conRig) anonymous() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{g: g, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in as the user of role r and keeps the page's CSRF token.
func (g *conRig) login(r dispatch.Role) *browser {
	g.t.Helper()
	b := g.anonymous()
	res := b.postLogin(string(r), conPassword)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console" {
		g.t.Fatalf("login as %s: %d %s", r, res.StatusCode, res.Header.Get("Location"))
	}
	status, body := b.get("/console")
	m := csrfMeta.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		g.t.Fatalf("queue after login: %d, no csrf token", status)
	}
	b.csrf = m[1]
	return b
}

// postLogin fetches the login form (for its token) and posts name and
// password.
func (b *browser) postLogin(name, password string) *http.Response {
	b.g.t.Helper()
	_, body := b.get("/console/login")
	m := hiddenCSRF.FindStringSubmatch(body)
	if m == nil {
		b.g.t.Fatalf("login form has no token:\n%s", body)
	}
	return b.post("/console/login", url.Values{"csrf": {m[1]}, "name": {name}, "password": {password}})
}

func (b *browser) do(req *http.Request) *http.Response {
	b.g.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.g.t.Fatal(err)
	}
	return res
}

func (b *browser) get(path string) (int, string) {
	b.g.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.g.srv.URL+path, nil)
	res := b.do(req)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// post sends a form as it is; form posts the session's token with it.
func (b *browser) post(path string, v url.Values) *http.Response {
	b.g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.g.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := b.do(req)
	b.g.t.Cleanup(func() { res.Body.Close() })
	return res
}

func (b *browser) form(path string, v url.Values) (int, string) {
	b.g.t.Helper()
	if v == nil {
		v = url.Values{}
	}
	v.Set("csrf", b.csrf)
	res := b.post(path, v)
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func (g *conRig) phone() string { return fmt.Sprintf("+7702%07d", g.phones.Add(1)) }

// ticket creates a queued ticket for a new client.
func (g *conRig) ticket(desc string) *dispatch.Ticket {
	g.t.Helper()
	c := &dispatch.Client{Phone: g.phone(), Name: "Айгерим", Lang: dispatch.LangRU}
	if err := g.store.CreateClient(g.ctx, c); err != nil {
		g.t.Fatal(err)
	}
	loc := dispatch.Location{Lat: 51.1694, Lon: 71.4491}
	now := time.Now()
	tk := &dispatch.Ticket{Channel: dispatch.ChannelSMS, Category: dispatch.CategoryShopping, Description: desc,
		Lang: dispatch.LangRU, Location: &loc, Address: "ул. Кенесары 40", Urgency: dispatch.UrgencyNormal,
		Status: dispatch.StatusQueued, ClientID: c.ID, DueAt: &now}
	if err := g.store.CreateTicket(g.ctx, tk); err != nil {
		g.t.Fatal(err)
	}
	return tk
}

func (g *conRig) volunteer(name string) *dispatch.Volunteer {
	g.t.Helper()
	loc := dispatch.Location{Lat: 51.17, Lon: 71.45}
	v := &dispatch.Volunteer{Name: name, Phone: g.phone(), Languages: []dispatch.Lang{dispatch.LangRU},
		Location: &loc, Available: true, MaxTasks: 1}
	if err := g.store.CreateVolunteer(g.ctx, v); err != nil {
		g.t.Fatal(err)
	}
	return v
}
