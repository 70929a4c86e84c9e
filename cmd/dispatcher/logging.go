package main

import (
	"context"
	"io"
	"log/slog"
	"regexp"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
)

// phoneLike matches what could be a phone number in free text: a plus or a
// digit, then at least nine more digits with common separators.
var phoneLike = regexp.MustCompile(`\+?\d[\d\s\-()]{8,}\d`)

// maskText masks every phone-like run in s.
func maskText(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		digits := make([]byte, 0, len(m))
		for i := 0; i < len(m); i++ {
			if m[i] == '+' || (m[i] >= '0' && m[i] <= '9') {
				digits = append(digits, m[i])
			}
		}
		return dispatch.MaskPhone(string(digits))
	})
}

// maskingHandler masks phone numbers in every message and string attribute
// before they reach the log, whatever the code that logged them did: the
// guarantee is the handler's, not each caller's.
type maskingHandler struct{ next slog.Handler }

func (h maskingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h maskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, maskText(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h maskingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	m := make([]slog.Attr, len(as))
	for i, a := range as {
		m[i] = maskAttr(a)
	}
	return maskingHandler{h.next.WithAttrs(m)}
}

func (h maskingHandler) WithGroup(name string) slog.Handler {
	return maskingHandler{h.next.WithGroup(name)}
}

func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, maskText(v.String()))
	case slog.KindGroup:
		g := v.Group()
		m := make([]any, len(g))
		for i, x := range g {
			m[i] = maskAttr(x)
		}
		return slog.Group(a.Key, m...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, maskText(err.Error()))
		}
	}
	return a
}

// newLogger builds the process logger: text or JSON, at the configured level,
// with phone numbers masked.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	// The request id goes on every line logged with a request's context.
	return slog.New(httpd.NewLogHandler(maskingHandler{h}))
}
