package postgres

import (
	"context"
	"database/sql"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.SimulatorRepo = (*Store)(nil)

// simulatorLimit caps what one simulator page reads, whatever it asks for.
const simulatorLimit = 500

func simLimit(n int) int {
	if n <= 0 || n > simulatorLimit {
		return simulatorLimit
	}
	return n
}

const recentNotificationsSQL = `
SELECT id, key, ticket_id, to_phone, body, template, lang, status,
       coalesce(provider_sid, ''), attempts, error, next_at, created_at, sent_at
FROM notifications
ORDER BY id DESC
LIMIT $1`

// RecentNotifications implements dispatch.SimulatorRepo: every outgoing
// message, newest first, whatever its state.
func (s *Store) RecentNotifications(ctx context.Context, limit int) ([]*dispatch.Notification, error) {
	const op = "postgres.RecentNotifications"
	rows, err := s.ext.QueryContext(ctx, recentNotificationsSQL, simLimit(limit))
	if err != nil {
		return nil, wrap(op, err)
	}
	var out []*dispatch.Notification
	for rows.Next() {
		n := &dispatch.Notification{}
		var ticket sql.NullInt64
		var sent sql.NullTime
		if err := rows.Scan(&n.ID, &n.Key, &ticket, &n.To, &n.Body, &n.Template, &n.Lang, &n.Status,
			&n.ProviderSID, &n.Attempts, &n.Error, &n.NextAt, &n.CreatedAt, &sent); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		if ticket.Valid {
			id := ticket.Int64
			n.TicketID = &id
		}
		if sent.Valid {
			t := sent.Time
			n.SentAt = &t
		}
		out = append(out, n)
	}
	if err := closeRows(rows); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

const recentInboundSQL = `
SELECT id, message_sid, from_phone, body, media_urls, ticket_id, received_at
FROM inbound_messages
ORDER BY id DESC
LIMIT $1`

// RecentInbound implements dispatch.SimulatorRepo: every received text,
// newest first.
func (s *Store) RecentInbound(ctx context.Context, limit int) ([]*dispatch.InboundMessage, error) {
	const op = "postgres.RecentInbound"
	rows, err := s.ext.QueryContext(ctx, recentInboundSQL, simLimit(limit))
	if err != nil {
		return nil, wrap(op, err)
	}
	var out []*dispatch.InboundMessage
	for rows.Next() {
		m := &dispatch.InboundMessage{}
		var media pq.StringArray
		var ticket sql.NullInt64
		if err := rows.Scan(&m.ID, &m.MessageSID, &m.From, &m.Body, &media, &ticket, &m.ReceivedAt); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		m.MediaURLs = media
		if ticket.Valid {
			id := ticket.Int64
			m.TicketID = &id
		}
		out = append(out, m)
	}
	if err := closeRows(rows); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
