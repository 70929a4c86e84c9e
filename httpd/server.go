// Package httpd is the HTTP server every web-facing package registers on:
// request ids, access log, recovery, body limit, security headers, metrics,
// health and readiness, and the one table that turns a dispatch error into a
// status and a body.
package httpd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Check is one dependency /readyz asks about.
type Check struct {
	Name string // "postgresql", "redis": what the 503 body names
	Ping func(ctx context.Context) error
}

// Options configure a Server. Zero values get the defaults noted.
type Options struct {
	Logger *slog.Logger // default: slog.Default()
	// Registry receives the HTTP metrics and is served at /metrics. Nil:
	// a fresh registry of the server's own.
	Registry *prometheus.Registry
	// BodyLimit is the largest request body in bytes (BODY_LIMIT_BYTES);
	// default 1 MiB.
	BodyLimit int64
	// RouteBodyLimits replace BodyLimit for single routes, keyed by method
	// and route pattern ("POST /request": the form that carries photos).
	RouteBodyLimits map[string]int64
	// Checks are what /readyz pings, each with CheckTimeout (default 2s).
	Checks       []Check
	CheckTimeout time.Duration
	// CSP replaces the default Content-Security-Policy, which allows
	// scripts, styles and images from the service's own origin only.
	CSP string
	// ReadHeaderTimeout and IdleTimeout of the http.Server; defaults 10s
	// and 120s. There is no write timeout: server-sent events stream for
	// hours.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// TrustedProxies are the networks whose X-Forwarded-For the server
	// believes (TRUSTED_PROXIES). Empty: the client's address is the TCP
	// peer's, so that a spoofed header cannot dodge the form's and the
	// login's per-address rate limits.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, is the bearer token /metrics asks for
	// (METRICS_TOKEN); empty leaves /metrics open for a scraper on a
	// private network.
	MetricsToken string
}

// Server is the service's HTTP server.
type Server struct {
	echo   *echo.Echo
	http   *http.Server
	logger *slog.Logger
	opts   Options

	mu sync.Mutex
	ln net.Listener
}

// New builds the server with its middleware and the /healthz, /readyz and
// /metrics routes. Other packages add theirs through Echo.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = 1 << 20
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 2 * time.Second
	}
	if opts.CSP == "" {
		opts.CSP = DefaultCSP
	}
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = 10 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 120 * time.Second
	}
	s := &Server{opts: opts, logger: slog.New(NewLogHandler(opts.Logger.Handler()))}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(opts.TrustedProxies)
	m := newMetrics(opts.Registry)
	e.Use(
		requestID,
		s.accessLog(m),
		recoverPanic,
		securityHeaders(opts.CSP),
		bodyLimit(opts.BodyLimit, opts.RouteBodyLimits),
	)
	e.GET("/healthz", healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(m.handler()), metricsAuth(opts.MetricsToken))
	s.echo = e
	s.http = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Echo is the router, for other packages to register their routes on.
func (s *Server) Echo() *echo.Echo { return s.echo }

// Start serves on ln until Shutdown. It returns nil after a Shutdown and the
// listener's error otherwise.
func (s *Server) Start(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.logger.Info("http: listening", "addr", ln.Addr().String())
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Addr is the address Start listens on ("" before Start): with a listener on
// port 0, the port that was picked.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// OnShutdown registers f to run when Shutdown begins: long-lived streams
// (server-sent events) end there, since Shutdown waits for every request.
func (s *Server) OnShutdown(f func()) { s.http.RegisterOnShutdown(f) }

// Shutdown stops accepting connections and waits for the requests in flight
// to finish, or for ctx to end, whichever is first.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.http.Shutdown(ctx)
}
