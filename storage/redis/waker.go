package redis

import (
	"context"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Waker is dispatch.Waker over Redis pub/sub: Wake publishes on a channel
// that Run listens to on every process, and a wake turns into a local signal
// that releases one Wait. A wake that arrives while nobody waits is kept (one
// at most), so that an outbox sender busy sending when rows were enqueued
// looks again at once instead of after its full wait.
//
// Without Run (or while Redis is down) Wait still returns after d: senders
// fall back to polling, they do not stall.
type Waker struct {
	c      *Client
	signal chan struct{}
	ready  chan struct{}
}

var _ dispatch.Waker = (*Waker)(nil)

// NewWaker returns a waker; start its listener with Run.
func NewWaker(c *Client) *Waker {
	return &Waker{c: c, signal: make(chan struct{}, 1), ready: make(chan struct{})}
}

// Wake wakes one waiting sender on every process, this one included.
func (w *Waker) Wake(ctx context.Context) error {
	w.notify()
	return fail("redis.Waker.Wake", w.c.rdb.Publish(ctx, w.c.wakeChannel(), "1").Err())
}

// Wait returns after d, when woken, or when ctx ends (with its error).
func (w *Waker) Wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.signal:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return dispatch.E("redis.Waker.Wait", ctx.Err())
	}
}

// Run listens for wakes from every process until ctx ends, then returns nil.
// go-redis resubscribes by itself after a lost connection. Call it once, in a
// goroutine the process owns.
func (w *Waker) Run(ctx context.Context) error {
	ps := w.c.rdb.Subscribe(ctx, w.c.wakeChannel())
	defer ps.Close()
	// Wait for the confirmation so that Ready means "wakes reach us now";
	// when Redis is down, keep trying until it is back or ctx ends.
	for {
		_, err := ps.Receive(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	close(w.ready)
	// A resubscription after a lost connection wakes the workers too: a
	// wake published in the gap was lost, and a spurious one costs a look.
	in := ps.ChannelWithSubscriptions()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-in:
			if !ok {
				return nil
			}
			w.notify()
		}
	}
}

// Ready is closed once Run is subscribed: wakes from any process reach this
// one from then on.
func (w *Waker) Ready() <-chan struct{} { return w.ready }

func (w *Waker) notify() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}
