package httpd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/labstack/echo/v4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// logBuf collects JSON log lines safely across the server's goroutines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the decoded log records whose msg is msg.
func (l *logBuf) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

type testServer struct {
	*httpd.Server
	URL  string
	Logs *logBuf
}

// start runs a server on 127.0.0.1:0; setup registers extra routes before
// it serves. Cleanup shuts it down and checks that Start returned nil.
func start(t *testing.T, opts httpd.Options, setup func(e *echo.Echo)) *testServer {
	t.Helper()
	logs := &logBuf{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := httpd.New(opts)
	if setup != nil {
		setup(s.Echo())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Start(ln) }()
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Start returned %v after Shutdown", err)
		}
	})
	return &testServer{Server: s, URL: "http://" + ln.Addr().String(), Logs: logs}
}

// do sends one request on a fresh connection, so that no idle connection
// outlives the test.
func do(t *testing.T, method, url string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func errorBody(t *testing.T, b []byte) httpd.ErrorBody {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("error body %q is not JSON: %v", b, err)
	}
	if len(raw) != 2 || raw["code"] == nil || raw["message"] == nil {
		t.Fatalf("error body %s: want exactly code and message", b)
	}
	return httpd.ErrorBody{Code: raw["code"].(string), Message: raw["message"].(string)}
}

func TestErrorTable(t *testing.T) {
	cause := io.ErrUnexpectedEOF // stands for an SQL text or a phone number
	cases := []struct {
		code   string
		status int
	}{
		{dispatch.EINVALID, 400},
		{dispatch.EUNAUTHORIZED, 401},
		{dispatch.EFORBIDDEN, 403},
		{dispatch.ENOTFOUND, 404},
		{dispatch.ECONFLICT, 409},
		{dispatch.ETOOLARGE, 413},
		{dispatch.EUNPROCESSABLE, 422},
		{dispatch.ERATELIMIT, 429},
		{dispatch.EUNAVAILABLE, 503},
		{dispatch.EINTERNAL, 500},
	}
	ts := start(t, httpd.Options{}, func(e *echo.Echo) {
		e.GET("/fail/:code", func(c echo.Context) error {
			err := &dispatch.Error{Code: c.Param("code"), Message: "shown to the client", Err: cause}
			if c.Param("code") == dispatch.EINTERNAL {
				err.Message = ""
			}
			return dispatch.E("test.op", err)
		})
		e.GET("/plain", func(c echo.Context) error { return cause })
	})
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			res, b := do(t, "GET", ts.URL+"/fail/"+tc.code, nil)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("content type %q", ct)
			}
			body := errorBody(t, b)
			if body.Code != tc.code {
				t.Fatalf("code %q, want %q", body.Code, tc.code)
			}
			if strings.Contains(string(b), cause.Error()) || strings.Contains(string(b), "test.op") {
				t.Fatalf("body %s leaks the cause or the op", b)
			}
		})
	}
	res, b := do(t, "GET", ts.URL+"/plain", nil)
	if body := errorBody(t, b); res.StatusCode != 500 || body.Code != dispatch.EINTERNAL || strings.Contains(body.Message, "EOF") {
		t.Fatalf("a plain error: %d %s", res.StatusCode, b)
	}
	// echo's own errors keep their status and get a code too
	res, b = do(t, "GET", ts.URL+"/no/such/route", nil)
	if body := errorBody(t, b); res.StatusCode != 404 || body.Code != dispatch.ENOTFOUND {
		t.Fatalf("unknown route: %d %s", res.StatusCode, b)
	}
	res, b = do(t, "DELETE", ts.URL+"/plain", nil)
	if body := errorBody(t, b); res.StatusCode != 405 || body.Code == "" || res.Header.Get("Allow") == "" {
		t.Fatalf("wrong method: %d %s %v", res.StatusCode, b, res.Header)
	}
}

