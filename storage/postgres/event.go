package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

const eventCols = `id, ticket_id, from_status, to_status, kind, actor, channel, reason, data::text AS data, at`

type eventRow struct {
	ID       int64          `db:"id"`
	TicketID int64          `db:"ticket_id"`
	From     string         `db:"from_status"`
	To       string         `db:"to_status"`
	Kind     string         `db:"kind"`
	Actor    string         `db:"actor"`
	Channel  string         `db:"channel"`
	Reason   string         `db:"reason"`
	Data     sql.NullString `db:"data"`
	At       time.Time      `db:"at"`
}

func (r *eventRow) event() *dispatch.TicketEvent {
	return &dispatch.TicketEvent{
		ID: r.ID, TicketID: r.TicketID, From: dispatch.Status(r.From), To: dispatch.Status(r.To),
		Kind: r.Kind, Actor: r.Actor, Channel: dispatch.Channel(r.Channel), Reason: r.Reason,
		Data: r.Data.String, At: r.At,
	}
}

// AddEvent appends e to its ticket's timeline and sets e.ID and e.At. Data
// must be JSON (or empty); the table refuses UPDATE and DELETE.
func (s *Store) AddEvent(ctx context.Context, e *dispatch.TicketEvent) error {
	now := s.clock()
	err := getx(ctx, s, &e.ID, `
		INSERT INTO ticket_events (ticket_id, from_status, to_status, kind, actor, channel, reason, data, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING id`,
		e.TicketID, e.From, e.To, e.Kind, e.Actor, e.Channel, e.Reason, nullStr(e.Data), now)
	if err != nil {
		return wrap("postgres.AddEvent", err)
	}
	e.At = now
	return nil
}

// Events returns a ticket's timeline, oldest first.
func (s *Store) Events(ctx context.Context, ticketID int64) ([]*dispatch.TicketEvent, error) {
	var a args
	return s.events(ctx, "postgres.Events",
		`SELECT `+eventCols+` FROM ticket_events WHERE ticket_id = `+a.add(ticketID)+` ORDER BY id`, a)
}

// EventsAfter returns up to limit events with an ID above after, across all
// tickets, in ID order: a live console that saw event N asks for N+1 on.
// IDs come from one sequence, so their order is insertion order.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]*dispatch.TicketEvent, error) {
	limit, _ = page(limit, 0)
	var a args
	return s.events(ctx, "postgres.EventsAfter",
		`SELECT `+eventCols+` FROM ticket_events WHERE id > `+a.add(after)+` ORDER BY id LIMIT `+a.add(limit), a)
}

func (s *Store) events(ctx context.Context, op, q string, a args) ([]*dispatch.TicketEvent, error) {
	var rows []eventRow
	if err := selectx(ctx, s, &rows, q, a...); err != nil {
		return nil, wrap(op, err)
	}
	out := make([]*dispatch.TicketEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}
