package integration

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// blipStore fails its first transaction, as a dropped connection would.
type blipStore struct {
	dispatch.Store
	fails atomic.Int32
}

func (s *blipStore) InTx(ctx context.Context, fn func(dispatch.Repo) error) error {
	if s.fails.Add(-1) >= 0 {
		return errors.New("driver: bad connection")
	}
	return s.Store.InTx(ctx, fn)
}

// TestEngineRetriesAFailedTicketSoon: a ticket whose handling failed is
// looked at again within seconds, not parked until its lease runs out (ten
// minutes here, far beyond the test's patience).
func TestEngineRetriesAFailedTicketSoon(t *testing.T) {
	g := newEngRig(t, false, dispatch.EngineOptions{Batch: 1, Workers: 1, ClaimWait: 200 * time.Millisecond})
	g.volunteer("v", 1, nil)
	store, rc := g.open(nil)
	bs := &blipStore{Store: store}
	bs.fails.Store(1)
	q := redis.NewQueue(rc, 10*time.Minute)
	e := dispatch.NewEngine(bs, q, redis.NewGeoIndex(rc), redis.NewBus(rc), g.msgs, g.opts)
	ctx, stop := context.WithCancel(g.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.Run(ctx) })
	defer func() { stop(); wg.Wait() }()

	tk := g.ticket(nil)
	if err := q.Push(g.ctx, tk.ID, time.Now(), tk.Urgency); err != nil {
		t.Fatal(err)
	}
	g.eventually("the ticket offered after a failed first try", func() bool {
		return g.get(tk.ID).Status == dispatch.StatusOffered
	})
	if bs.fails.Load() >= 0 {
		t.Fatal("the injected failure never happened")
	}
}
