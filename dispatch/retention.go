package dispatch

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// Retention: a closed ticket keeps its personal data for a period
// (RETENTION_PERIOD), then loses it; a client with nothing open and nothing
// new for as long is anonymised. What stays is what the reports count:
// status, category, channel, language, urgency, needs, the times, the
// volunteer, and the location rounded to two decimals (about 1 km), so that
// the totals, per day, channel, category and the times of a report do not
// change. (The area of a ticket without a location came from its address,
// which is removed: such tickets move to the report's "unknown" area.)
//
// Redacted on a ticket: description, address, recording URL, the reason
// text; on its timeline: every event's reason and data (message texts,
// relayed texts, notes); its outgoing messages' bodies and its incoming
// messages' bodies and media; its calls' recordings; its photos (deleted, and
// the barrier report's media links blanked). The client's row, once
// anonymised, has no name, address, notes, location or needs, and its phone
// is ClientPlaceholderPhone(id).

// RetentionRepo removes personal data.
type RetentionRepo interface {
	// RedactTickets redacts up to limit closed tickets that ended before
	// cutoff and are not redacted yet; it returns how many it redacted.
	RedactTickets(ctx context.Context, cutoff time.Time, limit int) (int, error)
	// RedactClientTickets redacts every closed ticket of one client now.
	RedactClientTickets(ctx context.Context, clientID int64) (int, error)
	// IdleClients lists up to limit clients, not yet anonymised, with no open
	// ticket and no ticket, message or change after cutoff.
	IdleClients(ctx context.Context, cutoff time.Time, limit int) ([]int64, error)
	// AnonymiseClient removes a client's personal data (see the package
	// note above) and the texts to and from their phone.
	AnonymiseClient(ctx context.Context, clientID int64) error
	// RedactOldMessages blanks what no ticket holds and is older than
	// cutoff: texts from unknown senders and volunteers, messages sent
	// without a ticket, calls that made no ticket (their caller's number and
	// recording). It returns how many rows it changed.
	RedactOldMessages(ctx context.Context, cutoff time.Time) (int, error)
}

// RetentionStore is a Store that also removes personal data.
type RetentionStore interface {
	Store
	RetentionRepo
}

// ClientPlaceholderPhone is the phone an anonymised client keeps: +999 (a
// country code the ITU keeps unassigned, so no real phone has it) and the
// client's ID, which satisfies the table's check and uniqueness and says
// nothing about the real number.
func ClientPlaceholderPhone(clientID int64) string {
	s := strconv.FormatInt(clientID, 10)
	for len(s) < 11 {
		s = "0" + s
	}
	return "+999" + s
}

// RetentionOptions configure the sweep.
type RetentionOptions struct {
	Period time.Duration // RETENTION_PERIOD; default 8760h (a year)
	Batch  int           // rows per transaction; default 200
	Now    func() time.Time
	Logger *slog.Logger
}

// Retention runs the sweep and carries out erasure requests.
type Retention struct {
	store RetentionStore
	opts  RetentionOptions
}

// NewRetention returns the retention service on store.
func NewRetention(store RetentionStore, opts RetentionOptions) *Retention {
	if opts.Period <= 0 {
		opts.Period = 365 * 24 * time.Hour
	}
	if opts.Batch <= 0 {
		opts.Batch = 200
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Retention{store: store, opts: opts}
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	Tickets  int // tickets redacted
	Clients  int // clients anonymised
	Messages int // texts and calls without a ticket redacted
}

// Sweep redacts the tickets and anonymises the clients whose period is
// over, in batches, until none is left or ctx ends.
func (r *Retention) Sweep(ctx context.Context) (SweepResult, error) {
	const op = "dispatch.Retention.Sweep"
	var res SweepResult
	cutoff := r.opts.Now().Add(-r.opts.Period)
	for {
		n, err := r.store.RedactTickets(ctx, cutoff, r.opts.Batch)
		if err != nil {
			return res, E(op, err)
		}
		res.Tickets += n
		if n < r.opts.Batch {
			break
		}
	}
	n, err := r.store.RedactOldMessages(ctx, cutoff)
	if err != nil {
		return res, E(op, err)
	}
	res.Messages = n
	for {
		ids, err := r.store.IdleClients(ctx, cutoff, r.opts.Batch)
		if err != nil {
			return res, E(op, err)
		}
		for _, id := range ids {
			if err := r.store.AnonymiseClient(ctx, id); err != nil {
				return res, E(op, err)
			}
			res.Clients++
		}
		if len(ids) < r.opts.Batch {
			break
		}
	}
	return res, nil
}

// Erase carries out a person's request to erase their data: refused with
// ECONFLICT while the client has an open ticket; otherwise the client is
// anonymised and every ticket of theirs redacted now, and each ticket's
// timeline says who erased it. All in one transaction.
func (r *Retention) Erase(ctx context.Context, clientID int64, actor Actor) error {
	const op = "dispatch.Retention.Erase"
	err := r.store.InTx(ctx, func(repo Repo) error {
		rr, ok := repo.(RetentionRepo)
		if !ok {
			return Errorf(EINTERNAL, "the store's transaction cannot remove personal data")
		}
		// Anonymising first locks the client's row: a ticket being made for
		// the client now either committed before (and the check below sees
		// it) or waits for this transaction. A refusal rolls it all back.
		if err := rr.AnonymiseClient(ctx, clientID); err != nil {
			return err
		}
		id := clientID
		open, _, err := repo.Tickets(ctx, TicketFilter{ClientID: &id, Open: true, Limit: 1})
		if err != nil {
			return err
		}
		if len(open) > 0 {
			return Errorf(ECONFLICT, "the client has an open ticket (%s): close it before erasing their data", open[0].Code)
		}
		if _, err := rr.RedactClientTickets(ctx, clientID); err != nil {
			return err
		}
		// The audit after the redaction, so that it is kept.
		for off := 0; ; off += 200 {
			ts, _, err := repo.Tickets(ctx, TicketFilter{ClientID: &id, Limit: 200, Offset: off})
			if err != nil {
				return err
			}
			for _, t := range ts {
				if err := repo.AddEvent(ctx, &TicketEvent{TicketID: t.ID, Kind: EventErasure, Actor: string(actor),
					Channel: ChannelConsole, Reason: "erased by " + string(actor)}); err != nil {
					return err
				}
			}
			if len(ts) < 200 {
				return nil
			}
		}
	})
	if err != nil {
		return E(op, err)
	}
	r.opts.Logger.Info("client data erased", "client_id", clientID, "actor", string(actor))
	return nil
}

// EventErasure is the timeline kind of an erasure on request.
const EventErasure = "erasure"

// Run sweeps every interval until ctx ends; sync, when not nil, runs before
// each sweep (the barrier reports' sync shares the loop). A failed sweep is
// logged and retried at the next tick: retention is not worth stopping the
// service for.
func (r *Retention) Run(ctx context.Context, interval time.Duration, sync func(context.Context) error) error {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if sync != nil {
			if err := sync(ctx); err != nil && ctx.Err() == nil {
				r.opts.Logger.Error("barrier sync failed", "err", err)
			}
		}
		res, err := r.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			r.opts.Logger.Error("retention sweep failed", "err", err)
		case res != (SweepResult{}):
			r.opts.Logger.Info("retention sweep", "tickets_redacted", res.Tickets, "clients_anonymised", res.Clients,
				"messages_redacted", res.Messages)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
