package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ReplayerOptions tune a Replayer. Zero values take the defaults.
type ReplayerOptions struct {
	// Lease is how long an entry stays with this replayer before another
	// process may take it over (30 s).
	Lease time.Duration
	// Batch is how many entries one lease takes (20).
	Batch int
	// Workers is how many entries of a batch are replayed at once (4): a
	// text that waits for another request's claim must not hold the rest.
	Workers int
	// Idle is how long to wait before looking again when the journal is
	// empty or PostgreSQL is still away (1 s). The journal fills only
	// during an outage, so one cheap look a second is all it costs.
	Idle time.Duration
	// MaxAttempts: an entry whose replay failed this many times for a
	// reason other than PostgreSQL being away is given up, with an error
	// logged (10).
	MaxAttempts int
	Logger      *slog.Logger
}

// ReplayStats are a Replayer's counts since it started, for metrics.
type ReplayStats struct {
	Replayed int64 // entries replayed and removed
	Retried  int64 // replays that failed and were put back
	Dropped  int64 // entries given up after MaxAttempts
}

// Replayer replays the journal through the same paths as a live request:
// texts through the SMS handler, requests through intake. Every serve
// process runs one; there is no leader, the journal's leases share the
// work.
type Replayer struct {
	journal Journal
	sms     SMSHandler
	intake  TicketIntake
	opts    ReplayerOptions
	owner   string

	replayed, retried, dropped atomic.Int64
}

// NewReplayer returns a replayer of j. sms and intake are the handlers live
// requests go through.
func NewReplayer(j Journal, sms SMSHandler, intake TicketIntake, opts ReplayerOptions) *Replayer {
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 20
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Idle <= 0 {
		opts.Idle = time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Replayer{journal: j, sms: sms, intake: intake, opts: opts, owner: hex.EncodeToString(b)}
}

// Stats returns the counts so far.
func (r *Replayer) Stats() ReplayStats {
	return ReplayStats{Replayed: r.replayed.Load(), Retried: r.retried.Load(), Dropped: r.dropped.Load()}
}

// Run replays until ctx ends. Entries it holds when ctx ends go back to the
// journal at once rather than after their lease.
func (r *Replayer) Run(ctx context.Context) error {
	for {
		n, err := r.ReplayOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !IsCode(err, EUNAVAILABLE) {
			r.opts.Logger.Warn("journal: replay failed", "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.opts.Idle):
		}
	}
}

// ReplayOnce leases one batch and replays it, Workers entries at a time,
// and returns how many entries it replayed. Once an entry meets PostgreSQL
// still away (EUNAVAILABLE), no more are started, and those not replayed go
// back to the journal.
func (r *Replayer) ReplayOnce(ctx context.Context) (int, error) {
	const op = "dispatch.Replayer.ReplayOnce"
	entries, err := r.journal.Lease(ctx, r.owner, r.opts.Batch, r.opts.Lease)
	if err != nil {
		if len(entries) == 0 {
			return 0, E(op, err)
		}
		r.opts.Logger.Error("journal: lease", "err", err)
	}
	var (
		mu       sync.Mutex
		done     int
		stopErr  error
		back     []*JournalEntry
		wg       sync.WaitGroup
		sem      = make(chan struct{}, r.opts.Workers)
		stopping = func() bool { mu.Lock(); defer mu.Unlock(); return stopErr != nil || ctx.Err() != nil }
	)
	for _, e := range entries {
		sem <- struct{}{}
		if stopping() {
			<-sem
			mu.Lock()
			back = append(back, e)
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := r.replay(ctx, e)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				done++
			case ctx.Err() != nil || IsCode(err, EUNAVAILABLE):
				back = append(back, e)
				if stopErr == nil {
					stopErr = err
				}
			}
		})
	}
	wg.Wait()
	r.putBack(back)
	if stopErr == nil && ctx.Err() != nil {
		stopErr = ctx.Err()
	}
	return done, E(op, stopErr)
}

// replay handles one entry and settles it in the journal: acked when
// replayed (or given up), put back otherwise.
func (r *Replayer) replay(ctx context.Context, e *JournalEntry) error {
	id := e.ID()
	err := r.handle(ctx, e)
	settle := context.WithoutCancel(ctx)
	switch {
	case err == nil:
		if aerr := r.journal.Ack(settle, id); aerr != nil {
			// The lease runs out and the entry is replayed again: harmless.
			r.opts.Logger.Warn("journal: replayed entry not removed", "entry", id, "err", aerr)
		}
		r.replayed.Add(1)
		return nil
	case ctx.Err() != nil || IsCode(err, EUNAVAILABLE):
		return err // the caller puts it back with the rest of the batch
	case e.Attempts+1 >= r.opts.MaxAttempts:
		r.opts.Logger.Error("journal: entry given up after repeated failures", "entry", id,
			"kind", string(e.Kind), "attempts", e.Attempts+1, "err", err)
		if aerr := r.journal.Ack(settle, id); aerr != nil {
			r.opts.Logger.Warn("journal: entry not removed", "entry", id, "err", aerr)
		}
		r.dropped.Add(1)
		return err
	}
	r.opts.Logger.Warn("journal: replay failed, will retry", "entry", id, "kind", string(e.Kind), "err", err)
	if rerr := r.journal.Release(settle, id, r.owner, true); rerr != nil {
		r.opts.Logger.Warn("journal: entry not put back, its lease will", "entry", id, "err", rerr)
	}
	r.retried.Add(1)
	return err
}

func (r *Replayer) handle(ctx context.Context, e *JournalEntry) error {
	switch {
	case e.Kind == JournalSMS && e.SMS != nil:
		m := *e.SMS
		m.ID = 0
		return r.sms.HandleSMS(ctx, &m)
	case e.Kind == JournalRequest && e.Request != nil:
		_, err := r.intake.Submit(ctx, *e.Request)
		return err
	}
	return Errorf(EINVALID, "journal entry of unknown kind %q", e.Kind)
}

// putBack releases entries without counting an attempt: PostgreSQL being
// away is no fault of theirs.
func (r *Replayer) putBack(entries []*JournalEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, e := range entries {
		if err := r.journal.Release(ctx, e.ID(), r.owner, false); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		r.opts.Logger.Warn("journal: entries not put back, their leases will", "n", len(errs), "err", err)
	}
}
