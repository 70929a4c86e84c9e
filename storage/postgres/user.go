package postgres

import (
	"context"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// CreateUser inserts u and sets its ID and creation time. A name taken
// already is ECONFLICT.
func (s *Store) CreateUser(ctx context.Context, u *dispatch.User) error {
	now := s.clock()
	err := getx(ctx, s, &u.ID,
		`INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		u.Name, u.Role, u.PasswordHash, now)
	if err != nil {
		return wrap("postgres.CreateUser", err)
	}
	u.CreatedAt = now
	return nil
}

type userRow struct {
	ID           int64     `db:"id"`
	Name         string    `db:"name"`
	Role         string    `db:"role"`
	PasswordHash string    `db:"password_hash"`
	CreatedAt    time.Time `db:"created_at"`
}

func (r *userRow) user() *dispatch.User {
	return &dispatch.User{ID: r.ID, Name: r.Name, Role: dispatch.Role(r.Role),
		PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt}
}

// UserByName finds a console user by login name.
func (s *Store) UserByName(ctx context.Context, name string) (*dispatch.User, error) {
	var r userRow
	err := getx(ctx, s, &r, `SELECT id, name, role, password_hash, created_at FROM users WHERE name = $1`, name)
	if err != nil {
		return nil, notFound("postgres.UserByName", err, "no user named %q", name)
	}
	return r.user(), nil
}

// CreateToken inserts an API token (its hash only) and sets its ID.
func (s *Store) CreateToken(ctx context.Context, t *dispatch.Token) error {
	now := s.clock()
	err := getx(ctx, s, &t.ID,
		`INSERT INTO api_tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		t.Name, t.Role, t.Hash, now)
	if err != nil {
		return wrap("postgres.CreateToken", err)
	}
	t.CreatedAt = now
	return nil
}

// TokenByHash finds an API token by the SHA-256 of its secret.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*dispatch.Token, error) {
	var r struct {
		ID        int64     `db:"id"`
		Name      string    `db:"name"`
		Role      string    `db:"role"`
		Hash      string    `db:"hash"`
		CreatedAt time.Time `db:"created_at"`
	}
	err := getx(ctx, s, &r, `SELECT id, name, role, hash, created_at FROM api_tokens WHERE hash = $1`, hash)
	if err != nil {
		return nil, notFound("postgres.TokenByHash", err, "unknown token")
	}
	return &dispatch.Token{ID: r.ID, Name: r.Name, Role: dispatch.Role(r.Role), Hash: r.Hash, CreatedAt: r.CreatedAt}, nil
}

// CreateSession stores a logged-in session.
func (s *Store) CreateSession(ctx context.Context, se *dispatch.Session) error {
	_, err := s.ext.ExecContext(ctx,
		`INSERT INTO sessions (id_hash, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)`,
		se.IDHash, se.UserID, se.CSRF, se.ExpiresAt)
	return wrap("postgres.CreateSession", err)
}

// SessionByHash finds a session that has not expired, with its user. An
// expired session is ENOTFOUND, so no caller can forget to check.
func (s *Store) SessionByHash(ctx context.Context, hash string) (*dispatch.Session, error) {
	var r struct {
		IDHash    string    `db:"id_hash"`
		CSRF      string    `db:"csrf"`
		ExpiresAt time.Time `db:"expires_at"`
		userRow
	}
	err := getx(ctx, s, &r, `
		SELECT s.id_hash, s.csrf, s.expires_at, u.id, u.name, u.role, u.password_hash, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND s.expires_at > $2`, hash, s.clock())
	if err != nil {
		return nil, notFound("postgres.SessionByHash", err, "no such session, or it has expired")
	}
	u := r.user()
	return &dispatch.Session{IDHash: r.IDHash, UserID: u.ID, CSRF: r.CSRF, ExpiresAt: r.ExpiresAt, User: u}, nil
}

// DeleteSession removes a session (logging out). Deleting one that is gone
// already is not an error: logging out twice is still logged out.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.ext.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, hash)
	return wrap("postgres.DeleteSession", err)
}
