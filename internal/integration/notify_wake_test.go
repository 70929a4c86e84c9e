package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// TestNotifyWakeAcrossProcesses shows that a message queued on one process
// leaves through a sender on another without polling: the sender's safety
// tick is an hour, so only the wake can deliver it within the test.
func TestNotifyWakeAcrossProcesses(t *testing.T) {
	g := newNfyRig(t)
	prefix := storagetest.RedisPrefix(t)
	open := func() *redis.Client {
		c, err := redis.Open(g.ctx, storagetest.RedisURL(), prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	senderWaker, queuerWaker := redis.NewWaker(open()), redis.NewWaker(open())
	ctx, cancel := context.WithCancel(g.ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Add(2)
	go func() { defer wg.Done(); _ = senderWaker.Run(ctx) }()
	<-senderWaker.Ready()
	o := dispatch.NewOutbox(g.process(), g.twilio(), senderWaker, dispatch.OutboxOptions{Workers: 1, Tick: time.Hour})
	go func() { defer wg.Done(); _ = o.Run(ctx) }()

	queuer := dispatch.WakeSenders(g.process(), queuerWaker)
	id := g.ticket.ID
	for i, key := range []string{"wake:1", "wake:2"} {
		err := queuer.InTx(g.ctx, func(r dispatch.Repo) error {
			return r.Enqueue(g.ctx, &dispatch.Notification{Key: key, TicketID: &id, To: "+77020000100",
				Body: "wake " + key, Template: "client.help", Lang: dispatch.LangEN})
		})
		if err != nil {
			t.Fatal(err)
		}
		ns := g.settle()
		if len(ns) != i+1 || ns[i].Status != dispatch.NotifySent {
			t.Fatalf("after %s: %+v", key, ns)
		}
	}
	g.exactlyOnce(g.rows())
}

// flakySender fails its first sends with EUNAVAILABLE, then sends through
// next.
type flakySender struct {
	next  dispatch.Sender
	mu    sync.Mutex
	fails int
}

func (s *flakySender) Send(ctx context.Context, n *dispatch.Notification) (string, error) {
	s.mu.Lock()
	fail := s.fails > 0
	s.fails--
	s.mu.Unlock()
	if fail {
		return "", dispatch.Errorf(dispatch.EUNAVAILABLE, "the provider is down")
	}
	return s.next.Send(ctx, n)
}

func (s *flakySender) Lookup(ctx context.Context, n *dispatch.Notification) (string, error) {
	return s.next.Lookup(ctx, n)
}

// TestNotifyRetryWithoutPolling: a send that failed for a while is retried
// when its backoff ends, though no commit wakes the sender and its safety
// tick is an hour: the outbox wakes itself for the retries it scheduled,
// instead of polling PostgreSQL.
func TestNotifyRetryWithoutPolling(t *testing.T) {
	g := newNfyRig(t)
	o := dispatch.NewOutbox(g.process(), &flakySender{next: g.twilio(), fails: 2}, nil, dispatch.OutboxOptions{
		Workers: 1, Tick: time.Hour, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	g.enqueue(1)
	ctx, cancel := context.WithCancel(g.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = o.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	ns := g.settle()
	if len(ns) != 1 || ns[0].Status != dispatch.NotifySent || ns[0].Attempts != 3 {
		t.Fatalf("after two failures: %+v", ns)
	}
	g.exactlyOnce(ns)
}
