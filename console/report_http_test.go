package console

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// pagesEnv is a console on a real database, with a fake of the Twilio
// webhooks that checks the simulator's signatures, and two logged-in users.
type pagesEnv struct {
	e        *echo.Echo
	raw      *sql.DB
	viewer   session
	dispatch session
	mu       sync.Mutex
	hooks    []url.Values // what the fake webhooks received, signature checked
	paths    []string
}

type session struct{ cookie, csrf string }

const (
	testBase  = "http://dispatch.test"
	testToken = "test-dev-token"
)

func newPagesEnv(t *testing.T, simulator bool) *pagesEnv {
	t.Helper()
	dbURL := storagetest.DatabaseURL(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	store := postgres.NewStore(db, nil)
	env := &pagesEnv{e: echo.New(), raw: raw}
	c := New(Options{Store: store, SimulatorMode: simulator, Pages: PageOptions{
		Zone: time.UTC, PublicBaseURL: testBase, WebhookToken: testToken, ServiceNumber: "+77000000000",
		Files: configs.Files}})
	c.Register(env.e)
	env.e.POST("/twilio/*", env.fakeTwilio)
	env.viewer = newSession(t, store, "vera", dispatch.RoleViewer)
	env.dispatch = newSession(t, store, "dana", dispatch.RoleDispatcher)
	return env
}

func newSession(t *testing.T, store *postgres.Store, name string, role dispatch.Role) session {
	t.Helper()
	ctx := context.Background()
	u := &dispatch.User{Name: name, Role: role, PasswordHash: "x"}
	if err := store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	id, csrf := randomToken(), randomToken()
	if err := store.CreateSession(ctx, &dispatch.Session{IDHash: hashSessionID(id), UserID: u.ID, CSRF: csrf,
		ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return session{cookie: id, csrf: csrf}
}

// fakeTwilio stands in for the intake's webhooks: it refuses a request whose
// signature is wrong, exactly as the real ones do, and answers with a small
// call flow.
func (env *pagesEnv) fakeTwilio(ec echo.Context) error {
	r := ec.Request()
	if err := r.ParseForm(); err != nil {
		return err
	}
	if r.Header.Get("X-Twilio-Signature") != twilioSignature(testToken, testBase+r.URL.RequestURI(), r.PostForm) {
		return ec.String(http.StatusForbidden, "bad signature")
	}
	env.mu.Lock()
	env.hooks = append(env.hooks, r.PostForm)
	env.paths = append(env.paths, r.URL.RequestURI())
	env.mu.Unlock()
	xml := func(s string) error {
		return ec.Blob(http.StatusOK, "text/xml", []byte(`<?xml version="1.0"?><Response>`+s+`</Response>`))
	}
	switch r.URL.Path {
	case "/twilio/voice":
		return xml(`<Gather numDigits="1" action="` + testBase + `/twilio/voice/lang?step=1"><Say>Press 2 for Russian.</Say></Gather><Redirect>/twilio/voice?again=1</Redirect>`)
	case "/twilio/voice/lang":
		return xml(`<Say>Вы выбрали ` + r.PostForm.Get("Digits") + `.</Say><Redirect>/twilio/voice/next</Redirect>`)
	case "/twilio/voice/next":
		return xml(`<Say>Your code is A B C.</Say><Hangup/>`)
	}
	return xml("")
}

func (env *pagesEnv) do(t *testing.T, s *session, method, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		if s != nil {
			form.Set("csrf", s.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if s != nil {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.cookie})
	}
	rec := httptest.NewRecorder()
	env.e.ServeHTTP(rec, req)
	return rec
}

func TestReportsPage(t *testing.T) {
	env := newPagesEnv(t, false)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	mustExecT(t, env.raw, `INSERT INTO clients (id, phone) VALUES (1, '+77010000001')`)
	mustExecT(t, env.raw, `INSERT INTO tickets (code, channel, category, lang, address, status, client_id, created_at)
		VALUES ('AAA-0001', 'sms', 'escort', 'ru', '<b>Астана</b>, ул. 1', 'new', 1, $1),
		       ('AAA-0002', 'web', 'home', 'ru', '', 'completed', 1, $1)`, today.Add(time.Hour))
	// Located in Almaty's Medeu district (configs/gazetteer.json), whatever
	// its address says.
	mustExecT(t, env.raw, `INSERT INTO tickets (code, channel, category, lang, address, status, client_id, created_at, lat, lon)
		VALUES ('AAA-0003', 'voice', 'home', 'ru', 'somewhere', 'new', 1, $1, 43.241, 76.968)`, today.Add(time.Hour))

	if rec := env.do(t, nil, http.MethodGet, "/console/reports", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("unauthenticated: %d, want a redirect to the login page", rec.Code)
	}
	rec := env.do(t, &env.viewer, http.MethodGet, "/console/reports?lang=en", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("viewer: %d\n%s", rec.Code, body)
	}
	for _, want := range []string{`id="chart-day"`, `id="chart-channel"`, `role="img"`, "Text message", "Web form",
		"&lt;b&gt;Астана&lt;/b&gt;", "No address", "33.3%", "Almaty · Medeu", `href="/console/reports.csv?from=`} {
		if !strings.Contains(body, want) {
			t.Errorf("reports page lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>Астана") {
		t.Error("an address was not escaped")
	}

	rec = env.do(t, &env.viewer, http.MethodGet, "/console/reports?from=01.11.2026", nil)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "YYYY-MM-DD") {
		t.Errorf("a bad date: %d, want 400 naming the format", rec.Code)
	}
	rec = env.do(t, &env.viewer, http.MethodGet, "/console/reports?from=2026-11-05&to=2026-11-01", nil)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a reversed period: %d, want 400", rec.Code)
	}

	rec = env.do(t, &env.viewer, http.MethodGet, "/console/reports.csv", nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", rec.Code, rec.Header())
	}
	csvBody := strings.TrimPrefix(rec.Body.String(), "\ufeff")
	if !strings.HasPrefix(csvBody, "section,key,value,centre,district\n") || !strings.Contains(csvBody, "\nsummary,tickets,3,,\n") ||
		!strings.Contains(csvBody, "\narea,<b>Астана</b>,1,,\n") {
		t.Errorf("csv body:\n%s", csvBody)
	}
}

func TestMapPage(t *testing.T) {
	env := newPagesEnv(t, false)
	mustExecT(t, env.raw, `INSERT INTO clients (id, phone) VALUES (1, '+77010000001')`)
	mustExecT(t, env.raw, `INSERT INTO tickets (id, code, channel, category, lang, status, client_id, urgency, lat, lon)
		VALUES (1, 'AAA-0001', 'sms', 'escort', 'ru', 'queued', 1, 'urgent', 51.1, 71.4),
		       (2, 'AAA-0002', 'sms', 'home', 'ru', 'escalated', 1, 'normal', NULL, NULL)`)
	mustExecT(t, env.raw, `INSERT INTO volunteers (phone, name, lat, lon) VALUES ('+77020000001', 'Ann <i>', 51.2, 71.5)`)
	rec := env.do(t, &env.viewer, http.MethodGet, "/console/map?lang=en", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("%d\n%s", rec.Code, body)
	}
	for _, want := range []string{`<svg`, `id="map"`, `polygon class="ticket urgent"`, `rect class="vol"`,
		`href="/console/tickets/1"`, `href="/console/tickets/2"`, "Open tickets without a location", "Ann &lt;i&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("map page lacks %q", want)
		}
	}
}

func TestSimulatorOnlyInSimulatorMode(t *testing.T) {
	env := newPagesEnv(t, false)
	if rec := env.do(t, &env.dispatch, http.MethodGet, "/console/simulator", nil); rec.Code != http.StatusNotFound {
		t.Errorf("simulator with Twilio credentials: %d, want 404", rec.Code)
	}
}

func TestSimulatorSignsAndFollowsTheCall(t *testing.T) {
	env := newPagesEnv(t, true)
	if rec := env.do(t, &env.viewer, http.MethodGet, "/console/simulator", nil); rec.Code != http.StatusForbidden {
		t.Errorf("viewer: %d, want 403", rec.Code)
	}
	rec := env.do(t, &env.dispatch, http.MethodPost, "/console/simulator/sms", url.Values{"from": {"+77010000009"}, "body": {"Помогите"}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "200") {
		t.Fatalf("sms: %d\n%s", rec.Code, rec.Body.String())
	}
	if len(env.hooks) != 1 || env.hooks[0].Get("Body") != "Помогите" || env.hooks[0].Get("From") != "+77010000009" ||
		!strings.HasPrefix(env.hooks[0].Get("MessageSid"), "SM") {
		t.Fatalf("the webhook got %v", env.hooks)
	}
	if rec := env.do(t, &env.dispatch, http.MethodPost, "/console/simulator/sms", url.Values{"from": {""}, "body": {"x"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("no number: %d, want 400", rec.Code)
	}

	rec = env.do(t, &env.dispatch, http.MethodPost, "/console/simulator/call?lang=en", url.Values{"from": {"+77010000009"}})
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "Press 2 for Russian.") || !strings.Contains(body, `value="key:2"`) {
		t.Fatalf("call start: %d\n%s", rec.Code, body)
	}
	sid := env.hooks[1].Get("CallSid")
	if !strings.HasPrefix(sid, "CA") {
		t.Fatalf("CallSid %q", sid)
	}
	rec = env.do(t, &env.dispatch, http.MethodPost, "/console/simulator/call?lang=en", url.Values{"from": {"+77010000009"},
		"call_sid": {sid}, "action": {testBase + "/twilio/voice/lang?step=1"}, "input": {"key:2"}})
	body = rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "Вы выбрали 2.") || !strings.Contains(body, "Your code is A B C.") ||
		!strings.Contains(body, "The call has ended.") {
		t.Fatalf("key 2: %d\n%s", rec.Code, body)
	}
	if env.paths[2] != "/twilio/voice/lang?step=1" || env.hooks[2].Get("Digits") != "2" || env.hooks[2].Get("CallSid") != sid || env.paths[3] != "/twilio/voice/next" {
		t.Errorf("the call went %v with %v", env.paths, env.hooks[2])
	}

	// The simulator signs only for the service's own webhooks.
	rec = env.do(t, &env.dispatch, http.MethodPost, "/console/simulator/call", url.Values{"from": {"+77010000009"},
		"call_sid": {sid}, "action": {"http://evil.example/twilio/voice"}, "input": {"key:1"}})
	if rec.Code != http.StatusBadRequest || len(env.hooks) != 4 {
		t.Errorf("a foreign action URL: %d, %d webhook calls", rec.Code, len(env.hooks))
	}
	// A missing CSRF token is refused before anything is signed.
	req := httptest.NewRequest(http.MethodPost, "/console/simulator/sms", strings.NewReader("from=%2B77010000009&body=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: env.dispatch.cookie})
	rr := httptest.NewRecorder()
	env.e.ServeHTTP(rr, req)
	if rr.Code != http.StatusForbidden || len(env.hooks) != 4 {
		t.Errorf("no CSRF token: %d, %d webhook calls", rr.Code, len(env.hooks))
	}
}

func mustExecT(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
