package httpd_test

import (
	"net"
	"testing"

	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/labstack/echo/v4"
)

// A made-up X-Forwarded-For must not change who the client is unless it
// comes from a proxy the settings name: the form's rate limit counts by it.
func TestClientAddressIgnoresForwardedForFromStrangers(t *testing.T) {
	realIP := func(e *echo.Echo) {
		e.GET("/ip", func(c echo.Context) error { return c.String(200, c.RealIP()) })
	}
	hdr := []string{"X-Forwarded-For", "203.0.113.9", "X-Real-IP", "203.0.113.10"}

	ts := start(t, httpd.Options{}, realIP)
	if _, b := do(t, "GET", ts.URL+"/ip", nil, hdr...); string(b) != "127.0.0.1" {
		t.Fatalf("no trusted proxies: client %q, want the TCP peer 127.0.0.1", b)
	}

	_, loop, _ := net.ParseCIDR("127.0.0.0/8")
	ts = start(t, httpd.Options{TrustedProxies: []*net.IPNet{loop}}, realIP)
	if _, b := do(t, "GET", ts.URL+"/ip", nil, hdr...); string(b) != "203.0.113.9" {
		t.Fatalf("loopback trusted: client %q, want the forwarded 203.0.113.9", b)
	}

	_, other, _ := net.ParseCIDR("10.0.0.0/8")
	ts = start(t, httpd.Options{TrustedProxies: []*net.IPNet{other}}, realIP)
	if _, b := do(t, "GET", ts.URL+"/ip", nil, hdr...); string(b) != "127.0.0.1" {
		t.Fatalf("peer not among the trusted: client %q, want 127.0.0.1", b)
	}
}

func TestMetricsToken(t *testing.T) {
	ts := start(t, httpd.Options{MetricsToken: "s3cret"}, nil)
	if res, _ := do(t, "GET", ts.URL+"/metrics", nil); res.StatusCode != 401 {
		t.Fatalf("no token: %d, want 401", res.StatusCode)
	}
	if res, _ := do(t, "GET", ts.URL+"/metrics", nil, "Authorization", "Bearer wrong"); res.StatusCode != 401 {
		t.Fatalf("wrong token: %d, want 401", res.StatusCode)
	}
	res, b := do(t, "GET", ts.URL+"/metrics", nil, "Authorization", "Bearer s3cret")
	if res.StatusCode != 200 || len(b) == 0 {
		t.Fatalf("right token: %d", res.StatusCode)
	}
}
