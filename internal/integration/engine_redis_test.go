package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Redis loses everything in the middle of dispatching (a FLUSHALL, here of
// this test's keys only): the queue, the leases and the geo index. The
// engines, running as they do in serve, rebuild what they need from
// PostgreSQL and every ticket still reaches assignment.
func TestEngineSurvivesRedisLoss(t *testing.T) {
	g := newEngRig(t, false, dispatch.EngineOptions{Batch: 2, ReconcileInterval: 100 * time.Millisecond,
		ClaimWait: 200 * time.Millisecond, Workers: 2})
	for i := range 6 {
		g.volunteer("v", float64(i+1), func(v *dispatch.Volunteer) { v.MaxTasks = 20 })
	}
	ctx, stop := context.WithCancel(g.ctx)
	var wg sync.WaitGroup
	for range 2 {
		e := g.process()
		wg.Go(func() {
			if err := e.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	defer func() {
		stop()
		wg.Wait() // Run returns once ctx ends
	}()

	var tickets []*dispatch.Ticket
	add := func(push bool) {
		tk := g.ticket(nil)
		if push {
			if err := g.queue.Push(g.ctx, tk.ID, time.Now(), tk.Urgency); err != nil {
				t.Fatal(err)
			}
		}
		tickets = append(tickets, tk)
	}
	offered := func(tks []*dispatch.Ticket) func() bool {
		return func() bool {
			for _, tk := range tks {
				if g.get(tk.ID).Status != dispatch.StatusOffered {
					return false
				}
			}
			return true
		}
	}
	for range 4 {
		add(true)
	}
	g.eventually("the first tickets offered", offered(tickets))

	engWipeRedis(t, g.prefix)
	for range 3 {
		add(true) // intake pushes new tickets to the empty Redis
	}
	add(false) // and one hand-off is lost with the process that made it

	g.eventually("every ticket offered after the wipe", offered(tickets))
	g.eventually("the offered tickets back in the queue", func() bool {
		ids := make([]int64, len(tickets))
		for i, tk := range tickets {
			ids[i] = tk.ID
		}
		has, err := g.queue.Has(g.ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if !has[id] {
				return false
			}
		}
		return true
	})
	if size, err := g.geo.Size(g.ctx); err != nil || size != 6 {
		t.Errorf("geo index size %d (%v) after rebuilding, want 6", size, err)
	}

	e := g.engine()
	for _, tk := range tickets {
		pend := g.offers(tk.ID)[dispatch.OfferPending]
		if len(pend) == 0 {
			t.Fatalf("ticket %d has no open offer", tk.ID)
		}
		if _, err := e.Accept(g.ctx, pend[0], tk.ID, ""); err != nil {
			t.Fatalf("ticket %d: %v", tk.ID, err)
		}
		if got := g.get(tk.ID); got.Status != dispatch.StatusAssigned {
			t.Errorf("ticket %d is %s, want assigned", tk.ID, got.Status)
		}
	}
}

// Run's workers and reconciler end with its context, leaving no goroutine
// behind: a ticket in hand is finished first.
func TestEngineRunStopsCleanly(t *testing.T) {
	g := newEngRig(t, false, dispatch.EngineOptions{ClaimWait: 100 * time.Millisecond, ReconcileInterval: 50 * time.Millisecond})
	g.volunteer("v", 1, nil)
	e := g.process()
	before := goleak.IgnoreCurrent()
	ctx, stop := context.WithCancel(g.ctx)
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	tk := g.ticket(nil)
	if err := g.queue.Push(g.ctx, tk.ID, time.Now(), tk.Urgency); err != nil {
		t.Fatal(err)
	}
	g.eventually("the ticket offered", func() bool { return g.get(tk.ID).Status == dispatch.StatusOffered })
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	goleak.VerifyNone(t, before,
		// database/sql's pool keeps these until the pool closes at cleanup.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionCleaner"))
}
