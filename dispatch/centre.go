package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
)

// CentreRepo is a Repo that also knows the centres' areas and a ticket's
// centre. storage/postgres's transaction implements it; found under Repo
// wrappers as SignupRepo is.
type CentreRepo interface {
	Repo
	// CentreAreas lists every centre's districts with their polygons.
	CentreAreas(ctx context.Context) ([]Area, error)
	// RouteTicket records the centre and district a ticket belongs to.
	RouteTicket(ctx context.Context, ticketID, centreID int64, district string) error
	// TicketCentre returns a ticket's centre (0 unrouted) and district.
	TicketCentre(ctx context.Context, ticketID int64) (int64, string, error)
	// SetUserCentre puts a console user in a centre (0: none).
	SetUserCentre(ctx context.Context, userID, centreID int64) error
	// UserCentre returns a console user's centre, 0 for none.
	UserCentre(ctx context.Context, userID int64) (int64, error)
	// Centres lists the centres by ID, for a coordinator's choice.
	Centres(ctx context.Context) ([]Centre, error)
	// UnroutedTickets lists, by ID, up to limit tickets after afterID that
	// have a place and no centre: those to route again (RouteUnrouted).
	UnroutedTickets(ctx context.Context, afterID int64, limit int) ([]int64, error)
}

// Centre is a volunteer centre with its name in each language.
type Centre struct {
	ID    int64           `json:"id"`
	Key   string          `json:"key"`
	Names map[Lang]string `json:"names"`
}

// Name is the centre's name in l, else its key.
func (c Centre) Name(l Lang) string {
	if n := c.Names[l]; n != "" {
		return n
	}
	return c.Key
}

// ListCentres reads the centres in one transaction (see CentreRepo.Centres).
func ListCentres(ctx context.Context, store Store) ([]Centre, error) {
	var out []Centre
	err := store.InTx(ctx, func(r Repo) error {
		cr, err := AsCentreRepo(r)
		if err != nil {
			return err
		}
		out, err = cr.Centres(ctx)
		return err
	})
	return out, E("dispatch.ListCentres", err)
}

// AsCentreRepo finds the CentreRepo under a transaction's Repo (for the
// console and the API, which check a user's centre against a ticket's).
func AsCentreRepo(r Repo) (CentreRepo, error) {
	return extension[CentreRepo]("dispatch.AsCentreRepo", r)
}

// SeesCentre reports whether a user or token of role r belonging to
// centre mine (0: none) sees and acts on a ticket of centre theirs (0:
// unrouted). Coordinators and admins see every centre; anyone without a
// centre sees all (a service run by one centre); anyone else sees their
// centre's tickets and the unrouted ones, which need someone to move them.
func SeesCentre(r Role, mine, theirs int64) bool {
	return r.Allows(RoleCoordinator) || mine == 0 || theirs == 0 || mine == theirs
}

// EventRouted is the audit event of a ticket put in, or moved to, a centre.
const EventRouted = "routed"

// Router puts tickets in the volunteer centre whose area contains them.
type Router struct {
	store Store
	log   *slog.Logger
	bus   EventBus
}

// NewRouter returns a router on store (its transactions implement
// CentreRepo); log (nil: discard) hears of tickets left unrouted.
func NewRouter(store Store, log *slog.Logger) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Router{store: store, log: log}
}

// WithBus makes the router publish its "routed" events on bus, so that
// the consoles' live streams, which filter by centre, learn that a ticket
// changed centre: the old centre's queue drops it, the new one's shows it.
func (rt *Router) WithBus(bus EventBus) *Router {
	rt.bus = bus
	return rt
}

// publish tells the consoles of a routing; a lost event only delays what
// a reload shows, so it is logged, not returned.
func (rt *Router) publish(ctx context.Context, ev *TicketEvent) {
	if rt.bus == nil || ev.ID == 0 {
		return
	}
	if err := rt.bus.Publish(ctx, Event{ID: ev.ID, TicketID: ev.TicketID, Kind: ev.Kind}); err != nil {
		rt.log.Warn("routed event not published", "ticket", ev.TicketID, "err", err)
	}
}

// Route puts the ticket in the centre whose district contains its place,
// with the audit event "routed to centre X", and returns that area. False
// when the ticket has no place or the place is in no centre's area.
func (rt *Router) Route(ctx context.Context, ticketID int64) (Area, bool, error) {
	const op = "dispatch.Router.Route"
	var (
		area  Area
		found bool
		ev    TicketEvent
	)
	err := rt.store.InTx(ctx, func(r Repo) error {
		cr, err := extension[CentreRepo](op, r)
		if err != nil {
			return err
		}
		t, err := r.Ticket(ctx, ticketID)
		if err != nil || t.Location == nil {
			return err
		}
		areas, err := cr.CentreAreas(ctx)
		if err != nil {
			return err
		}
		if area, found = RouteArea(areas, *t.Location); !found {
			return nil
		}
		return rt.record(ctx, r, cr, &ev, t.ID, area, ActorSystem,
			fmt.Sprintf("routed to centre %s (%s)", area.Centre, area.District))
	})
	if err == nil {
		rt.publish(ctx, &ev)
	}
	return area, found, E(op, err)
}

