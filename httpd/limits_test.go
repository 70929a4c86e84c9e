package httpd_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/labstack/echo/v4"
)

// chunked hides a reader's length, so that the body arrives without a
// Content-Length and only the reading side can stop it.
type chunked struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	ts := start(t, httpd.Options{BodyLimit: 100}, func(e *echo.Echo) {
		e.POST("/echo", func(c echo.Context) error {
			b, err := io.ReadAll(c.Request().Body)
			if err != nil {
				return dispatch.E("test.read", err)
			}
			return c.String(200, string(b))
		})
	})
	res, b := do(t, "POST", ts.URL+"/echo", strings.NewReader(strings.Repeat("a", 100)))
	if res.StatusCode != 200 || len(b) != 100 {
		t.Fatalf("a body at the limit: %d", res.StatusCode)
	}
	res, b = do(t, "POST", ts.URL+"/echo", strings.NewReader(strings.Repeat("a", 101)))
	if body := errorBody(t, b); res.StatusCode != 413 || body.Code != dispatch.ETOOLARGE {
		t.Fatalf("declared length over the limit: %d %s", res.StatusCode, b)
	}
	res, b = do(t, "POST", ts.URL+"/echo", chunked{strings.NewReader(strings.Repeat("a", 5000))})
	if body := errorBody(t, b); res.StatusCode != 413 || body.Code != dispatch.ETOOLARGE {
		t.Fatalf("chunked body over the limit: %d %s", res.StatusCode, b)
	}
}

func TestRouteBodyLimit(t *testing.T) {
	read := func(c echo.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return dispatch.E("test.read", err)
		}
		return c.String(200, string(b))
	}
	ts := start(t, httpd.Options{BodyLimit: 100, RouteBodyLimits: map[string]int64{"POST /photos/:id": 1000}},
		func(e *echo.Echo) {
			e.POST("/photos/:id", read)
			e.PUT("/photos/:id", read)
			e.POST("/other", read)
		})
	body := strings.Repeat("a", 1000)
	if res, b := do(t, "POST", ts.URL+"/photos/7", strings.NewReader(body)); res.StatusCode != 200 || len(b) != 1000 {
		t.Fatalf("the raised route at its limit: %d", res.StatusCode)
	}
	if res, _ := do(t, "POST", ts.URL+"/photos/7", chunked{strings.NewReader(body + "a")}); res.StatusCode != 413 {
		t.Fatalf("the raised route over its limit: %d", res.StatusCode)
	}
	for _, r := range []struct{ method, path string }{{"PUT", "/photos/7"}, {"POST", "/other"}} {
		if res, _ := do(t, r.method, ts.URL+r.path, strings.NewReader(body)); res.StatusCode != 413 {
			t.Fatalf("%s %s kept the general limit? %d", r.method, r.path, res.StatusCode)
		}
	}
}

func TestHTMLErrorPages(t *testing.T) {
	ts := start(t, httpd.Options{}, func(e *echo.Echo) {
		e.GET("/console/tickets/:id", func(c echo.Context) error {
			return dispatch.Errorf(dispatch.ENOTFOUND, "ticket %s not found", c.Param("id"))
		})
	})
	cases := []struct{ query, cookie, want string }{
		{"?lang=kk", "", "Бет табылмады"},
		{"?lang=ru", "", "Страница не найдена"},
		{"?lang=en", "", "Page not found"},
		{"", "kk", "Бет табылмады"},
		{"", "", "Страница не найдена"},
	}
	for _, tc := range cases {
		var hdr []string
		if tc.cookie != "" {
			hdr = []string{"Cookie", "lang=" + tc.cookie}
		}
		res, b := do(t, "GET", ts.URL+"/console/tickets/7"+tc.query, nil, hdr...)
		page := string(b)
		if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", tc.query, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if !strings.Contains(page, tc.want) || strings.Contains(page, "<script") || strings.Contains(page, "style=") {
			t.Fatalf("%s cookie %s: page %s", tc.query, tc.cookie, page)
		}
		if !regexp.MustCompile(`<html lang="(kk|ru|en)"`).MatchString(page) {
			t.Fatalf("page without a lang attribute: %s", page)
		}
	}
	// the public form's pages too, and its home link keeps the language
	res, b := do(t, "GET", ts.URL+"/request/nothing?lang=en", nil)
	if res.StatusCode != 404 || !strings.Contains(string(b), "Page not found") || !strings.Contains(string(b), `href="/request?lang=en"`) {
		t.Fatalf("form page: %d %s", res.StatusCode, b)
	}
	// an API client asking for JSON gets JSON even there
	res, b = do(t, "GET", ts.URL+"/console/tickets/7", nil, "Accept", "application/json")
	if errorBody(t, b).Code != dispatch.ENOTFOUND || res.StatusCode != 404 {
		t.Fatalf("JSON from the console: %s", b)
	}
}

