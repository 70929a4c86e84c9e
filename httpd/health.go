package httpd

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// healthz answers while the process can serve at all; it checks nothing
// else, so that a database outage does not get the process restarted.
func healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readiness is the body of /readyz.
type readiness struct {
	Status string            `json:"status"` // "ok" or "unavailable"
	Checks map[string]string `json:"checks"` // name → "ok" or the error
	Down   []string          `json:"down,omitempty"`
	// Message names what is down, for a person reading a probe's output.
	Message string `json:"message,omitempty"`
}

// readyz pings every check at once, each with its own timeout, on every
// request: nothing is cached, so it answers 200 as soon as a dependency is
// back.
func (s *Server) readyz(c echo.Context) error {
	ctx := c.Request().Context()
	out := readiness{Status: "ok", Checks: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ch := range s.opts.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, s.opts.CheckTimeout)
			defer cancel()
			err := ch.Ping(cctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out.Checks[ch.Name] = "down"
				out.Down = append(out.Down, ch.Name)
				s.logger.WarnContext(ctx, "readyz: dependency down", "check", ch.Name, "err", err)
				return
			}
			out.Checks[ch.Name] = "ok"
		}()
	}
	wg.Wait()
	if len(out.Down) > 0 {
		sort.Strings(out.Down)
		out.Status = "unavailable"
		out.Message = "not ready: " + strings.Join(out.Down, ", ") + " unreachable"
		return c.JSON(http.StatusServiceUnavailable, out)
	}
	return c.JSON(http.StatusOK, out)
}