// Move puts a ticket in another centre (a coordinator's or an admin's
// decision, the caller checks the role), audited with the actor.
func (rt *Router) Move(ctx context.Context, ticketID, centreID int64, actor Actor) error {
	const op = "dispatch.Router.Move"
	var ev TicketEvent
	err := rt.store.InTx(ctx, func(r Repo) error {
		cr, err := extension[CentreRepo](op, r)
		if err != nil {
			return err
		}
		areas, err := cr.CentreAreas(ctx)
		if err != nil {
			return err
		}
		for _, a := range areas {
			if a.CentreID == centreID {
				return rt.record(ctx, r, cr, &ev, ticketID, a, actor, "moved to centre "+a.Centre)
			}
		}
		return Errorf(ENOTFOUND, "centre %d not found", centreID)
	})
	if err == nil {
		rt.publish(ctx, &ev)
	}
	return E(op, err)
}

func (rt *Router) record(ctx context.Context, r Repo, cr CentreRepo, ev *TicketEvent, ticketID int64, a Area, actor Actor, reason string) error {
	if err := cr.RouteTicket(ctx, ticketID, a.CentreID, a.District); err != nil {
		return err
	}
	*ev = TicketEvent{TicketID: ticketID, Kind: EventRouted, Actor: string(actor),
		Channel: ChannelSystem, Reason: reason, Data: `{"centre_id":` + strconv.FormatInt(a.CentreID, 10) + `}`}
	return r.AddEvent(ctx, ev)
}

// RouteUnrouted routes every ticket that has a place and no centre: those
// made before centres existed, or whose routing failed. It is the backfill
// of the district kept on a ticket (docs/records.md). Tickets whose place
// lies in no centre's area stay unrouted; it returns how many it routed
// and how many it left.
func (rt *Router) RouteUnrouted(ctx context.Context) (routed, left int, err error) {
	const op = "dispatch.Router.RouteUnrouted"
	const batch = 500
	for after := int64(0); ; {
		var ids []int64
		err := rt.store.InTx(ctx, func(r Repo) error {
			cr, err := extension[CentreRepo](op, r)
			if err != nil {
				return err
			}
			ids, err = cr.UnroutedTickets(ctx, after, batch)
			return err
		})
		if err != nil {
			return routed, left, E(op, err)
		}
		for _, id := range ids {
			_, ok, err := rt.Route(ctx, id)
			if err != nil {
				return routed, left, E(op, err)
			}
			if ok {
				routed++
			} else {
				left++
			}
			after = id
		}
		if len(ids) < batch {
			return routed, left, nil
		}
	}
}

// Wrap returns a TicketIntake that routes each new ticket after intake
// has committed it. A failed routing leaves the ticket unrouted (seen by
// every dispatcher, who can move it) and is logged here, not returned: the
// request itself succeeded and must not be sent again.
func (rt *Router) Wrap(next TicketIntake) TicketIntake { return routedIntake{rt: rt, next: next} }

type routedIntake struct {
	rt   *Router
	next TicketIntake
}

func (ri routedIntake) Submit(ctx context.Context, req IntakeRequest) (*IntakeResult, error) {
	res, err := ri.next.Submit(ctx, req)
	if err != nil || res == nil || res.Existing || res.Ticket == nil || res.Ticket.Location == nil {
		return res, err
	}
	if _, _, err := ri.rt.Route(ctx, res.Ticket.ID); err != nil {
		ri.rt.log.Warn("ticket left unrouted", "ticket", res.Ticket.ID, "err", err)
	}
	return res, nil
}

// extension finds an extension of Repo (SignupRepo, CentreRepo) under r's
// wrappers: a wrapper that adds behaviour to Repo has Unwrap. Writes that
// a wrapper watches, such as Enqueue, go through r itself.
func extension[T any](op string, r Repo) (T, error) {
	for {
		if x, ok := r.(T); ok {
			return x, nil
		}
		u, ok := r.(interface{ Unwrap() Repo })
		if !ok {
			var zero T
			return zero, E(op, Errorf(EINTERNAL, "the store cannot do %T", &zero))
		}
		r = u.Unwrap()
	}
}

// TicketCentres returns the centre (0: unrouted) of each ticket, read in
// one transaction: what the console and the API check a user's or a
// token's centre against.
func TicketCentres(ctx context.Context, store Store, ids []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(ids))
	err := store.InTx(ctx, func(r Repo) error {
		cr, err := AsCentreRepo(r)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if out[id], _, err = cr.TicketCentre(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
	return out, E("dispatch.TicketCentres", err)
}

// CentreScope narrows a list to centres: what the user or token asking may
// see, and which centre they chose to look at. Stores apply it in their
// queries, so that a page counts and pages only what it shows. The zero
// value is every centre.
type CentreScope struct {
	// Centre is the one centre listed; 0 lists every centre.
	Centre int64
	// Unrouted adds the tickets (or volunteers) in no centre to Centre's:
	// a centre's dispatcher sees those too, since someone must move them.
	Unrouted bool
}

// All reports whether the scope lists every centre.
func (s CentreScope) All() bool { return s.Centre == 0 }

// Sees reports whether a ticket of centre theirs (0: unrouted) is in the
// scope: the same answer as SeesCentre for the one who asked.
func (s CentreScope) Sees(theirs int64) bool {
	return s.Centre == 0 || s.Centre == theirs || s.Unrouted && theirs == 0
}

// ScopeFor is the scope of a user or token of role r in centre mine (0:
// none) who chose to look at centre chosen (0: no choice). Coordinators,
// admins and anyone without a centre see every centre and may narrow to
// one; anyone else sees their centre and the unrouted tickets, whatever
// they chose (SeesCentre).
func ScopeFor(r Role, mine, chosen int64) CentreScope {
	if r.Allows(RoleCoordinator) || mine == 0 {
		return CentreScope{Centre: chosen}
	}
	return CentreScope{Centre: mine, Unrouted: true}
}
