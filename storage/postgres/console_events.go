package postgres

import (
	"context"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.EventCursor = (*Store)(nil)

// LatestEventID is the newest ticket_events id, 0 when there is none.
func (s *Store) LatestEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := getx(ctx, s, &id, `SELECT COALESCE(max(id), 0) FROM ticket_events`); err != nil {
		return 0, wrap("postgres.LatestEventID", err)
	}
	return id, nil
}
