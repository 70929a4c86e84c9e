package redis

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func claimNow(t *testing.T, q *Queue) dispatch.Lease {
	t.Helper()
	l, err := q.Claim(testCtx(t), 0)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return l
}

func wantEmpty(t *testing.T, q *Queue) {
	t.Helper()
	l, err := q.Claim(testCtx(t), 0)
	if !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Fatalf("Claim = %+v, %v; want ENOTFOUND", l, err)
	}
}

func TestQueueUrgentFirst(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), 0)
	now := time.Now()
	// Normal tickets due earlier than the urgent ones: urgency still wins.
	must(t, q.Push(ctx, 1, now.Add(-time.Minute), dispatch.UrgencyNormal))
	must(t, q.Push(ctx, 2, now.Add(-time.Second), dispatch.UrgencyUrgent))
	must(t, q.Push(ctx, 3, now.Add(-2*time.Second), dispatch.UrgencyUrgent))
	must(t, q.Push(ctx, 4, now.Add(-2*time.Minute), dispatch.UrgencyNormal))
	var got []int64
	for range 4 {
		got = append(got, claimNow(t, q).TicketID)
	}
	want := []int64{3, 2, 4, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("claim order = %v, want %v", got, want)
		}
	}
	wantEmpty(t, q)
}

func TestQueuePushChangesUrgency(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), 0)
	now := time.Now()
	must(t, q.Push(ctx, 1, now.Add(-time.Minute), dispatch.UrgencyNormal))
	must(t, q.Push(ctx, 2, now.Add(-time.Minute), dispatch.UrgencyNormal))
	must(t, q.Push(ctx, 2, now, dispatch.UrgencyUrgent))
	if id := claimNow(t, q).TicketID; id != 2 {
		t.Fatalf("first claim = %d, want the ticket made urgent", id)
	}
	if id := claimNow(t, q).TicketID; id != 1 {
		t.Fatalf("second claim = %d, want 1", id)
	}
	wantEmpty(t, q) // ticket 2 is not left behind in the normal set
}

func TestQueueFutureDue(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), 0)
	clock := time.Now()
	q.now = func() time.Time { return clock }
	must(t, q.Push(ctx, 7, clock.Add(time.Hour), dispatch.UrgencyUrgent))
	wantEmpty(t, q)
	clock = clock.Add(time.Hour - time.Millisecond)
	wantEmpty(t, q)
	clock = clock.Add(time.Millisecond)
	if id := claimNow(t, q).TicketID; id != 7 {
		t.Fatalf("claim when due = %d, want 7", id)
	}
}

func TestQueuePushMovesDue(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), 0)
	now := time.Now()
	must(t, q.Push(ctx, 5, now.Add(-time.Second), dispatch.UrgencyNormal))
	must(t, q.Push(ctx, 5, now.Add(time.Hour), dispatch.UrgencyNormal))
	wantEmpty(t, q)
}

func TestQueueClaimWaitsForDueItem(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), 0)
	// Due shortly: a Claim with a long wait blocks until it is due, not until
	// the wait ends and not by a wake.
	must(t, q.Push(ctx, 8, time.Now().Add(200*time.Millisecond), dispatch.UrgencyNormal))
	l, err := q.Claim(ctx, 30*time.Second)
	if err != nil || l.TicketID != 8 {
		t.Fatalf("Claim = %+v, %v; want ticket 8", l, err)
	}
}

func TestQueueBlockedClaimWakesOnPush(t *testing.T) {
	ctx := testCtx(t)
	c := testClient(t)
	q := NewQueue(c, 0)
	// One BLPOP for the whole wait: without the wake this test hangs (and
	// go test's timeout fails it) instead of passing on a later re-check.
	q.maxBlock = time.Hour
	blocking := make(chan struct{}, 1)
	q.beforeBlock = func() {
		select {
		case blocking <- struct{}{}:
		default:
		}
	}
	other := NewQueue(testClientPrefix(t, c.prefix), 0) // another process
	type result struct {
		l   dispatch.Lease
		err error
	}
	done := make(chan result, 1)
	go func() {
		l, err := q.Claim(ctx, time.Hour)
		done <- result{l, err}
	}()
	<-blocking // the claimer found nothing and is going to block
	must(t, other.Push(ctx, 42, time.Now(), dispatch.UrgencyNormal))
	r := <-done
	if r.err != nil || r.l.TicketID != 42 || r.l.Token == "" {
		t.Fatalf("blocked Claim = %+v, %v; want ticket 42 with a token", r.l, r.err)
	}
}

func TestQueueClaimEndsWithContext(t *testing.T) {
	q := NewQueue(testClient(t), 0)
	blocking := make(chan struct{}, 1)
	q.beforeBlock = func() {
		select {
		case blocking <- struct{}{}:
		default:
		}
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := q.Claim(ctx, time.Hour)
		done <- err
	}()
	<-blocking
	cancel() // shutdown: Claim returns after at most one short block
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Claim after cancel = %v, want context.Canceled", err)
	}
}

