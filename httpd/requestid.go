package httpd

import (
	"context"
	"crypto/rand"
	"log/slog"

	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request id in and out.
const HeaderRequestID = "X-Request-ID"

type requestIDKey struct{}

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, "" when none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID keeps a caller's X-Request-ID when it looks like one (a proxy's
// or a partner's, so that both sides can find the same request), and makes
// one otherwise. Anything longer or stranger is replaced: the id ends up in
// every log line.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(HeaderRequestID, id)
		r := c.Request()
		c.SetRequest(r.WithContext(WithRequestID(r.Context(), id)))
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID returns 22 random lowercase letters (about 100 bits). No
// digits: a log handler that masks phone-like digit runs must never mangle
// the id that joins a request's lines.
func newRequestID() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	out := make([]byte, 0, 22)
	buf := make([]byte, 32)
	for len(out) < cap(out) {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			// 234 is the largest multiple of 26 below 256: no letter is
			// likelier than another
			if b < 234 && len(out) < cap(out) {
				out = append(out, letters[b%26])
			}
		}
	}
	return string(out)
}

// NewLogHandler wraps h so that every record logged with a request's context
// carries its request_id. main wraps the process's handler with it, so that
// the lines of every package that logs with ctx can be joined to the access
// log.
func NewLogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(logHandler); ok {
		return h
	}
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}
