package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/postgres/pgtest"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
	"github.com/labstack/echo/v4"
)

// rig is one test's service: its own database and Redis prefix, the real
// intake and engine (not running: tickets stay where the API put them), the
// HTTP server on a free port, and a token of each role.
type rig struct {
	t      *testing.T
	ctx    context.Context
	store  *postgres.Store
	engine *dispatch.Engine
	server *httpd.Server
	url    string
	tokens map[dispatch.Role]string
	phones atomic.Int64
}

// texts renders message keys as themselves: the API tests look at tickets,
// not at the wording of texts.
type texts struct{}

func (texts) Render(key string, lang dispatch.Lang, _ map[string]any) (string, error) {
	return key + ":" + string(lang), nil
}

func newRig(t *testing.T, opts api.Options) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	_, store := pgtest.New(t)
	rc, err := redis.Open(ctx, storagetest.RedisURL(), storagetest.RedisPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	queue, geo, bus := redis.NewQueue(rc, 5*time.Second), redis.NewGeoIndex(rc), redis.NewBus(rc)
	if err := geo.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	phones := intake.Phones{}
	engine := dispatch.NewEngine(store, queue, geo, bus, texts{}, dispatch.EngineOptions{Logger: logger})
	opts.Store, opts.Phones, opts.Logger = store, phones, logger
	opts.Intake = dispatch.NewIntake(store, queue, bus, phones, nil, texts{}, dispatch.IntakeOptions{Logger: logger})
	opts.Actions, opts.Assignments = engine, engine
	if opts.Limiter == nil {
		opts.Limiter = redis.NewLimiter(rc)
	}
	srv := httpd.New(httpd.Options{Logger: logger, BodyLimit: 64 << 10})
	api.New(opts).Register(srv.Echo().Group("/api/v1"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Start(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-done
	})
	g := &rig{t: t, ctx: ctx, store: store, engine: engine, server: srv, url: "http://" + ln.Addr().String(),
		tokens: map[dispatch.Role]string{}}
	for _, role := range []dispatch.Role{dispatch.RoleViewer, dispatch.RoleDispatcher, dispatch.RoleAdmin} {
		g.tokens[role] = g.token(string(role)+"-partner", role)
	}
	return g
}

// token stores a new token and returns its secret.
func (g *rig) token(name string, role dispatch.Role) string {
	g.t.Helper()
	secret, hash := dispatch.NewAPIToken()
	if err := g.store.CreateToken(g.ctx, &dispatch.Token{Name: name, Role: role, Hash: hash}); err != nil {
		g.t.Fatal(err)
	}
	return secret
}

func (g *rig) routes() []*echo.Route { return g.server.Echo().Routes() }

func (g *rig) phone() string { return fmt.Sprintf("+7701%07d", g.phones.Add(1)) }

// response is one answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// decode unmarshals the body into v, failing the test if it cannot.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
}

// object is the body as a map, to check field names.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// call sends a request; body is marshalled unless it is a string or []byte.
// hdr are extra header pairs.
func (g *rig) call(method, path, token string, body any, hdr ...string) response {
	g.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			g.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(g.ctx, method, g.url+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		g.t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

// as calls with the token of role.
func (g *rig) as(role dispatch.Role, method, path string, body any, hdr ...string) response {
	g.t.Helper()
	return g.call(method, path, g.tokens[role], body, hdr...)
}

// wantError checks an error answer: the status, a body of exactly code and
// message, and a message that contains each of mention.
func wantError(t *testing.T, r response, status int, code string, mention ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.object(t)
	if len(m) != 2 || m["code"] != code {
		t.Fatalf("error body %s: want exactly {code: %q, message}", r.body, code)
	}
	msg, _ := m["message"].(string)
	for _, s := range mention {
		if !bytes.Contains([]byte(msg), []byte(s)) {
			t.Fatalf("message %q does not mention %q", msg, s)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
