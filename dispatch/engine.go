package dispatch

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// EngineOptions tune the dispatch engine. Zero values take the defaults,
// which are those of configs/defaults.env.
type EngineOptions struct {
	// Radii are the search radii in km, widened in turn until Batch
	// volunteers are eligible (MATCH_RADII_KM).
	Radii []float64
	// StayInCentre keeps a ticket routed to a centre among that centre's
	// volunteers (and those of no centre); false lets matching cross to
	// volunteers of other centres near the border, who rank below a
	// same-centre volunteer at equal distance (!MATCH_ACROSS_CENTRES).
	StayInCentre bool
	// Batch is how many volunteers one wave offers the ticket to at once.
	Batch int
	// OfferTTL is how long an offer stays open.
	OfferTTL time.Duration
	// MaxWaves and MaxWait bound the search: after either, the ticket is
	// escalated to a dispatcher.
	MaxWaves int
	MaxWait  time.Duration
	// ConfirmWindow is how long the client has to confirm a completed
	// ticket before a dispatcher is asked to follow up.
	ConfirmWindow time.Duration
	// Workers is how many tickets this process handles at once.
	Workers int
	// ReconcileInterval is how often PostgreSQL is compared with Redis.
	ReconcileInterval time.Duration
	// Location is the time zone of volunteers' weekly windows.
	Location *time.Location
	// Now is the clock; tests move it to expire offers without waiting.
	Now    func() time.Time
	Logger *slog.Logger
	// ClaimWait bounds one blocking Claim, and so how soon a worker notices
	// that Run's context ended.
	ClaimWait time.Duration
	// WorkTimeout bounds the handling of one ticket, which runs to its end
	// even when Run's context ends, so that no transaction is cut midway.
	WorkTimeout time.Duration
}

func (o EngineOptions) withDefaults() EngineOptions {
	if len(o.Radii) == 0 {
		o.Radii = []float64{3, 10, 25}
	}
	if o.Batch <= 0 {
		o.Batch = 3
	}
	if o.OfferTTL <= 0 {
		o.OfferTTL = 10 * time.Minute
	}
	if o.MaxWaves <= 0 {
		o.MaxWaves = 3
	}
	if o.MaxWait <= 0 {
		o.MaxWait = time.Hour
	}
	if o.ConfirmWindow <= 0 {
		o.ConfirmWindow = 24 * time.Hour
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.ReconcileInterval <= 0 {
		o.ReconcileInterval = 30 * time.Second
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ClaimWait <= 0 {
		o.ClaimWait = 2 * time.Second
	}
	if o.WorkTimeout <= 0 {
		o.WorkTimeout = 30 * time.Second
	}
	return o
}

// Engine matches tickets to volunteers, sends offers in waves, gives each
// ticket to exactly one volunteer and escalates what it cannot place. Every
// decision is taken under the ticket's row lock in PostgreSQL, so several
// engines on several processes share the work without a leader; Redis only
// says which ticket to look at when.
type Engine struct {
	store Store
	queue Queue
	geo   GeoIndex
	bus   EventBus
	msgs  Messages
	opts  EngineOptions
	log   *slog.Logger
}

var (
	_ Assignments   = (*Engine)(nil)
	_ TicketActions = (*Engine)(nil)
)

// NewEngine returns an engine; Run starts its workers.
func NewEngine(store Store, queue Queue, geo GeoIndex, bus EventBus, msgs Messages, opts EngineOptions) *Engine {
	opts = opts.withDefaults()
	return &Engine{store: store, queue: queue, geo: geo, bus: bus, msgs: msgs, opts: opts, log: opts.Logger}
}

// Run handles tickets from the queue with Workers workers and reconciles
// PostgreSQL with Redis every ReconcileInterval, until ctx ends. It returns
// after the tickets in hand are finished.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range e.opts.Workers {
		wg.Go(func() { e.work(ctx) })
	}
	wg.Go(func() { e.reconcileLoop(ctx) })
	wg.Wait()
	return nil
}

func (e *Engine) work(ctx context.Context) {
	for ctx.Err() == nil {
		l, err := e.queue.Claim(ctx, e.opts.ClaimWait)
		switch {
		case err == nil:
			e.process(ctx, l)
		case ctx.Err() != nil, IsCode(err, ENOTFOUND):
		default:
			e.log.Error("engine: claim", "err", err)
			sleepCtx(ctx, time.Second)
		}
	}
}