func TestMetrics(t *testing.T) {
	ts := start(t, httpd.Options{}, func(e *echo.Echo) {
		e.GET("/things/:id", func(c echo.Context) error { return c.NoContent(204) })
	})
	for _, p := range []string{"/things/1", "/things/2", "/nowhere/3", "/nowhere/4"} {
		do(t, "GET", ts.URL+p, nil)
	}
	_, b := do(t, "GET", ts.URL+"/metrics", nil)
	m := string(b)
	for _, want := range []string{
		`dispatcher_http_requests_total{method="GET",route="/things/:id",status="204"} 2`,
		`dispatcher_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`dispatcher_http_request_duration_seconds_count{method="GET",route="/things/:id",status="204"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %s:\n%s", want, m)
		}
	}
	if strings.Contains(m, "/things/1") || strings.Contains(m, "/nowhere") {
		t.Fatal("a raw path became a label")
	}
}

func TestReadyz(t *testing.T) {
	var redisDown atomic.Bool
	ping := func(ctx context.Context) error {
		if redisDown.Load() {
			return io.ErrUnexpectedEOF
		}
		return nil
	}
	slow := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	var slowOn atomic.Bool
	ts := start(t, httpd.Options{CheckTimeout: 100 * time.Millisecond, Checks: []httpd.Check{
		{Name: "redis", Ping: ping},
		{Name: "postgresql", Ping: func(ctx context.Context) error {
			if slowOn.Load() {
				return slow(ctx)
			}
			return nil
		}},
	}}, nil)
	if res, b := do(t, "GET", ts.URL+"/readyz", nil); res.StatusCode != 200 {
		t.Fatalf("ready: %d %s", res.StatusCode, b)
	}
	redisDown.Store(true)
	res, b := do(t, "GET", ts.URL+"/readyz", nil)
	if res.StatusCode != 503 || !strings.Contains(string(b), `"down":["redis"]`) || strings.Contains(string(b), `"postgresql":"down"`) {
		t.Fatalf("redis down: %d %s", res.StatusCode, b)
	}
	slowOn.Store(true) // a hung dependency counts as down after the check timeout
	res, b = do(t, "GET", ts.URL+"/readyz", nil)
	if res.StatusCode != 503 || !strings.Contains(string(b), `"down":["postgresql","redis"]`) {
		t.Fatalf("both down: %d %s", res.StatusCode, b)
	}
	redisDown.Store(false)
	slowOn.Store(false)
	if res, b := do(t, "GET", ts.URL+"/readyz", nil); res.StatusCode != 200 {
		t.Fatalf("back: %d %s", res.StatusCode, b)
	}
	if res, _ := do(t, "GET", ts.URL+"/healthz", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", res.StatusCode)
	}
}

func TestGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	s := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)})
	s.Echo().GET("/slow", func(c echo.Context) error {
		close(started)
		<-release
		finished.Store(true)
		return c.String(200, "finished")
	})
	shuttingDown := make(chan struct{})
	s.OnShutdown(func() { close(shuttingDown) })
	ln := listen(t)
	served := make(chan error, 1)
	go func() { served <- s.Start(ln) }()
	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := c.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{res.StatusCode, string(b), err}
	}()
	<-started
	if s.Addr() != ln.Addr().String() {
		t.Fatalf("Addr %q, listening on %s", s.Addr(), ln.Addr())
	}
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	<-shuttingDown
	close(release) // the request is still in flight while Shutdown runs
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !finished.Load() {
		t.Fatal("Shutdown returned before the in-flight request finished")
	}
	r := <-got
	if r.err != nil || r.status != 200 || r.body != "finished" {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-served; err != nil {
		t.Fatalf("Start after Shutdown: %v", err)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
