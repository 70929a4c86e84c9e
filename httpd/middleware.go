package httpd

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// phoneLike matches what may be a phone number in a path or query: nine or
// more digits, with an optional plus (raw or escaped). Ticket and volunteer
// ids are far shorter.
var phoneLike = regexp.MustCompile(`(\+|%2[bB])?[0-9]{9,15}`)

// maskPhones hides phone-like runs in s with dispatch.MaskPhone.
func maskPhones(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, func(p string) string {
		p = strings.Replace(strings.Replace(p, "%2B", "+", 1), "%2b", "+", 1)
		return dispatch.MaskPhone(p)
	})
}

// quietPaths are probed every few seconds; their lines go to debug.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// accessLog writes one line per request and records its metrics. It runs the
// error handler itself, so that the line has the status the client got.
func (s *Server) accessLog(m *metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			req, res := c.Request(), c.Response()
			d := time.Since(start)
			route := c.Path()
			if errors.Is(err, echo.ErrNotFound) || errors.Is(err, echo.ErrMethodNotAllowed) || route == "" {
				// an unrouted path must not become a label of its own
				route = "unmatched"
			}
			m.observe(req.Method, route, res.Status, d)
			level := slog.LevelInfo
			if quietPaths[route] {
				level = slog.LevelDebug
			}
			path := req.URL.Path
			if req.URL.RawQuery != "" {
				path += "?" + req.URL.RawQuery
			}
			s.logger.LogAttrs(req.Context(), level, "http request",
				slog.String("method", req.Method),
				slog.String("route", route),
				slog.String("path", maskPhones(path)),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("duration", d),
			)
			return nil
		}
	}
}

// recoverPanic turns a panic into an internal error, stack included for
// the log. http.ErrAbortHandler is net/http's way to drop a connection and
// goes on up.
func recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			buf := make([]byte, 8<<10)
			buf = buf[:runtime.Stack(buf, false)]
			err = dispatch.E("http", fmt.Errorf("panic: %v\n%s", r, buf))
		}()
		return next(c)
	}
}

// DefaultCSP allows scripts, styles, images and connections from the
// service's own origin only: no inline script, no framing.
const DefaultCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(csp string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			return next(c)
		}
	}
}

// bodyLimit refuses a declared length above limit at once and caps a body
// of unknown length while it is read: the reader then fails with an
// *http.MaxBytesError, which the error table turns into 413. A route of
// routes ("METHOD /pattern") has its own limit instead; the middleware runs
// after routing, so the pattern is known.
// drainLimit is the most of a refused body that is read before the answer.
const drainLimit = 1 << 20

func bodyLimit(def int64, routes map[string]int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			limit := def
			if l, ok := routes[r.Method+" "+c.Path()]; ok {
				limit = l
			}
			if r.ContentLength > limit {
				// A body a little over the limit is read and dropped
				// first, so that its sender, still writing, gets the 413
				// rather than a reset connection; a huge one is not.
				if r.ContentLength <= drainLimit && r.Body != nil {
					_, _ = io.CopyN(io.Discard, r.Body, r.ContentLength)
				}
				return dispatch.Errorf(dispatch.ETOOLARGE, "the request body is larger than %d bytes", limit)
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
			}
			return next(c)
		}
	}
}
