package api

import (
	"context"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// TokenCentres is the store's knowledge of which centre a token is limited
// to (storage/postgres implements it). Found under Repo wrappers as
// dispatch.AsCentreRepo finds CentreRepo; a store without it limits no
// token.
type TokenCentres interface {
	TokenCentre(ctx context.Context, tokenID int64) (int64, error)
}

const centreKey = "api.centre"

// scope is what a request's token sees: its role and centre (0: all).
type scope struct {
	role   dispatch.Role
	centre int64
}

func (s scope) all() bool { return s.centre == 0 || s.role.Allows(dispatch.RoleCoordinator) }

// scopeOf reads the token's centre once a request. Coordinator and admin
// tokens see every centre whatever their centre says.
func (a *API) scopeOf(c echo.Context) (scope, error) {
	if s, ok := c.Get(centreKey).(scope); ok {
		return s, nil
	}
	tok := token(c)
	s := scope{role: tok.Role}
	if !tok.Role.Allows(dispatch.RoleCoordinator) {
		ctx := c.Request().Context()
		err := a.store.InTx(ctx, func(r dispatch.Repo) error {
			tc, ok := findTokenCentres(r)
			if !ok {
				return nil
			}
			var err error
			s.centre, err = tc.TokenCentre(ctx, tok.ID)
			return err
		})
		if err != nil {
			return s, dispatch.E("api.scopeOf", err)
		}
	}
	c.Set(centreKey, s)
	return s, nil
}

func findTokenCentres(r dispatch.Repo) (TokenCentres, bool) {
	for {
		if tc, ok := r.(TokenCentres); ok {
			return tc, true
		}
		u, ok := r.(interface{ Unwrap() dispatch.Repo })
		if !ok {
			return nil, false
		}
		r = u.Unwrap()
	}
}

// centres returns the centre (0: unrouted) of each ticket.
func (a *API) centres(ctx context.Context, ids []int64) (map[int64]int64, error) {
	return dispatch.TicketCentres(ctx, a.store, ids)
}

// ownTicket answers 404, as for a ticket that does not exist, on every
// /tickets/{id} route when the ticket belongs to a centre the token does
// not see: a centre's partner must not learn of another centre's tickets.
func (a *API) ownTicket(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		const op = "api.ownTicket"
		s, err := a.scopeOf(c)
		if err != nil || s.all() {
			if err != nil {
				return err
			}
			return next(c)
		}
		id, err := pathID(c, "ticket")
		if err != nil {
			return err
		}
		cs, err := a.centres(c.Request().Context(), []int64{id})
		if err != nil {
			return dispatch.E(op, err)
		}
		if !dispatch.SeesCentre(s.role, s.centre, cs[id]) {
			return dispatch.E(op, dispatch.Errorf(dispatch.ENOTFOUND, "ticket %d not found", id))
		}
		return next(c)
	}
}

// scopedTickets lists the tickets of f that the token's centre sees, with
// their count: the centre is applied in the store's query.
func (a *API) scopedTickets(ctx context.Context, s scope, f dispatch.TicketFilter) ([]*dispatch.Ticket, int, error) {
	f.Centre = dispatch.ScopeFor(s.role, s.centre, 0)
	return a.store.Tickets(ctx, f)
}

// ticketRoute reports whether a route names one ticket.
func ticketRoute(path string) bool { return strings.HasPrefix(path, "/tickets/:id") }
