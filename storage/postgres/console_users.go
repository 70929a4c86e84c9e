package postgres

import (
	"context"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.UserLister = (*Store)(nil)

// Users lists every console account by name, without password hashes.
func (s *Store) Users(ctx context.Context) ([]*dispatch.User, error) {
	var rows []userRow
	if err := selectx(ctx, s, &rows, `SELECT id, name, role, '' AS password_hash, created_at FROM users ORDER BY name`); err != nil {
		return nil, wrap("postgres.Users", err)
	}
	out := make([]*dispatch.User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	return out, nil
}
