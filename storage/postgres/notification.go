package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

const notificationCols = `id, key, ticket_id, to_phone, body, template, lang, status, provider_sid,
	attempts, error, next_at, created_at, sent_at, priority`

type notificationRow struct {
	ID          int64          `db:"id"`
	Key         string         `db:"key"`
	TicketID    sql.NullInt64  `db:"ticket_id"`
	To          string         `db:"to_phone"`
	Body        string         `db:"body"`
	Template    string         `db:"template"`
	Lang        string         `db:"lang"`
	Status      string         `db:"status"`
	ProviderSID sql.NullString `db:"provider_sid"`
	Attempts    int            `db:"attempts"`
	Error       string         `db:"error"`
	NextAt      time.Time      `db:"next_at"`
	CreatedAt   time.Time      `db:"created_at"`
	SentAt      sql.NullTime   `db:"sent_at"`
	Priority    int            `db:"priority"`
}

func (r *notificationRow) notification() *dispatch.Notification {
	return &dispatch.Notification{
		ID: r.ID, Key: r.Key, TicketID: intPtr(r.TicketID), To: r.To, Body: r.Body,
		Template: r.Template, Lang: dispatch.Lang(r.Lang), Status: dispatch.NotificationStatus(r.Status),
		ProviderSID: r.ProviderSID.String, Attempts: r.Attempts, Error: r.Error,
		NextAt: r.NextAt, CreatedAt: r.CreatedAt, SentAt: timePtr(r.SentAt), Priority: r.Priority,
	}
}

func (s *Store) notifications(ctx context.Context, op, q string, a ...any) ([]*dispatch.Notification, error) {
	var rows []notificationRow
	if err := selectx(ctx, s, &rows, q, a...); err != nil {
		return nil, wrap(op, err)
	}
	out := make([]*dispatch.Notification, len(rows))
	for i := range rows {
		out[i] = rows[i].notification()
	}
	return out, nil
}

// Enqueue adds n to the outbox: status queued, due now, unless n says
// otherwise. A Key seen before keeps the existing row and sets n.ID to it,
// so that an event retried after a crash does not text anyone twice.
func (s *Store) Enqueue(ctx context.Context, n *dispatch.Notification) error {
	const op = "postgres.Enqueue"
	if n.Key == "" {
		return dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "a notification needs an idempotency key"))
	}
	if n.Status == "" {
		n.Status = dispatch.NotifyQueued
	}
	if n.Lang == "" {
		n.Lang = dispatch.LangRU
	}
	now := s.clock()
	if n.NextAt.IsZero() {
		n.NextAt = now
	}
	var ids []int64
	err := selectx(ctx, s, &ids, `
		INSERT INTO notifications (key, ticket_id, to_phone, body, template, lang, status, next_at, created_at, priority)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (key) DO NOTHING RETURNING id`,
		n.Key, nullInt(n.TicketID), n.To, n.Body, n.Template, n.Lang, n.Status, n.NextAt, now, n.Priority)
	if err != nil {
		return wrap(op, err)
	}
	if len(ids) == 1 {
		n.ID, n.CreatedAt = ids[0], now
		return nil
	}
	// The key exists: a row inserted by a transaction that committed
	// since this statement started is visible to the next one.
	return wrap(op, getx(ctx, s, &n.ID, `SELECT id FROM notifications WHERE key = $1`, n.Key))
}

// ClaimNotifications leases up to limit due messages to this sender: queued
// ones whose time has come, and ones whose sender's lease ran out (it
// crashed mid-send). SKIP LOCKED lets several senders claim at once without
// waiting for or taking each other's rows. Claimed rows are sending, with
// attempts counted.
func (s *Store) ClaimNotifications(ctx context.Context, limit int, lease time.Duration) ([]*dispatch.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	now := s.clock()
	var rows []struct {
		notificationRow
		OptedOut bool `db:"opted_out"`
	}
	err := selectx(ctx, s, &rows, `
		WITH c AS (
			UPDATE notifications SET status = 'sending', attempts = attempts + 1, lease_until = $2
			WHERE id IN (
				SELECT id FROM notifications
				WHERE (status = 'queued' AND next_at <= $1) OR (status = 'sending' AND lease_until < $1)
				ORDER BY priority DESC, next_at, id
				FOR UPDATE SKIP LOCKED
				LIMIT $3)
			RETURNING `+notificationCols+`)
		SELECT c.*,
			EXISTS (SELECT 1 FROM volunteers v WHERE v.phone = c.to_phone AND v.opted_out)
			OR EXISTS (SELECT 1 FROM clients cl WHERE cl.phone = c.to_phone AND cl.opted_out) AS opted_out
		FROM c ORDER BY c.priority DESC, c.next_at, c.id`,
		now, now.Add(lease), limit)
	if err != nil {
		return nil, wrap("postgres.ClaimNotifications", err)
	}
	out := make([]*dispatch.Notification, len(rows))
	for i := range rows {
		out[i] = rows[i].notification()
		out[i].OptedOut = rows[i].OptedOut
	}
	return out, nil
}

// UpdateNotification writes n's delivery state. The lease ends unless n is
// still sending.
func (s *Store) UpdateNotification(ctx context.Context, n *dispatch.Notification) error {
	const op = "postgres.UpdateNotification"
	res, err := s.ext.ExecContext(ctx, `
		UPDATE notifications SET status = $2, provider_sid = $3, attempts = $4, error = $5, next_at = $6,
			sent_at = $7, lease_until = CASE WHEN $2 = 'sending' THEN lease_until END
		WHERE id = $1`,
		n.ID, n.Status, nullStr(n.ProviderSID), n.Attempts, n.Error, n.NextAt, nullTime(n.SentAt))
	return affected(op, res, err, "notification %d not found", n.ID)
}

