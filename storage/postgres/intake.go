package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// CreateIntakeTicket implements dispatch.TicketRepo: the ticket, its audit
// events, its confirmation and the handled mark of the text that made it go
// in one data-modifying statement, which is one round trip and one
// transaction (PostgreSQL runs a lone statement as its own transaction), so
// they are committed together or not at all without BEGIN and COMMIT.
//
// A ticket code that exists already inserts nothing anywhere (the other
// parts read the ticket's id from the insert's RETURNING); the statement is
// then tried with a new code. A SourceID that exists is ECONFLICT, as in
// CreateTicket.
func (s *Store) CreateIntakeTicket(ctx context.Context, t *dispatch.Ticket, events []*dispatch.TicketEvent,
	msg func(*dispatch.Ticket) *dispatch.Notification, inboundSID string) error {
	const op = "postgres.CreateIntakeTicket"
	if t.Status == "" {
		t.Status = dispatch.StatusNew
	}
	if t.Urgency == "" {
		t.Urgency = dispatch.UrgencyNormal
	}
	now := s.clock()
	lat, lon := latLon(t.Location)
	for range codeAttempts {
		t.Code = s.newCode()
		var a args
		q := `WITH t AS (
			INSERT INTO tickets (code, channel, category, description, lang, lat, lon, address, urgency,
				needs, window_start, window_end, status, reason, client_id, volunteer_id, wave, callback,
				recording_url, source_id, created_at, updated_at, assigned_at, completed_at, due_at)
			VALUES (` + strings.Join([]string{a.add(t.Code), a.add(t.Channel), a.add(t.Category), a.add(t.Description),
			a.add(t.Lang), a.add(lat), a.add(lon), a.add(t.Address), a.add(t.Urgency), a.add(pq.Array(strs(t.Needs))),
			a.add(nullTime(t.WindowStart)), a.add(nullTime(t.WindowEnd)), a.add(t.Status), a.add(t.Reason),
			a.add(t.ClientID), a.add(nullInt(t.VolunteerID)), a.add(t.Wave), a.add(t.CallBack), a.add(t.RecordingURL),
			a.add(nullStr(t.SourceID)), a.add(now), a.add(now), a.add(nullTime(t.AssignedAt)), a.add(nullTime(t.CompletedAt)),
			a.add(nullTime(t.DueAt))}, ", ") + `)
			ON CONFLICT (code) DO NOTHING RETURNING id)`
		evIDs := "NULL::bigint[]"
		if len(events) > 0 {
			rows := make([]string, len(events))
			for i, e := range events {
				rows[i] = "(" + strings.Join([]string{a.add(i), a.add(string(e.From)) + "::text", a.add(string(e.To)) + "::text",
					a.add(e.Kind) + "::text", a.add(e.Actor) + "::text", a.add(string(e.Channel)) + "::text",
					a.add(e.Reason) + "::text", a.add(nullStr(e.Data)) + "::jsonb"}, ", ") + ")"
			}
			q += `, e AS (
			INSERT INTO ticket_events (ticket_id, from_status, to_status, kind, actor, channel, reason, data, at)
			SELECT t.id, v.f, v.st, v.k, v.a, v.c, v.r, v.d, ` + a.add(now) + `
			FROM t, (VALUES ` + strings.Join(rows, ", ") + `) AS v(i, f, st, k, a, c, r, d)
			ORDER BY v.i
			RETURNING id)`
			evIDs = `(SELECT array_agg(id ORDER BY id) FROM e)`
		}
		var n *dispatch.Notification
		if msg != nil {
			n = msg(t)
		}
		msgID := "NULL::bigint"
		if n != nil {
			if n.Status == "" {
				n.Status = dispatch.NotifyQueued
			}
			if n.Lang == "" {
				n.Lang = dispatch.LangRU
			}
			if n.NextAt.IsZero() {
				n.NextAt = now
			}
			// The message's key ends with the ticket's id, known only
			// inside the statement.
			q += `, n AS (
			INSERT INTO notifications (key, ticket_id, to_phone, body, template, lang, status, next_at, created_at, priority)
			SELECT ` + a.add(n.Key) + `::text || t.id::text, t.id, ` + strings.Join([]string{a.add(n.To), a.add(n.Body), a.add(n.Template),
				a.add(n.Lang), a.add(n.Status), a.add(n.NextAt), a.add(now), a.add(n.Priority)}, ", ") + ` FROM t
			ON CONFLICT (key) DO NOTHING RETURNING id, key)`
			msgID = `(SELECT id FROM n)`
		}
		if inboundSID != "" {
			q += `, i AS (
			UPDATE inbound_messages SET handled_at = now(), claimed_until = NULL, ticket_id = t.id
			FROM t WHERE message_sid = ` + a.add(inboundSID) + `)`
		}
		q += ` SELECT t.id, ` + evIDs + ` AS events, ` + msgID + ` AS msg FROM t`
		var rows []struct {
			ID     int64         `db:"id"`
			Events pq.Int64Array `db:"events"`
			Msg    *int64        `db:"msg"`
		}
		if err := selectx(ctx, s, &rows, q, a...); err != nil {
			return wrap(op, err)
		}
		if len(rows) == 0 {
			continue // the code is taken
		}
		r := rows[0]
		t.ID, t.CreatedAt, t.UpdatedAt = r.ID, now, now
		if len(r.Events) != len(events) {
			return dispatch.E(op, dispatch.Errorf(dispatch.EINTERNAL, "%d of %d events written", len(r.Events), len(events)))
		}
		for i, e := range events {
			e.ID, e.TicketID, e.At = r.Events[i], t.ID, now
		}
		if n != nil {
			id := t.ID
			n.TicketID, n.Key, n.CreatedAt = &id, n.Key+strconv.FormatInt(id, 10), now
			if r.Msg != nil {
				n.ID = *r.Msg
			}
		}
		return nil
	}
	t.Code = ""
	return dispatch.E(op, dispatch.Errorf(dispatch.EINTERNAL, "no free ticket code after %d attempts", codeAttempts))
}
