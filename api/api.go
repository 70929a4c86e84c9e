// Package api is the REST API under /api/v1, for partner organisations and
// scripts: volunteers, clients and tickets, authenticated by bearer tokens.
// It decodes and checks what it is given, calls the dispatch services and
// the store, and leaves every error's status to the server's one table.
package api

import (
	"log/slog"
	"net/http"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// Options are the API's dependencies. Store, Intake, Actions, Assignments
// and Phones are required; Limiter may be nil (no write limit).
type Options struct {
	Store       dispatch.Store
	Intake      dispatch.TicketIntake
	Actions     dispatch.TicketActions
	Assignments dispatch.Assignments
	Phones      dispatch.Phones
	Limiter     dispatch.Limiter
	Logger      *slog.Logger
	// WritesPerMinute caps the writes one token may make (default 600):
	// a partner's runaway script must not flood the dispatchers' queue.
	WritesPerMinute int
	// Eraser carries out erasure requests (issue 8); nil: a
	// dispatch.Retention on Store, when Store is a dispatch.RetentionStore.
	Eraser ClientEraser
	// Journal, when set, keeps POST /requests while PostgreSQL is away
	// (journal.go); nil answers 503 then.
	Journal dispatch.Journal
}

// API serves /api/v1.
type API struct {
	store   dispatch.Store
	intake  dispatch.TicketIntake
	actions dispatch.TicketActions
	assign  dispatch.Assignments
	phones  dispatch.Phones
	limiter dispatch.Limiter
	log     *slog.Logger
	writes  int
	eraser  ClientEraser
	journal dispatch.Journal
	known   knownTokens
}

// New returns the API.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.WritesPerMinute <= 0 {
		opts.WritesPerMinute = 600
	}
	return &API{store: opts.Store, intake: opts.Intake, actions: opts.Actions, assign: opts.Assignments,
		phones: opts.Phones, limiter: opts.Limiter, log: opts.Logger, writes: opts.WritesPerMinute,
		eraser: opts.Eraser, journal: opts.Journal}
}

// route is one endpoint and the least role that may call it.
type route struct {
	method, path string
	role         dispatch.Role
	handler      echo.HandlerFunc
}

func (a *API) routes() []route {
	viewer, dispatcher := dispatch.RoleViewer, dispatch.RoleDispatcher
	return []route{
		{http.MethodGet, "/openapi.json", viewer, openAPI},

		{http.MethodGet, "/volunteers", viewer, a.listVolunteers},
		{http.MethodPost, "/volunteers", dispatcher, a.createVolunteer},
		{http.MethodGet, "/volunteers/:id", viewer, a.getVolunteer},
		{http.MethodPut, "/volunteers/:id", dispatcher, a.replaceVolunteer},
		{http.MethodPatch, "/volunteers/:id", dispatcher, a.patchVolunteer},
		{http.MethodPost, "/volunteers/:id/pause", dispatcher, a.pauseVolunteer},
		{http.MethodPost, "/volunteers/:id/resume", dispatcher, a.resumeVolunteer},

		{http.MethodGet, "/clients", viewer, a.listClients},
		{http.MethodPost, "/clients", dispatcher, a.createClient},
		{http.MethodGet, "/clients/:id", viewer, a.getClient},
		{http.MethodPut, "/clients/:id", dispatcher, a.replaceClient},
		{http.MethodPatch, "/clients/:id", dispatcher, a.patchClient},
		{http.MethodPost, "/clients/:id/erase", dispatcher, a.eraseClient},

		{http.MethodGet, "/tickets", viewer, a.listTickets},
		{http.MethodPost, "/tickets", dispatcher, a.createTicket},
		{http.MethodGet, "/tickets/:id", viewer, a.getTicket},
		{http.MethodPatch, "/tickets/:id", dispatcher, a.editTicket},
		{http.MethodGet, "/tickets/:id/suggestions", viewer, a.suggestions},
		{http.MethodPost, "/tickets/:id/assign", dispatcher, a.assignTicket},
		{http.MethodPost, "/tickets/:id/cancel", dispatcher, a.cancelTicket},
		{http.MethodPost, "/tickets/:id/escalate", dispatcher, a.escalateTicket},
		{http.MethodPost, "/tickets/:id/deescalate", dispatcher, a.deescalateTicket},
		{http.MethodPost, "/tickets/:id/redispatch", dispatcher, a.redispatchTicket},
		{http.MethodPost, "/tickets/:id/notes", dispatcher, a.addNote},
		{http.MethodPost, "/tickets/:id/messages", dispatcher, a.textClient},

		{http.MethodPost, "/requests", dispatcher, a.createRequest},
	}
}

// Register adds the routes to g, which main mounts at /api/v1. Every route,
// the OpenAPI document included, needs a token: the API holds the phone
// numbers of vulnerable people.
func (a *API) Register(g *echo.Group) {
	g.Use(a.authenticate)
	for _, r := range a.routes() {
		mw := []echo.MiddlewareFunc{require(r.role)}
		if ticketRoute(r.path) {
			mw = append(mw, a.ownTicket)
		}
		if r.method != http.MethodGet {
			mw = append(mw, a.limitWrites)
		}
		g.Add(r.method, r.path, r.handler, mw...)
	}
}
