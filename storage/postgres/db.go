// Package postgres is the PostgreSQL adapter: it implements dispatch.Store
// with sqlx and lib/pq, and carries the schema as embedded goose migrations.
//
// PostgreSQL is the source of truth. Every method maps database failures to
// dispatch errors in one place (errors.go), so callers see ENOTFOUND,
// ECONFLICT or EINVALID with a message fit for the person who asked, never
// an SQL text.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLockID is the advisory lock that serialises migrations, so that
// several processes starting together do not race to create the same
// tables. Advisory locks are per database, so test databases do not contend.
const migrateLockID = 0x6b7a_6469_7370 // "kzdisp"

// DB is a pool of connections to one PostgreSQL database.
type DB struct {
	db *sqlx.DB
}

// Open connects to the database at url (DATABASE_URL) with at most maxConns
// connections (0 means 10) and checks that it answers. A malformed URL is
// EINVALID and an unreachable server EUNAVAILABLE; both messages name
// DATABASE_URL and never include the password.
func Open(ctx context.Context, url string, maxConns int) (*DB, error) {
	const op = "postgres.Open"
	host, err := checkURL(url)
	if err != nil {
		return nil, dispatch.E(op, err)
	}
	db, err := sqlx.Open("postgres", oneRoundTrip(url))
	if err != nil {
		return nil, dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "DATABASE_URL is malformed: %v", err))
	}
	if maxConns <= 0 {
		maxConns = 10
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, &dispatch.Error{Code: dispatch.EUNAVAILABLE, Op: op,
			Message: fmt.Sprintf("DATABASE_URL: cannot reach PostgreSQL at %s", host), Err: err}
	}
	return &DB{db: db}, nil
}

// oneRoundTrip turns on lib/pq's binary_parameters unless the URL sets it:
// lib/pq then sends a parameterised statement as Parse, Bind, Execute and
// Sync in one write and reads the answers once, where by default it waits
// for the Parse's answer first. That halves the round trips of every
// statement, which is most of what intake costs (docs/performance.md).
// The price: a []byte argument goes in PostgreSQL's binary format, right
// for bytea but not for json or jsonb, which must be passed as strings.
func oneRoundTrip(s string) string {
	if strings.Contains(s, "binary_parameters") {
		return s
	}
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return s + " binary_parameters=yes"
	}
	if strings.Contains(s, "?") {
		return s + "&binary_parameters=yes"
	}
	return s + "?binary_parameters=yes"
}

// checkURL validates a postgres:// URL or a key=value connection string and
// returns the host it names, for error messages.
func checkURL(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", dispatch.Errorf(dispatch.EINVALID, "DATABASE_URL is empty")
	}
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		if !strings.Contains(s, "=") {
			return "", dispatch.Errorf(dispatch.EINVALID,
				"DATABASE_URL is malformed: want postgres://user@host:5432/dbname or key=value pairs")
		}
		return "the configured server", nil
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse repeats the input, which may hold a password.
		return "", dispatch.Errorf(dispatch.EINVALID, "DATABASE_URL is malformed: not a valid URL")
	}
	if _, err := pq.NewConnector(s); err != nil {
		return "", dispatch.Errorf(dispatch.EINVALID, "DATABASE_URL is malformed: %v", err)
	}
	if u.Host == "" {
		return "", dispatch.Errorf(dispatch.EINVALID, "DATABASE_URL is malformed: it names no host")
	}
	return u.Host, nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.db.Close() }

// Ping reports whether the database answers; EUNAVAILABLE when it does not.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return &dispatch.Error{Code: dispatch.EUNAVAILABLE, Op: "postgres.Ping",
			Message: "PostgreSQL is not reachable", Err: err}
	}
	return nil
}

// Migrate brings the schema up to the newest embedded migration. It is
// idempotent, and safe when several processes run it at once: a session
// advisory lock makes the others wait, then find nothing to do.
func Migrate(ctx context.Context, db *DB) error {
	const op = "postgres.Migrate"
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return dispatch.E(op, err)
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(migrateLockID),
		// Poll each second for up to five minutes: a waiting process
		// should start soon after the first one finishes.
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		return dispatch.E(op, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.db.DB, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		// Areas of the service number their migrations in separate
		// ranges (00002-00009 core, 00010 on others), so a database may
		// have a higher one applied before a lower one is written.
		goose.WithAllowOutofOrder(true),
	)
	if err != nil {
		return dispatch.E(op, err)
	}
	if _, err := p.Up(ctx); err != nil {
		var pe *goose.PartialError
		if errors.As(err, &pe) && pe.Failed != nil && pe.Failed.Source != nil {
			return dispatch.E(op, fmt.Errorf("migration %s: %w", pe.Failed.Source.Path, err))
		}
		return dispatch.E(op, err)
	}
	return nil
}
