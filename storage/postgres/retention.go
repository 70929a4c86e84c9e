package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.RetentionRepo = (*Store)(nil)

// closedStatuses are the final ticket states, in SQL.
const closedStatuses = `('completed', 'cancelled', 'expired')`

// RedactTickets implements dispatch.RetentionRepo. A ticket's period starts
// at its last change (its closing, or a later edit); SKIP LOCKED lets two
// processes sweep at once without waiting on each other.
func (s *Store) RedactTickets(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	const op = "postgres.RedactTickets"
	var n int
	err := s.InTx(ctx, func(r dispatch.Repo) error {
		tx := r.(*Store)
		var ids []int64
		if err := selectx(ctx, tx, &ids, `SELECT id FROM tickets
            WHERE redacted_at IS NULL AND status IN `+closedStatuses+` AND updated_at < $1
            ORDER BY updated_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, cutoff, limit); err != nil {
			return err
		}
		n = len(ids)
		return tx.redact(ctx, ids)
	})
	return n, wrap(op, err)
}

// RedactClientTickets implements dispatch.RetentionRepo.
func (s *Store) RedactClientTickets(ctx context.Context, clientID int64) (int, error) {
	const op = "postgres.RedactClientTickets"
	var n int
	err := s.InTx(ctx, func(r dispatch.Repo) error {
		tx := r.(*Store)
		var ids []int64
		if err := selectx(ctx, tx, &ids, `SELECT id FROM tickets
            WHERE client_id = $1 AND redacted_at IS NULL AND status IN `+closedStatuses+`
            ORDER BY id FOR UPDATE`, clientID); err != nil {
			return err
		}
		n = len(ids)
		return tx.redact(ctx, ids)
	})
	return n, wrap(op, err)
}

// redact removes the personal data of tickets ids, inside the transaction
// s is bound to. The location is rounded to two decimals (about 1 km):
// enough for the reports' areas, not enough to find a door.
func (s *Store) redact(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	a := pq.Array(ids)
	stmts := []string{
		`UPDATE tickets SET description = '', address = '', reason = '', recording_url = '',
            lat = round(lat::numeric, 2)::float8, lon = round(lon::numeric, 2)::float8, redacted_at = $2
          WHERE id = ANY($1)`,
		// The one update ticket_events allows (migration 00023), for this
		// transaction only.
		`SELECT set_config('dispatcher.redact', 'on', true)`,
		`UPDATE ticket_events SET reason = '', data = NULL
          WHERE ticket_id = ANY($1) AND (reason <> '' OR data IS NOT NULL)`,
		`SELECT set_config('dispatcher.redact', 'off', true)`,
		`UPDATE notifications SET body = '' WHERE ticket_id = ANY($1) AND status NOT IN ('queued', 'sending')`,
		`UPDATE inbound_messages SET body = '', media_urls = '{}' WHERE ticket_id = ANY($1)`,
		`UPDATE calls SET recording_url = '' WHERE ticket_id = ANY($1)`,
		`UPDATE barrier_reports SET recording_url = '', photo_urls = '{}' WHERE ticket_id = ANY($1)`,
		// Photos may show the reporter: they go with the rest.
		`DELETE FROM attachments WHERE ticket_id = ANY($1)`,
	}
	now := s.clock()
	for i, q := range stmts {
		var err error
		switch i {
		case 0:
			_, err = s.ext.ExecContext(ctx, q, a, now)
		case 1, 3:
			_, err = s.ext.ExecContext(ctx, q)
		default:
			_, err = s.ext.ExecContext(ctx, q, a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// IdleClients implements dispatch.RetentionRepo.
func (s *Store) IdleClients(ctx context.Context, cutoff time.Time, limit int) ([]int64, error) {
	const op = "postgres.IdleClients"
	var ids []int64
	err := selectx(ctx, s, &ids, `SELECT c.id FROM clients c
        WHERE c.anonymised_at IS NULL AND c.updated_at < $1
          AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.client_id = c.id
                           AND (t.status NOT IN `+closedStatuses+` OR t.updated_at >= $1))
          AND NOT EXISTS (SELECT 1 FROM inbound_messages m WHERE m.from_phone = c.phone AND m.received_at >= $1)
        ORDER BY c.id LIMIT $2`, cutoff, limit)
	return ids, wrap(op, err)
}

// AnonymiseClient implements dispatch.RetentionRepo. Messages still queued
// to the phone are suppressed: nobody is to be texted after an erasure.
func (s *Store) AnonymiseClient(ctx context.Context, clientID int64) error {
	const op = "postgres.AnonymiseClient"
	err := s.InTx(ctx, func(r dispatch.Repo) error {
		tx := r.(*Store)
		var phone string
		if err := getx(ctx, tx, &phone, `SELECT phone FROM clients WHERE id = $1 FOR UPDATE`, clientID); err != nil {
			if err == sql.ErrNoRows {
				return dispatch.Errorf(dispatch.ENOTFOUND, "client %d not found", clientID)
			}
			return err
		}
		ph := dispatch.ClientPlaceholderPhone(clientID)
		now := tx.clock()
		if _, err := tx.ext.ExecContext(ctx, `UPDATE clients SET phone = $2, name = '', address = '', notes = '',
            lat = NULL, lon = NULL, needs = '{}', anonymised_at = $3, updated_at = $3 WHERE id = $1`,
			clientID, ph, now); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE notifications SET to_phone = $2, body = '',
                status = CASE WHEN status IN ('queued', 'sending') THEN 'suppressed' ELSE status END
              WHERE to_phone = $1`,
			`UPDATE inbound_messages SET from_phone = $2, body = '', media_urls = '{}' WHERE from_phone = $1`,
			`UPDATE calls SET from_phone = $2, recording_url = '' WHERE from_phone = $1`,
		} {
			if _, err := tx.ext.ExecContext(ctx, q, phone, ph); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(op, err)
}

// RedactOldMessages implements dispatch.RetentionRepo. Rows of a ticket are
// left to the ticket's own redaction, which knows when the ticket closed.
func (s *Store) RedactOldMessages(ctx context.Context, cutoff time.Time) (int, error) {
	const op = "postgres.RedactOldMessages"
	total := 0
	for _, q := range []string{
		`UPDATE inbound_messages SET body = '', media_urls = '{}'
          WHERE ticket_id IS NULL AND received_at < $1 AND (body <> '' OR media_urls <> '{}')`,
		`UPDATE notifications SET body = ''
          WHERE ticket_id IS NULL AND created_at < $1 AND body <> '' AND status NOT IN ('queued', 'sending')`,
		`UPDATE calls SET from_phone = '', recording_url = ''
          WHERE ticket_id IS NULL AND created_at < $1 AND (from_phone <> '' OR recording_url <> '')`,
	} {
		res, err := s.ext.ExecContext(ctx, q, cutoff)
		if err != nil {
			return total, wrap(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, wrap(op, err)
		}
		total += int(n)
	}
	return total, nil
}