func TestQueueClaimTimesOut(t *testing.T) {
	q := NewQueue(testClient(t), 0)
	_, err := q.Claim(testCtx(t), 50*time.Millisecond)
	if !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Fatalf("Claim on an empty queue = %v, want ENOTFOUND", err)
	}
}

func TestQueueAck(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), 0)
	must(t, q.Push(ctx, 9, time.Now(), dispatch.UrgencyNormal))
	l := claimNow(t, q)

	must(t, q.Ack(ctx, dispatch.Lease{TicketID: 9, Token: "not-the-token"}))
	has, err := q.Has(ctx, []int64{9})
	must(t, err)
	if !has[9] {
		t.Fatal("Ack with a wrong token removed the lease")
	}

	must(t, q.Ack(ctx, l))
	has, err = q.Has(ctx, []int64{9})
	must(t, err)
	if has[9] {
		t.Fatal("Ack with the right token left the lease")
	}
	// The lease is gone for good: an expired-lease sweep finds nothing.
	q.now = func() time.Time { return time.Now().Add(24 * time.Hour) }
	if n, err := q.RequeueExpired(ctx); err != nil || n != 0 {
		t.Fatalf("RequeueExpired after Ack = %d, %v", n, err)
	}
}

func TestQueuePushDuringLeaseIsKept(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), 0)
	must(t, q.Push(ctx, 11, time.Now(), dispatch.UrgencyUrgent))
	l := claimNow(t, q)
	must(t, q.Push(ctx, 11, time.Now(), dispatch.UrgencyUrgent)) // "look again"
	must(t, q.Ack(ctx, l))
	l2 := claimNow(t, q)
	if l2.TicketID != 11 || l2.Token == l.Token {
		t.Fatalf("claim after Push during lease = %+v, want ticket 11 with a new token", l2)
	}
}

func TestQueueRequeueExpired(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), time.Minute)
	clock := time.Now()
	q.now = func() time.Time { return clock }
	must(t, q.Push(ctx, 1, clock, dispatch.UrgencyNormal))
	must(t, q.Push(ctx, 2, clock, dispatch.UrgencyUrgent))
	must(t, q.Push(ctx, 3, clock, dispatch.UrgencyNormal))
	urgent := claimNow(t, q)
	claimNow(t, q) // ticket 1, leased and never acked
	if urgent.TicketID != 2 {
		t.Fatalf("first claim = %d, want urgent 2", urgent.TicketID)
	}

	clock = clock.Add(30 * time.Second)
	if n, err := q.RequeueExpired(ctx); err != nil || n != 0 {
		t.Fatalf("RequeueExpired before the deadline = %d, %v", n, err)
	}
	// Ticket 3 is pushed normal but nothing else is due: after the leases
	// run out, the requeued urgent ticket 2 must come back first.
	clock = clock.Add(31 * time.Second)
	n, err := q.RequeueExpired(ctx)
	if err != nil || n != 2 {
		t.Fatalf("RequeueExpired after the deadline = %d, %v; want 2", n, err)
	}
	if id := claimNow(t, q).TicketID; id != 2 {
		t.Fatalf("claim after requeue = %d, want the urgent ticket 2 again", id)
	}
	// The old holder's Ack is now a no-op and does not drop the new lease.
	must(t, q.Ack(ctx, urgent))
	has, err := q.Has(ctx, []int64{1, 2, 3, 4})
	must(t, err)
	if !has[1] || !has[2] || !has[3] || has[4] {
		t.Fatalf("Has = %v, want 1, 2, 3 present and 4 absent", has)
	}
}

func TestQueueConcurrentClaimsOneWinner(t *testing.T) {
	ctx := testCtx(t)
	c := testClient(t)
	queues := []*Queue{NewQueue(c, 0), NewQueue(testClientPrefix(t, c.prefix), 0),
		NewQueue(testClientPrefix(t, c.prefix), 0)}
	for round := range 20 {
		id := int64(1000 + round)
		must(t, queues[0].Push(ctx, id, time.Now(), dispatch.UrgencyNormal))
		var mu sync.Mutex
		var winners []dispatch.Lease
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := range 30 {
			wg.Go(func() {
				<-start
				l, err := queues[g%len(queues)].Claim(ctx, 0)
				if dispatch.IsCode(err, dispatch.ENOTFOUND) {
					return
				}
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				mu.Lock()
				winners = append(winners, l)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 || winners[0].TicketID != id {
			t.Fatalf("round %d: winners = %+v, want exactly one for ticket %d", round, winners, id)
		}
		must(t, queues[0].Ack(ctx, winners[0]))
	}
}

func TestQueueBadInput(t *testing.T) {
	ctx := testCtx(t)
	q := NewQueue(testClient(t), 0)
	if err := q.Push(ctx, 0, time.Now(), dispatch.UrgencyNormal); !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Errorf("Push id 0 = %v, want EINVALID", err)
	}
	if err := q.Push(ctx, 1, time.Now(), "asap"); !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Errorf("Push urgency asap = %v, want EINVALID", err)
	}
	has, err := q.Has(ctx, nil)
	if err != nil || len(has) != 0 {
		t.Errorf("Has(nil) = %v, %v", has, err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