// process handles one leased ticket. Without an Ack the lease runs out and
// RequeueExpired hands the ticket out again: that is the retry.
func (e *Engine) process(ctx context.Context, l Lease) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.WorkTimeout)
	defer cancel()
	if err := e.Handle(wctx, l.TicketID); err != nil {
		e.log.Error("engine: handle ticket", "ticket", l.TicketID, "err", err)
		e.retrySoon(wctx, l)
		return
	}
	if err := e.queue.Ack(wctx, l); err != nil {
		e.log.Warn("engine: ack", "ticket", l.TicketID, "err", err)
	}
}

// retryDelay is how soon a ticket whose handling failed is looked at again.
const retryDelay = 2 * time.Second

// retrySoon queues a ticket whose handling failed (a deadlock, a dropped
// connection) for another look shortly, rather than leaving it parked until
// its lease runs out; when even that fails, the lease remains the retry.
func (e *Engine) retrySoon(ctx context.Context, l Lease) {
	t, err := e.store.Ticket(ctx, l.TicketID)
	if err != nil {
		return
	}
	if err := e.queue.Push(ctx, l.TicketID, e.now().Add(retryDelay), t.Urgency); err != nil {
		return
	}
	if err := e.queue.Ack(ctx, l); err != nil {
		e.log.Warn("engine: ack after a failed handling", "ticket", l.TicketID, "err", err)
	}
}

// Handle looks at one ticket now, as a worker does after claiming it, and
// does what its state in PostgreSQL calls for: the first or next wave of
// offers, escalation, or the follow-up of a completed ticket. Handling a
// ticket twice does no harm.
func (e *Engine) Handle(ctx context.Context, ticketID int64) error {
	const op = "dispatch.Engine.Handle"
	return E(op, e.inTx(ctx, func(r Repo, fx *engineFx) error {
		t, err := r.TicketForUpdate(ctx, ticketID)
		if IsCode(err, ENOTFOUND) {
			return nil // a stale queue entry
		} else if err != nil {
			return err
		}
		now := e.now()
		switch t.Status {
		case StatusQueued:
			return e.nextWave(ctx, r, fx, t, now)
		case StatusOffered:
			return e.checkWave(ctx, r, fx, t, now)
		case StatusCompleted:
			return e.followUp(ctx, r, fx, t, now)
		}
		return e.clearDue(ctx, r, t)
	}))
}

// eventRating is the kind of the event the SMS conversation writes when a
// client rates a completed ticket: the client has confirmed.
const eventRating = "rating"

// eventFollowUp marks a completed ticket the client did not confirm.
const eventFollowUp = "follow-up"

// followUp flags a completed ticket for a dispatcher's call when the client
// has not confirmed it within ConfirmWindow.
func (e *Engine) followUp(ctx context.Context, r Repo, fx *engineFx, t *Ticket, now time.Time) error {
	if t.DueAt == nil {
		return nil
	}
	if now.Before(*t.DueAt) {
		fx.push(t, *t.DueAt)
		return nil
	}
	evs, err := r.Events(ctx, t.ID)
	if err != nil {
		return err
	}
	rated := false
	for _, ev := range evs {
		rated = rated || ev.Kind == eventRating
	}
	t.DueAt = nil
	if !rated {
		t.CallBack = true
		err := fx.record(ctx, r, t, &TicketEvent{Kind: eventFollowUp, Actor: string(ActorSystem), Channel: ChannelSystem,
			Reason: "the client did not confirm within " + e.opts.ConfirmWindow.String()})
		if err != nil {
			return err
		}
	}
	return r.UpdateTicket(ctx, t)
}

// clearDue stops the reconciler from handing out a ticket that needs
// nothing more from the engine.
func (e *Engine) clearDue(ctx context.Context, r Repo, t *Ticket) error {
	if t.DueAt == nil {
		return nil
	}
	t.DueAt = nil
	return r.UpdateTicket(ctx, t)
}

// now is the engine's clock at PostgreSQL's precision, so that a time
// written and read back compares equal to the one computed.
func (e *Engine) now() time.Time { return e.opts.Now().Truncate(time.Microsecond) }

func sleepCtx(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}

// engineFx collects what a transaction causes outside PostgreSQL: queue
// pushes, live events and geo index changes. They happen only after the
// commit, so Redis never knows of a change that was rolled back; if the
// process dies in between, the reconciler repairs the queue and the geo
// index from PostgreSQL.
type engineFx struct {
	pushes []DueTicket
	events []Event
	geo    []geoChange
	// freed are volunteers released from a task, looked up again after the
	// commit, when their count of tasks is down.
	freed []int64
}

