package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.CallRepo = (*Store)(nil)

const callCols = `id, call_sid, from_phone, lang, category, step, retries, ticket_id, recording_url, created_at, updated_at`

type callRow struct {
	ID           int64         `db:"id"`
	CallSID      string        `db:"call_sid"`
	From         string        `db:"from_phone"`
	Lang         string        `db:"lang"`
	Category     string        `db:"category"`
	Step         string        `db:"step"`
	Retries      int           `db:"retries"`
	TicketID     sql.NullInt64 `db:"ticket_id"`
	RecordingURL string        `db:"recording_url"`
	CreatedAt    time.Time     `db:"created_at"`
	UpdatedAt    time.Time     `db:"updated_at"`
}

func (r *callRow) call() *dispatch.Call {
	return &dispatch.Call{ID: r.ID, CallSID: r.CallSID, From: r.From, Lang: dispatch.Lang(r.Lang),
		Category: dispatch.Category(r.Category), Step: dispatch.CallStep(r.Step), Retries: r.Retries,
		TicketID: intPtr(r.TicketID), RecordingURL: r.RecordingURL, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// StartCall inserts c, or loads the call with c's CallSID when Twilio
// retried the first webhook: the retry continues the same call.
func (s *Store) StartCall(ctx context.Context, c *dispatch.Call) error {
	const op = "postgres.StartCall"
	now := s.clock()
	var r callRow
	// DO UPDATE with no change, rather than DO NOTHING, so that RETURNING
	// gives the existing row too.
	err := getx(ctx, s, &r, `INSERT INTO calls (call_sid, from_phone, lang, category, step, retries, ticket_id,
			recording_url, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (call_sid) DO UPDATE SET call_sid = EXCLUDED.call_sid
		RETURNING `+callCols,
		c.CallSID, c.From, string(c.Lang), string(c.Category), string(c.Step), c.Retries, nullInt(c.TicketID),
		c.RecordingURL, now)
	if err != nil {
		return wrap(op, err)
	}
	*c = *r.call()
	return nil
}

// Call finds a call by its CallSid.
func (s *Store) Call(ctx context.Context, callSID string) (*dispatch.Call, error) {
	var r callRow
	if err := getx(ctx, s, &r, `SELECT `+callCols+` FROM calls WHERE call_sid = $1`, callSID); err != nil {
		return nil, notFound("postgres.Call", err, "call not found")
	}
	return r.call(), nil
}

// UpdateCall writes c's menu state.
func (s *Store) UpdateCall(ctx context.Context, c *dispatch.Call) error {
	const op = "postgres.UpdateCall"
	c.UpdatedAt = s.clock()
	res, err := s.ext.ExecContext(ctx, `UPDATE calls SET lang = $2, category = $3, step = $4, retries = $5,
		ticket_id = $6, recording_url = $7, updated_at = $8 WHERE call_sid = $1`,
		c.CallSID, string(c.Lang), string(c.Category), string(c.Step), c.Retries, nullInt(c.TicketID),
		c.RecordingURL, c.UpdatedAt)
	return affected(op, res, err, "call not found")
}