// UpdateNotifications implements dispatch.OutboxRepo: the outcomes of a
// sent batch in one statement. Times go as text, which carries NULL in an
// array where lib/pq's arrays of times cannot.
func (s *Store) UpdateNotifications(ctx context.Context, ns []*dispatch.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	ids := make([]int64, len(ns))
	attempts := make([]int64, len(ns))
	status, errs := make([]string, len(ns)), make([]string, len(ns))
	sids, nextAt, sentAt := make([]sql.NullString, len(ns)), make([]string, len(ns)), make([]sql.NullString, len(ns))
	for i, n := range ns {
		ids[i], status[i], attempts[i], errs[i] = n.ID, string(n.Status), int64(n.Attempts), n.Error
		sids[i] = nullStr(n.ProviderSID)
		nextAt[i] = n.NextAt.UTC().Format(time.RFC3339Nano)
		if n.SentAt != nil {
			sentAt[i] = sql.NullString{String: n.SentAt.UTC().Format(time.RFC3339Nano), Valid: true}
		}
	}
	_, err := s.ext.ExecContext(ctx, `
		UPDATE notifications n SET status = v.status, provider_sid = v.sid, attempts = v.attempts, error = v.error,
			next_at = v.next_at, sent_at = v.sent_at,
			lease_until = CASE WHEN v.status = 'sending' THEN n.lease_until END
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[], $7::timestamptz[])
			AS v(id, status, sid, attempts, error, next_at, sent_at)
		WHERE n.id = v.id`,
		pq.Array(ids), pq.Array(status), pq.Array(sids), pq.Array(attempts), pq.Array(errs), pq.Array(nextAt), pq.Array(sentAt))
	return wrap("postgres.UpdateNotifications", err)
}

// NotificationBySID finds a message by the provider's id (Twilio's
// MessageSid), for delivery callbacks.
func (s *Store) NotificationBySID(ctx context.Context, sid string) (*dispatch.Notification, error) {
	const op = "postgres.NotificationBySID"
	var r notificationRow
	err := getx(ctx, s, &r, `SELECT `+notificationCols+` FROM notifications WHERE provider_sid = $1`, sid)
	if err != nil || sid == "" {
		if err == nil {
			err = sql.ErrNoRows
		}
		return nil, notFound(op, err, "no message with provider id %q", sid)
	}
	return r.notification(), nil
}

// Notifications lists a ticket's messages in the order they were queued.
func (s *Store) Notifications(ctx context.Context, ticketID int64) ([]*dispatch.Notification, error) {
	return s.notifications(ctx, "postgres.Notifications",
		`SELECT `+notificationCols+` FROM notifications WHERE ticket_id = $1 ORDER BY id`, ticketID)
}

// ClaimInbound implements dispatch.OutboxRepo: one statement inserts the
// message or, for a retry, takes it over only when it is unhandled and its
// earlier claim has run out, so that concurrent retries handle it once.
func (s *Store) ClaimInbound(ctx context.Context, m *dispatch.InboundMessage, lease time.Duration) (dispatch.InboundClaim, error) {
	const op = "postgres.ClaimInbound"
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = s.clock()
	}
	now := s.clock()
	err := getx(ctx, s, &m.ID, `
		INSERT INTO inbound_messages (message_sid, from_phone, body, media_urls, ticket_id, received_at, claimed_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (message_sid) DO UPDATE SET claimed_until = EXCLUDED.claimed_until
		WHERE inbound_messages.handled_at IS NULL
		  AND (inbound_messages.claimed_until IS NULL OR inbound_messages.claimed_until < $8)
		RETURNING id`,
		m.MessageSID, m.From, m.Body, pq.Array(strs(m.MediaURLs)), nullInt(m.TicketID), m.ReceivedAt, now.Add(lease), now)
	if err == nil {
		return dispatch.InboundMine, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, wrap(op, err)
	}
	var handled bool
	if err := getx(ctx, s, &handled, `SELECT handled_at IS NOT NULL FROM inbound_messages WHERE message_sid = $1`,
		m.MessageSID); err != nil {
		return 0, wrap(op, err)
	}
	if handled {
		return dispatch.InboundHandled, nil
	}
	return dispatch.InboundBusy, nil
}

// FinishInbound implements dispatch.OutboxRepo.
func (s *Store) FinishInbound(ctx context.Context, id int64, handled bool) error {
	q := `UPDATE inbound_messages SET claimed_until = NULL WHERE id = $1`
	if handled {
		q = `UPDATE inbound_messages SET handled_at = now(), claimed_until = NULL WHERE id = $1`
	}
	_, err := s.ext.ExecContext(ctx, q, id)
	return wrap("postgres.FinishInbound", err)
}

// SaveInbound records an incoming message and sets its ID, and ReceivedAt
// when zero. A MessageSid seen before is ECONFLICT: Twilio retried.
func (s *Store) SaveInbound(ctx context.Context, m *dispatch.InboundMessage) error {
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = s.clock()
	}
	err := getx(ctx, s, &m.ID, `
		INSERT INTO inbound_messages (message_sid, from_phone, body, media_urls, ticket_id, received_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		m.MessageSID, m.From, m.Body, pq.Array(strs(m.MediaURLs)), nullInt(m.TicketID), m.ReceivedAt)
	return wrap("postgres.SaveInbound", err)
}