// geoChange puts a volunteer in the index (Loc set) or takes them out.
type geoChange struct {
	ID  int64
	Loc *Location
}

func (fx *engineFx) push(t *Ticket, due time.Time) {
	fx.pushes = append(fx.pushes, DueTicket{ID: t.ID, DueAt: due, Urgency: t.Urgency})
}

// volunteer updates the geo index for v after the commit: in when v can
// take work, out when not.
func (fx *engineFx) volunteer(v *Volunteer) {
	if v.CanTakeWork() {
		loc := *v.Location
		fx.geo = append(fx.geo, geoChange{ID: v.ID, Loc: &loc})
	} else {
		fx.geo = append(fx.geo, geoChange{ID: v.ID})
	}
}

// record appends ev to t's timeline and publishes it after the commit.
func (fx *engineFx) record(ctx context.Context, r Repo, t *Ticket, ev *TicketEvent) error {
	ev.TicketID = t.ID
	if err := r.AddEvent(ctx, ev); err != nil {
		return err
	}
	fx.events = append(fx.events, Event{ID: ev.ID, TicketID: t.ID, Kind: ev.Kind, Status: t.Status})
	return nil
}

// transition moves t to another state with its audit event; the caller
// writes the ticket.
func (fx *engineFx) transition(ctx context.Context, r Repo, t *Ticket, to Status, actor Actor, ch Channel, reason string) (*TicketEvent, error) {
	if err := CheckTransition(t.Status, to); err != nil {
		return nil, err
	}
	ev := &TicketEvent{From: t.Status, To: to, Kind: EventTransition, Actor: string(actor), Channel: ch, Reason: reason}
	t.Status = to
	return ev, fx.record(ctx, r, t, ev)
}

// inTx runs fn in one transaction and, once it is committed, applies the
// effects fn collected.
func (e *Engine) inTx(ctx context.Context, fn func(Repo, *engineFx) error) error {
	var fx *engineFx
	err := e.store.InTx(ctx, func(r Repo) error {
		fx = &engineFx{} // a retried transaction starts afresh
		return fn(r, fx)
	})
	if err != nil {
		return err
	}
	e.apply(ctx, fx)
	return nil
}

// apply carries out committed effects. Failures are logged, not returned:
// the change is committed, and the reconciler repairs Redis from PostgreSQL.
func (e *Engine) apply(ctx context.Context, fx *engineFx) {
	ctx = context.WithoutCancel(ctx)
	for _, id := range fx.freed {
		v, err := e.store.Volunteer(ctx, id)
		if err != nil {
			e.log.Warn("engine: freed volunteer", "volunteer", id, "err", err)
			continue
		}
		fx.volunteer(v)
	}
	for _, g := range fx.geo {
		var err error
		if g.Loc != nil {
			err = e.geo.Set(ctx, g.ID, *g.Loc)
		} else {
			err = e.geo.Remove(ctx, g.ID)
		}
		if err != nil {
			e.log.Warn("engine: geo index", "volunteer", g.ID, "err", err)
		}
	}
	for _, p := range fx.pushes {
		if err := e.queue.Push(ctx, p.ID, p.DueAt, p.Urgency); err != nil {
			e.log.Warn("engine: push", "ticket", p.ID, "err", err)
		}
	}
	if e.bus == nil {
		return
	}
	for _, ev := range fx.events {
		if err := e.bus.Publish(ctx, ev); err != nil {
			e.log.Warn("engine: publish", "ticket", ev.TicketID, "err", err)
			return // the bus is down; consoles resume from PostgreSQL
		}
	}
}

// message queues a text in r's transaction (QueueMessage). The key makes
// it idempotent: one event, one message.
func (e *Engine) message(ctx context.Context, r Repo, key, to string, lang Lang, t *Ticket, template string, data map[string]any) error {
	id := t.ID
	return QueueMessage(ctx, r, e.msgs, key, to, lang, &id, template, data)
}

// volunteerLang is the language to write to v in: the ticket's when v reads
// it, else v's first.
func volunteerLang(v *Volunteer, prefer Lang) Lang {
	if v.SpeaksAny(prefer) || len(v.Languages) == 0 || !v.Languages[0].Valid() {
		return prefer
	}
	return v.Languages[0]
}

func volunteerActor(id int64) Actor { return Actor("volunteer:" + strconv.FormatInt(id, 10)) }
