package httpd

import (
	"crypto/subtle"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// ipExtractor decides what c.RealIP() returns. Echo's default believes any
// X-Forwarded-For or X-Real-IP header (GO-2026-6872), which would let one
// sender spread its form posts over made-up addresses; here only the listed
// proxies are believed, and with none the TCP peer is the client.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{
		echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false),
	}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// metricsAuth asks for "Authorization: Bearer <token>" when token is set.
// The comparison takes the same time whatever the guess.
func metricsAuth(token string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if token == "" {
			return next
		}
		want := []byte("Bearer " + token)
		return func(c echo.Context) error {
			got := []byte(c.Request().Header.Get(echo.HeaderAuthorization))
			if subtle.ConstantTimeCompare(got, want) != 1 {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				return echo.NewHTTPError(http.StatusUnauthorized, "metrics need the bearer token METRICS_TOKEN")
			}
			return next(c)
		}
	}
}
