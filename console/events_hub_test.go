package console

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// memBus is an in-memory EventBus that counts its subscriptions.
type memBus struct {
	mu   sync.Mutex
	subs []chan dispatch.Event
	n    int
}

func (b *memBus) Subscribe(ctx context.Context) (<-chan dispatch.Event, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	ch := make(chan dispatch.Event, 1024)
	b.subs = append(b.subs, ch)
	return ch, nil
}

func (b *memBus) Publish(_ context.Context, e dispatch.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		ch <- e
	}
	return nil
}

// end closes every subscription, as the Redis bus does when its
// connection is gone for good.
func (b *memBus) end() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		close(ch)
	}
	b.subs = nil
}

// lookups is a ticket → centre table that counts its lookups.
type lookups struct {
	mu      sync.Mutex
	centres map[int64]int64
	calls   map[int64]int
	fail    bool
}

func (l *lookups) centre(_ context.Context, ids []int64) (map[int64]int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail {
		return nil, errors.New("postgres away")
	}
	out := map[int64]int64{}
	for _, id := range ids {
		c, ok := l.centres[id]
		if !ok {
			return nil, dispatch.Errorf(dispatch.ENOTFOUND, "ticket %d not found", id)
		}
		out[id] = c
	}
	for _, id := range ids { // answered lookups: a batch that failed counts for none
		l.calls[id]++
	}
	return out, nil
}

func (l *lookups) set(id, centre int64) {
	l.mu.Lock()
	l.centres[id] = centre
	l.mu.Unlock()
}

func newTestHub(t *testing.T) (*hub, *memBus, *lookups) {
	t.Helper()
	bus := &memBus{}
	lk := &lookups{centres: map[int64]int64{1: 1, 2: 2, 3: 0}, calls: map[int64]int{}}
	quit := make(chan struct{})
	t.Cleanup(func() { close(quit) })
	return newHub(bus, lk.centre, slog.New(slog.DiscardHandler), quit), bus, lk
}

func receive(t *testing.T, s *hubSub, n int) []*hubEvent {
	t.Helper()
	var got []*hubEvent
	for len(got) < n {
		e, ok := <-s.ch
		if !ok {
			t.Fatalf("stream dropped after %d of %d events", len(got), n)
		}
		got = append(got, e)
	}
	return got
}

