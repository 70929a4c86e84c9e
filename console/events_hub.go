package console

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

const (
	// hubBuffer is how far one stream may fall behind the bus before the
	// hub drops it; the browser then reconnects with Last-Event-ID and
	// catches up from PostgreSQL. A stuck stream must not hold up the rest.
	hubBuffer = 256
	// hubBatch is the most events read off the bus before one round of
	// centre lookups and fan-out.
	hubBatch = 256
	// hubKnown bounds the ticket → centre cache.
	hubKnown = 10000
	// hubLookup bounds one centre lookup, so that a hung PostgreSQL cannot
	// stop the fan-out for long.
	hubLookup = 5 * time.Second
)

// hub is the process's one subscription to the event bus, fanned out in
// memory to every open console stream. One subscription per stream cost a
// Redis connection and three goroutines each, and Redis sent every event
// once per console; and each stream of a centre's dispatcher looked up
// every new ticket's centre in PostgreSQL on its own, a thousand queries
// for one new ticket with a thousand consoles open. The hub looks a
// ticket's centre up once for the process, when it first sees the ticket
// and again when the ticket is routed or moved (EventRouted), and hands
// each stream the event with that centre.
type hub struct {
	bus     dispatch.EventBus
	centres func(ctx context.Context, ids []int64) (map[int64]int64, error)
	log     *slog.Logger
	quit    <-chan struct{}

	mu      sync.Mutex
	running bool
	subs    map[*hubSub]struct{}
	known   map[int64]int64 // ticket → centre; used by the run goroutine only
}

// hubSub is one stream's subscription. Its channel is closed when the hub
// drops it (too slow, the bus ended, a centre lookup failed for a scoped
// stream); the stream then ends and the browser resumes from PostgreSQL.
type hubSub struct {
	ch     chan *hubEvent // shared by every stream: read, never written
	scoped bool           // the stream filters by centre, so events need theirs
}

// hubEvent is a bus event with what the hub knows of its ticket: its centre
// (0: unrouted), or that it no longer exists. Centre is only looked up when
// a scoped stream is open.
type hubEvent struct {
	dispatch.Event
	centre int64
	gone   bool
	// from is a routed ticket's centre before the move, when the hub knew
	// it (moved): a stream that saw the ticket there is sent the move, so
	// that its page drops the row and recounts.
	from  int64
	moved bool
}

func newHub(bus dispatch.EventBus, centres func(context.Context, []int64) (map[int64]int64, error), log *slog.Logger, quit <-chan struct{}) *hub {
	return &hub{bus: bus, centres: centres, log: log, quit: quit, subs: map[*hubSub]struct{}{}, known: map[int64]int64{}}
}

// subscribe registers a stream. Once it returns, every event published
// afterwards reaches the stream (the bus subscription is confirmed before
// the first stream is registered), as Bus.Subscribe promises for one
// subscription of its own.
func (h *hub) subscribe(ctx context.Context, scoped bool) (*hubSub, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		bctx, cancel := context.WithCancel(context.Background())
		live, err := h.bus.Subscribe(bctx)
		if err != nil {
			cancel()
			return nil, err
		}
		h.running = true
		go func() { // ends when the console closes: the bus channel closes then
			select {
			case <-h.quit:
			case <-bctx.Done():
			}
			cancel()
		}()
		go h.run(bctx, cancel, live)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	s := &hubSub{ch: make(chan *hubEvent, hubBuffer), scoped: scoped}
	h.subs[s] = struct{}{}
	return s, nil
}

// unsubscribe forgets a stream that ended on its own.
func (h *hub) unsubscribe(s *hubSub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// run reads the bus until it closes, then drops every stream so that they
// reconnect (and the next one subscribes the hub again).
func (h *hub) run(ctx context.Context, cancel context.CancelFunc, live <-chan dispatch.Event) {
	defer cancel()
	batch := make([]*hubEvent, 0, hubBatch)
	for {
		e, ok := <-live
		if !ok {
			h.mu.Lock()
			for s := range h.subs {
				close(s.ch)
			}
			clear(h.subs)
			h.running = false
			h.mu.Unlock()
			return
		}
		batch = append(batch[:0], &hubEvent{Event: e})
	more:
		for len(batch) < hubBatch {
			select {
			case e, ok := <-live:
				if !ok {
					break more // the next receive sees the close
				}
				batch = append(batch, &hubEvent{Event: e})
			default:
				break more
			}
		}
		lookupFailed := false
		if h.anyScoped() {
			lookupFailed = !h.resolve(ctx, batch)
		}
		h.fanOut(batch, lookupFailed)
	}
}

func (h *hub) anyScoped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.scoped {
			return true
		}
	}
	return false
}

// resolve fills in each event's centre from the cache, looking up the
// tickets not seen before and those just routed, all of a batch in one
// transaction (one by one when one of them is gone). It reports false when
// a lookup failed (PostgreSQL away).
func (h *hub) resolve(ctx context.Context, batch []*hubEvent) bool {
	// Forget before looking up, never after: an event of this batch must
	// not lose the centre it is about to be given.
	if len(h.known) > hubKnown-hubBatch {
		clear(h.known)
	}
	var need []int64
	asked := map[int64]bool{}
	before := map[int64]int64{} // routed tickets' centres before this batch
	for _, e := range batch {
		c, ok := h.known[e.TicketID]
		if e.TicketID != 0 && (!ok || e.Kind == dispatch.EventRouted) && !asked[e.TicketID] {
			asked[e.TicketID] = true
			need = append(need, e.TicketID)
			if ok {
				before[e.TicketID] = c
			}
		}
	}
	gone := map[int64]bool{}
	if len(need) > 0 {
		cs, err := h.lookup(ctx, need)
		if dispatch.IsCode(err, dispatch.ENOTFOUND) {
			cs, err = map[int64]int64{}, nil
			for _, id := range need {
				one, lerr := h.lookup(ctx, []int64{id})
				if dispatch.IsCode(lerr, dispatch.ENOTFOUND) {
					gone[id] = true
					continue
				} else if lerr != nil {
					err = lerr
					break
				}
				cs[id] = one[id]
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("console: live events: ticket centres", "tickets", len(need), "err", err)
			}
			return false
		}
		for id, c := range cs {
			h.known[id] = c
		}
	}
	for _, e := range batch {
		if e.TicketID != 0 {
			e.gone, e.centre = gone[e.TicketID], h.known[e.TicketID]
		}
		if from, ok := before[e.TicketID]; ok && e.Kind == dispatch.EventRouted && from != e.centre {
			e.from, e.moved = from, true
		}
	}
	return true
}

func (h *hub) lookup(ctx context.Context, ids []int64) (map[int64]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, hubLookup)
	defer cancel()
	return h.centres(ctx, ids)
}

// fanOut hands the batch to every stream without waiting: a stream whose
// buffer is full is dropped, and so are the scoped streams when the
// centres could not be looked up.
func (h *hub) fanOut(batch []*hubEvent, lookupFailed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.scoped && lookupFailed {
			close(s.ch)
			delete(h.subs, s)
			continue
		}
		for _, e := range batch {
			select {
			case s.ch <- e:
				continue
			default:
			}
			close(s.ch)
			delete(h.subs, s)
			break
		}
	}
}
