package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

const ikToken = "intake-test-auth-token"

// ikRig is one intake test's world: its own database and Redis prefix, the
// real Intake on them, and the intake routes served over real HTTP.
type ikRig struct {
	t      *testing.T
	ctx    context.Context
	store  *postgres.Store
	url    string // the test's own database
	rc     *redis.Client
	queue  *redis.Queue
	intake *dispatch.Intake
	srv    *httptest.Server
	audio  string
	status *ikStatus
	phones atomic.Int64
}

type ikOptions struct {
	intake     dispatch.IntakeOptions
	queue      dispatch.Queue // wraps the rig's real queue when set
	dispatcher string         // DISPATCHER_NUMBER
	formRate   int
	signups    bool // serve /volunteer with the real registry
}

func newIKRig(t *testing.T, o ikOptions) *ikRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g := &ikRig{t: t, ctx: ctx, status: &ikStatus{}}
	g.url = storagetest.DatabaseURL(t)
	db, err := postgres.Open(ctx, g.url, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // before the database is dropped
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	g.store = postgres.NewStore(db, nil)
	rc, err := redis.Open(ctx, storagetest.RedisURL(), storagetest.RedisPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	g.rc, g.queue = rc, redis.NewQueue(rc, 5*time.Second)
	geo, err := intake.NewGeocoder(configs.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	var q dispatch.Queue = g.queue
	if o.queue != nil {
		q = o.queue
	}
	if o.intake.SMSJoinWindow == 0 {
		o.intake.SMSJoinWindow = 30 * time.Minute
	}
	msgs, err := notify.NewTemplates(configs.Files)
	if err != nil {
		t.Fatal(err)
	}
	g.intake = dispatch.NewIntake(g.store, q, redis.NewBus(rc), intake.Phones{}, geo, msgs, o.intake)
	var signups intake.VolunteerSignups
	if o.signups {
		signups = dispatch.NewSignups(g.store, redis.NewGeoIndex(rc), msgs, dispatch.SignupOptions{})
	}
	g.audio = t.TempDir()
	e := echo.New()
	g.srv = httptest.NewUnstartedServer(e)
	base := "http://" + g.srv.Listener.Addr().String()
	h, err := intake.New(intake.Options{
		Intake: g.intake, Calls: g.store, Clients: g.store, SMS: ikSMS{g.intake}, Status: g.status,
		Limiter: redis.NewLimiter(rc), Files: configs.Files, AudioDir: g.audio, PublicBaseURL: base,
		AuthToken: ikToken, DispatcherNumber: o.dispatcher, DispatcherHours: "00:00-23:59",
		RecordingMax: 90 * time.Second, BodyLimit: 64 << 10, FormRate: o.formRate,
		CSRFSecret: []byte("intake-test-csrf-secret-32-bytes"), Signups: signups,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Register(e)
	g.srv.Start()
	t.Cleanup(g.srv.Close)
	return g
}

func (g *ikRig) phone() string { return fmt.Sprintf("+7701%07d", 5000000+g.phones.Add(1)) }

// twilio posts params to path signed the way Twilio signs them.
func (g *ikRig) twilio(path string, params url.Values) (int, string) {
	g.t.Helper()
	return g.post(path, params, twiliotest.Sign(ikToken, g.srv.URL+path, params))
}

func (g *ikRig) post(path string, params url.Values, sig string) (int, string) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.srv.URL+path, strings.NewReader(params.Encode()))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// call posts one step of call sid, expecting 200 or 204.
func (g *ikRig) call(sid, from, path string, extra ...string) string {
	g.t.Helper()
	p := url.Values{"CallSid": {sid}, "From": {from}, "To": {"+77000000000"}, "AccountSid": {"ACtest"}}
	for i := 0; i+1 < len(extra); i += 2 {
		p.Set(extra[i], extra[i+1])
	}
	code, body := g.twilio(path, p)
	if code != http.StatusOK && code != http.StatusNoContent {
		g.t.Fatalf("POST %s %v: %d %s", path, extra, code, body)
	}
	return body
}

func (g *ikRig) ticketBySource(src string) *dispatch.Ticket {
	g.t.Helper()
	tk, err := g.store.TicketBySource(g.ctx, src)
	if err != nil {
		g.t.Fatalf("ticket from %s: %v", src, err)
	}
	return tk
}

// tickets counts every ticket in the database.
func (g *ikRig) tickets() int {
	g.t.Helper()
	_, n, err := g.store.Tickets(g.ctx, dispatch.TicketFilter{Limit: 1})
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}

func (g *ikRig) queued(id int64) bool {
	g.t.Helper()
	has, err := g.queue.Has(g.ctx, []int64{id})
	if err != nil {
		g.t.Fatal(err)
	}
	return has[id]
}

// writeAudio drops a recorded prompt into the audio directory.
func (g *ikRig) writeAudio(lang, name string) {
	g.t.Helper()
	dir := filepath.Join(g.audio, lang)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".wav"), []byte("RIFF....WAVE"), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// browser is an HTTP client with cookies, as a person's browser without
// JavaScript.
func (g *ikRig) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (g *ikRig) get(c *http.Client, path string, header ...string) (int, string) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (g *ikRig) submit(c *http.Client, path string, form url.Values) (int, string) {
	g.t.Helper()
	res, err := c.PostForm(g.srv.URL+path, form)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// ikMessages renders a message as its key, language and code, so that a
// test sees which text went out.
type ikMessages struct{}

func (ikMessages) Render(key string, lang dispatch.Lang, data map[string]any) (string, error) {
	return fmt.Sprintf("%s/%s code=%v", key, lang, data["code"]), nil
}

// ikSMS stands in for the conversation handler (dispatch.Conversation,
// another area's): a text from a client is a request, as it would route it.
type ikSMS struct{ in *dispatch.Intake }

func (s ikSMS) HandleSMS(ctx context.Context, m *dispatch.InboundMessage) error {
	_, err := s.in.Submit(ctx, dispatch.IntakeRequest{SourceID: m.MessageSID, Channel: dispatch.ChannelSMS,
		Phone: m.From, Description: m.Body, Actor: dispatch.ActorClient})
	return err
}

// ikStatus records delivery callbacks.
type ikStatus struct {
	mu  sync.Mutex
	got []string
}

func (s *ikStatus) RecordStatus(ctx context.Context, sid, status, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, sid+" "+status+" "+code)
	return nil
}