// Fifty streams share one bus subscription; each gets every event once, in
// order, with its ticket's centre; each ticket's centre is looked up once
// for all of them, and again when the ticket is routed.
func TestHubFansOutOneSubscription(t *testing.T) {
	h, bus, lk := newTestHub(t)
	ctx := t.Context()
	var subs []*hubSub
	for i := range 50 {
		s, err := h.subscribe(ctx, i%2 == 0)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	if bus.n != 1 {
		t.Fatalf("%d bus subscriptions for 50 streams, want 1", bus.n)
	}
	sent := []dispatch.Event{
		{ID: 10, TicketID: 1, Kind: "note"},
		{ID: 11, TicketID: 2, Kind: "note"},
		{ID: 12, TicketID: 3, Kind: "note"},
		{ID: 13, TicketID: 9, Kind: "note"}, // gone from the database
		{ID: 14, TicketID: 1, Kind: "note"},
	}
	for _, e := range sent {
		hubMust(t, bus.Publish(ctx, e))
	}
	want := map[int64]hubEvent{10: {centre: 1}, 11: {centre: 2}, 12: {centre: 0}, 13: {gone: true}, 14: {centre: 1},
		15: {centre: 2, from: 1, moved: true}}
	check := func(i int, got []*hubEvent, first int64) {
		t.Helper()
		for k, e := range got {
			id := first + int64(k)
			if w := want[id]; e.ID != id || e.centre != w.centre || e.gone != w.gone || e.from != w.from || e.moved != w.moved {
				t.Fatalf("stream %d: %+v, want id %d %+v", i, e, id, want[id])
			}
		}
	}
	for i, s := range subs {
		check(i, receive(t, s, 5), 10)
	}
	lk.set(1, 2) // moved to centre 2
	hubMust(t, bus.Publish(ctx, dispatch.Event{ID: 15, TicketID: 1, Kind: dispatch.EventRouted}))
	for i, s := range subs {
		check(i, receive(t, s, 1), 15)
	}
	if lk.calls[1] != 2 || lk.calls[2] != 1 || lk.calls[3] != 1 {
		t.Errorf("centre lookups %v, want ticket 1 twice (seen, routed), 2 and 3 once", lk.calls)
	}
	select {
	case e := <-subs[0].ch:
		t.Fatalf("an event delivered twice: %+v", e)
	default:
	}
}

// A stream that stops reading is dropped once its buffer is full; the
// others get everything.
func TestHubDropsStuckStream(t *testing.T) {
	h, bus, _ := newTestHub(t)
	ctx := t.Context()
	stuck, err := h.subscribe(ctx, false)
	hubMust(t, err)
	live, err := h.subscribe(ctx, false)
	hubMust(t, err)
	for i := range hubBuffer + 10 {
		hubMust(t, bus.Publish(ctx, dispatch.Event{ID: int64(i + 1), Kind: "note"}))
		if e := receive(t, live, 1)[0]; e.ID != int64(i+1) {
			t.Fatalf("the reading stream got %d, want %d", e.ID, i+1)
		}
	}
	n := 0
	for range stuck.ch { // ends: the hub closed it
		n++
	}
	if n != hubBuffer {
		t.Errorf("the stuck stream held %d events before it was dropped, want %d", n, hubBuffer)
	}
}

// A failed centre lookup drops the streams that need centres (they resume
// from PostgreSQL), not those that see everything; when the bus ends every
// stream is dropped and the next subscribes anew.
func TestHubLookupFailureAndBusEnd(t *testing.T) {
	h, bus, lk := newTestHub(t)
	ctx := t.Context()
	scoped, err := h.subscribe(ctx, true)
	hubMust(t, err)
	all, err := h.subscribe(ctx, false)
	hubMust(t, err)
	lk.mu.Lock()
	lk.fail = true
	lk.mu.Unlock()
	hubMust(t, bus.Publish(ctx, dispatch.Event{ID: 1, TicketID: 1, Kind: "note"}))
	if e := receive(t, all, 1)[0]; e.ID != 1 {
		t.Fatalf("unscoped stream got %+v", e)
	}
	if _, ok := <-scoped.ch; ok {
		t.Fatal("the scoped stream got an event whose centre is unknown")
	}
	bus.end()
	if _, ok := <-all.ch; ok {
		t.Fatal("a stream outlived the bus")
	}
	again, err := h.subscribe(ctx, false)
	hubMust(t, err)
	if bus.n != 2 {
		t.Fatalf("%d bus subscriptions, want 2 (the hub subscribes again)", bus.n)
	}
	hubMust(t, bus.Publish(ctx, dispatch.Event{ID: 2, Kind: "note"}))
	if e := receive(t, again, 1)[0]; e.ID != 2 {
		t.Fatalf("after the bus came back: %+v", e)
	}
}

func hubMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A full centre cache is emptied before a batch's lookups, so an event of
// a ticket it knew still gets that ticket's centre, not 0 (which every
// dispatcher sees).
func TestHubFullCacheKeepsCentres(t *testing.T) {
	h, _, lk := newTestHub(t) // no stream: nothing runs resolve but this test
	for id := range int64(hubKnown) {
		h.known[1000+id] = 1
	}
	h.known[2] = 2
	lk.set(5000, 1)
	batch := []*hubEvent{{Event: dispatch.Event{ID: 1, TicketID: 5000, Kind: "note"}}, {Event: dispatch.Event{ID: 2, TicketID: 2, Kind: "note"}}}
	if !h.resolve(t.Context(), batch) {
		t.Fatal("lookup failed")
	}
	if batch[0].centre != 1 || batch[1].centre != 2 || batch[1].gone {
		t.Fatalf("centres %d and %d (gone %v), want 1 and 2", batch[0].centre, batch[1].centre, batch[1].gone)
	}
	if len(h.known) > hubKnown {
		t.Errorf("the cache holds %d tickets, more than %d", len(h.known), hubKnown)
	}
}
