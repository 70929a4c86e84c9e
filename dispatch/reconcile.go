package dispatch

import (
	"context"
	"time"
)

// ReconcileStats say what one reconciliation repaired.
type ReconcileStats struct {
	Requeued int  // leases of dead workers put back
	Pushed   int  // tickets Redis had lost, pushed again
	Rebuilt  bool // the geo index was rebuilt from PostgreSQL
}

// reconcileLoop reconciles at start, rebuilding the geo index whatever its
// state (volunteers may have changed while no process ran), and then every
// ReconcileInterval until ctx ends.
func (e *Engine) reconcileLoop(ctx context.Context) {
	if err := e.RebuildIndex(ctx); err != nil && ctx.Err() == nil {
		e.log.Error("engine: rebuild geo index", "err", err)
	}
	tick := time.NewTicker(e.opts.ReconcileInterval)
	defer tick.Stop()
	for {
		if st, err := e.Reconcile(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("engine: reconcile", "err", err)
		} else if st.Requeued+st.Pushed > 0 || st.Rebuilt {
			e.log.Info("engine: reconciled", "requeued", st.Requeued, "pushed", st.Pushed, "rebuilt", st.Rebuilt)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// hasChunk is how many ticket IDs one Queue.Has call asks about.
const hasChunk = 500

// Reconcile makes Redis agree with PostgreSQL once: leases that ran out go
// back to the queue, every ticket the engine owns but the queue lacks is
// pushed again with its due time, and a lost geo index is rebuilt. Every
// process may run it at any time: it only adds what is missing.
func (e *Engine) Reconcile(ctx context.Context) (ReconcileStats, error) {
	const op = "dispatch.Engine.Reconcile"
	var st ReconcileStats
	n, err := e.queue.RequeueExpired(ctx)
	if err != nil {
		return st, E(op, err)
	}
	st.Requeued = n
	size, err := e.geo.Size(ctx)
	if err != nil {
		return st, E(op, err)
	}
	if size < 0 {
		if err := e.RebuildIndex(ctx); err != nil {
			return st, E(op, err)
		}
		st.Rebuilt = true
	}
	due, err := e.store.DueTickets(ctx)
	if err != nil {
		return st, E(op, err)
	}
	for i := 0; i < len(due); i += hasChunk {
		part := due[i:min(i+hasChunk, len(due))]
		ids := make([]int64, len(part))
		for j, d := range part {
			ids[j] = d.ID
		}
		has, err := e.queue.Has(ctx, ids)
		if err != nil {
			return st, E(op, err)
		}
		for _, d := range part {
			if has[d.ID] {
				continue
			}
			if err := e.queue.Push(ctx, d.ID, d.DueAt, d.Urgency); err != nil {
				return st, E(op, err)
			}
			st.Pushed++
		}
	}
	return st, nil
}

// RebuildIndex replaces the geo index with the volunteers PostgreSQL says
// can take work now.
func (e *Engine) RebuildIndex(ctx context.Context) error {
	const op = "dispatch.Engine.RebuildIndex"
	vols := map[int64]Location{}
	err := e.store.VolunteersForIndex(ctx, func(vs []*Volunteer) error {
		for _, v := range vs {
			if v.CanTakeWork() {
				vols[v.ID] = *v.Location
			}
		}
		return nil
	})
	if err != nil {
		return E(op, err)
	}
	return E(op, e.geo.Rebuild(ctx, vols))
}
