// Package console is the dispatchers' web console: server-rendered pages
// (html/template, assets embedded in the binary) for the live queue, tickets,
// volunteers and clients, with a little plain JavaScript for live updates by
// server-sent events. Every text exists in Kazakh, Russian and English.
//
// Pages owned by other files of this package (reports, map, simulator) build
// on the same layout: they render through (*Console).Render with a *Page and
// mount their routes from Register.
package console

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Limiter allows limit events per period for a key (a fixed or sliding
// window); dispatch.Limiter (Redis) satisfies it.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, per time.Duration) (bool, error)
}

// Options are what the console needs. Store, Actions and Bus are required;
// the rest have defaults.
type Options struct {
	Store       dispatch.Store
	Actions     dispatch.TicketActions
	Assignments dispatch.Assignments
	Bus         dispatch.EventBus
	Phones      dispatch.Phones
	// Limiter counts login attempts across processes. Nil: an in-process
	// counter, which is right for a single process only.
	Limiter                Limiter
	SessionTTL             time.Duration // default 12h
	CookieSecure           bool
	LoginAttemptsPerMinute int // default 5
	Now                    func() time.Time
	Logger                 *slog.Logger
	// SimulatorMode shows the phone simulator (no Twilio credentials).
	SimulatorMode bool
	// Pages configure the reports, map and simulator pages (report.go).
	Pages PageOptions
	// Heartbeat is how often an idle event stream sends a comment so that
	// proxies keep it open. Default 15s.
	Heartbeat time.Duration
	// Records are the barrier reports, volunteer hours and erasure pages.
	Records RecordsOptions
	// Attachments are the photos sent with tickets (attachment.go); nil:
	// Store's own, when it keeps them (a wrapped store hides them).
	Attachments dispatch.AttachmentRepo
	// Signups approve and reject volunteers who signed up by SMS or the
	// public form; nil leaves the pending list out.
	Signups *dispatch.Signups
}

// Console serves /console. Build it with New, mount it with Register, and
// call Close when the server shuts down so that open event streams end.
type Console struct {
	opts  Options
	store dispatch.Store
	log   *slog.Logger
	now   func() time.Time
	tmpl  *templates
	cat   catalogue
	limit Limiter

	quit     chan struct{}
	quitOnce sync.Once
	hub      *hub // live events: one bus subscription for every stream

	dummyOnce sync.Once
	dummyHash []byte
}

// New builds a console. It panics when the embedded templates or message
// catalogue do not parse: that is a bug caught by any test, not a runtime
// condition.
func New(opts Options) *Console {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.LoginAttemptsPerMinute <= 0 {
		opts.LoginAttemptsPerMinute = 5
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	cat, err := loadCatalogue(assets)
	if err != nil {
		panic(err)
	}
	c := &Console{
		opts:  opts,
		store: opts.Store,
		log:   opts.Logger,
		now:   opts.Now,
		cat:   cat,
		limit: opts.Limiter,
		quit:  make(chan struct{}),
	}
	if c.limit == nil {
		c.limit = newLocalLimiter(opts.Now)
	}
	if opts.Bus != nil {
		c.hub = newHub(opts.Bus, c.ticketCentres, c.log, c.quit)
	}
	t, err := parseTemplates(assets, c.funcs())
	if err != nil {
		panic(err)
	}
	c.tmpl = t
	return c
}

// Close ends every open event stream (http.Server.Shutdown does not cancel
// the requests it waits for). Register it with http.Server.RegisterOnShutdown
// or call it before Shutdown. It is safe to call more than once.
func (c *Console) Close() { c.quitOnce.Do(func() { close(c.quit) }) }

// Register mounts every console route under /console.
func (c *Console) Register(e *echo.Echo) {
	static, _ := fs.Sub(assets, "static")
	e.GET("/console/static/*", echo.WrapHandler(http.StripPrefix("/console/static/",
		cacheStatic(http.FileServer(http.FS(static))))))

	g := e.Group("/console")
	c.registerAuth(g)
	c.registerQueue(g)
	c.registerTickets(g)
	c.registerAttachments(g) // attachment.go: the photos of a ticket
	c.registerVolunteers(g)
	c.registerClients(g)
	c.registerUsers(g)
	// Pages of report*.go, map*.go and simulator*.go:
	c.registerReports(g)
	c.registerMap(g)
	c.registerSimulator(g)
	c.registerRecords(g) // barriers*.go, hours*.go, erasure*.go
	c.registerRegistry(g)
}

// cacheStatic lets browsers keep assets for an hour: they change only with
// a new binary.
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}
