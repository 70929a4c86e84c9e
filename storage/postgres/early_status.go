package postgres

import (
	"context"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// earlyStatusKeep is how long a callback waits for its message's provider
// id: a send whose answer never came is looked up and saved within minutes,
// so a day is plenty, and the table stays small.
const earlyStatusKeep = 24 * time.Hour

var _ dispatch.EarlyStatusRepo = (*Store)(nil)

// KeepEarlyStatus stores a delivery callback whose message is not known by
// its provider id yet, and prunes callbacks older than a day in the same
// statement.
func (s *Store) KeepEarlyStatus(ctx context.Context, sid, status, errorCode string) error {
	const op = "postgres.KeepEarlyStatus"
	now := s.clock()
	_, err := s.ext.ExecContext(ctx, `
		WITH pruned AS (DELETE FROM early_statuses WHERE received_at < $5)
		INSERT INTO early_statuses (provider_sid, status, error_code, received_at) VALUES ($1, $2, $3, $4)`,
		sid, status, errorCode, now, now.Add(-earlyStatusKeep))
	return wrap(op, err)
}

// TakeEarlyStatuses removes and returns the callbacks kept for sid, in the
// order they came. Two callers never get the same row.
func (s *Store) TakeEarlyStatuses(ctx context.Context, sid string) ([]dispatch.EarlyStatus, error) {
	const op = "postgres.TakeEarlyStatuses"
	var rows []struct {
		ID        int64  `db:"id"`
		Status    string `db:"status"`
		ErrorCode string `db:"error_code"`
	}
	err := selectx(ctx, s, &rows, `
		WITH taken AS (DELETE FROM early_statuses WHERE provider_sid = $1 RETURNING id, status, error_code)
		SELECT id, status, error_code FROM taken ORDER BY id`, sid)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]dispatch.EarlyStatus, len(rows))
	for i, r := range rows {
		out[i] = dispatch.EarlyStatus{Status: r.Status, ErrorCode: r.ErrorCode}
	}
	return out, nil
}
