package httpd_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/labstack/echo/v4"
)

// BenchmarkMiddleware measures what every request pays before its handler:
// request id, access log, metrics, headers and the body limit.
func BenchmarkMiddleware(b *testing.B) {
	s := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)})
	s.Echo().GET("/api/v1/tickets/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	s.Echo().GET("/fail", func(c echo.Context) error { return dispatch.Errorf(dispatch.ENOTFOUND, "no ticket") })
	for _, path := range []string{"/api/v1/tickets/42?phone=%2B77011234567", "/fail"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			b.ReportAllocs()
			for b.Loop() {
				s.Echo().ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