func TestInternalErrorsLoggedOnceWithRequestID(t *testing.T) {
	ts := start(t, httpd.Options{}, func(e *echo.Echo) {
		e.GET("/boom", func(c echo.Context) error {
			return dispatch.E("test.boom", io.ErrClosedPipe)
		})
		e.GET("/panic", func(c echo.Context) error { panic("kaboom") })
		e.GET("/bad", func(c echo.Context) error {
			return dispatch.Errorf(dispatch.EINVALID, "phone is missing")
		})
	})
	res, b := do(t, "GET", ts.URL+"/boom", nil, "X-Request-ID", "req-boom-1")
	if res.StatusCode != 500 || errorBody(t, b).Message != "Internal error." {
		t.Fatalf("boom: %d %s", res.StatusCode, b)
	}
	res, b = do(t, "GET", ts.URL+"/panic", nil, "X-Request-ID", "req-panic-1")
	if res.StatusCode != 500 || strings.Contains(string(b), "kaboom") {
		t.Fatalf("panic: %d %s", res.StatusCode, b)
	}
	do(t, "GET", ts.URL+"/bad", nil)
	failed := ts.Logs.lines(t, "http: request failed")
	if len(failed) != 2 {
		t.Fatalf("want 2 failure lines (boom, panic), got %d: %s", len(failed), ts.Logs)
	}
	if failed[0]["request_id"] != "req-boom-1" || !strings.Contains(failed[0]["err"].(string), "closed pipe") {
		t.Fatalf("boom line %v: want its request id and the cause", failed[0])
	}
	if failed[1]["request_id"] != "req-panic-1" || !strings.Contains(failed[1]["err"].(string), "kaboom") {
		t.Fatalf("panic line %v", failed[1])
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	var seen string
	ts := start(t, httpd.Options{}, func(e *echo.Echo) {
		e.GET("/clients/:phone", func(c echo.Context) error {
			seen = httpd.RequestID(c.Request().Context())
			return c.String(200, "ok")
		})
	})
	res, _ := do(t, "GET", ts.URL+"/clients/+77011234567?phone=%2B77019876543&other=87775554433", nil)
	id := res.Header.Get("X-Request-ID")
	if len(id) < 16 || id != seen || strings.ContainsAny(id, "0123456789") {
		t.Fatalf("generated request id %q, handler saw %q", id, seen)
	}
	res, _ = do(t, "GET", ts.URL+"/clients/1", nil, "X-Request-ID", "partner-abc.123")
	if got := res.Header.Get("X-Request-ID"); got != "partner-abc.123" {
		t.Fatalf("a caller's request id was replaced by %q", got)
	}
	res, _ = do(t, "GET", ts.URL+"/clients/1", nil, "X-Request-ID", "bad id with spaces and <tags>")
	if got := res.Header.Get("X-Request-ID"); strings.Contains(got, " ") || got == "" {
		t.Fatalf("a malformed request id was kept: %q", got)
	}
	lines := ts.Logs.lines(t, "http request")
	if len(lines) != 3 {
		t.Fatalf("want 3 access lines, got %d: %s", len(lines), ts.Logs)
	}
	first := lines[0]
	if first["request_id"] != id || first["route"] != "/clients/:phone" || first["method"] != "GET" ||
		first["status"] != float64(200) || first["duration"] == nil {
		t.Fatalf("access line %v", first)
	}
	for _, digits := range []string{"77011234567", "77019876543", "87775554433", "123456"} {
		if strings.Contains(ts.Logs.String(), digits) {
			t.Fatalf("log holds the number %s: %s", digits, ts.Logs)
		}
	}
	if !strings.Contains(first["path"].(string), "+7701") {
		t.Fatalf("masked path %q should keep the country code and operator", first["path"])
	}
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(httpd.NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("pkg", "api")
	l.InfoContext(httpd.WithRequestID(context.Background(), "rid-42"), "hello")
	l.Info("no context")
	out := buf.String()
	if !strings.Contains(out, `"request_id":"rid-42"`) || strings.Count(out, "request_id") != 1 {
		t.Fatalf("log: %s", out)
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts := start(t, httpd.Options{}, nil)
	res, _ := do(t, "GET", ts.URL+"/healthz", nil)
	h := res.Header
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") ||
		strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
		t.Fatalf("headers %v", h)
	}
}
