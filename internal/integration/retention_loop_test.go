package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// TestRetentionLoopRunsAndStops: the background loop syncs the barrier
// reports and sweeps at once on start, and returns when its context ends.
func TestRetentionLoopRunsAndStops(t *testing.T) {
	g := newRecRig(t)
	old := time.Now().Add(-2 * 365 * 24 * time.Hour)
	g.clock.Set(old)
	tk := g.newTicket(g.client("Старый Клиент"), func(tk *dispatch.Ticket) {
		tk.Category = dispatch.CategoryAccessibility
		tk.Description = "старое описание"
	})
	g.finish(tk, dispatch.StatusCancelled, nil, time.Time{}, time.Time{})
	g.clock.Set(time.Now())

	ctx, cancel := context.WithCancel(g.ctx)
	synced := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- g.retention.Run(ctx, time.Hour, func(ctx context.Context) error {
			err := g.barriers.Sync(ctx)
			select {
			case synced <- struct{}{}:
			default:
			}
			return err
		})
	}()
	<-synced
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if _, err := g.barriers.Get(g.ctx, tk.ID); err != nil {
		t.Fatalf("the loop did not sync the barrier reports: %v", err)
	}
	// the loop's own sweep may have been cut short by the cancel; one more
	// finishes the work either way
	if _, err := g.retention.Sweep(g.ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := g.store.Ticket(g.ctx, tk.ID); got.Description != "" {
		t.Fatalf("ticket not redacted: %q", got.Description)
	}
}
