package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Store implements dispatch.Store. The same type serves the pool and one
// transaction: ext is the *sqlx.DB, or the *sqlx.Tx inside InTx, so every
// Repo method is written once.
type Store struct {
	db  *sqlx.DB
	ext sqlx.ExtContext
	tx  *sqlx.Tx // non-nil when bound to a transaction
	now func() time.Time
	// newCode makes ticket codes; tests replace it to force collisions.
	newCode func() string
}

var _ dispatch.Store = (*Store)(nil)

// NewStore returns a Store on db. now is the clock for the timestamps the
// store writes and for the windows of the volunteer stats; nil means
// time.Now. Tests pass a fixed clock.
func NewStore(db *DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db.db, ext: db.db, now: now, newCode: dispatch.NewTicketCode}
}

// clock is the store's time, rounded to what PostgreSQL keeps, so that a
// struct written and the row read back are equal.
func (s *Store) clock() time.Time { return s.now().Truncate(time.Microsecond) }

// Ping reports whether PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return &dispatch.Error{Code: dispatch.EUNAVAILABLE, Op: "postgres.Ping",
			Message: "PostgreSQL is not reachable", Err: err}
	}
	return nil
}

// InTx runs fn with a Repo bound to one transaction: committed when fn
// returns nil, rolled back when it returns an error or panics (the panic
// goes on). Inside a transaction InTx reuses it, so that helpers which open
// their own transaction compose.
func (s *Store) InTx(ctx context.Context, fn func(dispatch.Repo) error) (err error) {
	const op = "postgres.InTx"
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return wrap(op, err)
	}
	done := false
	defer func() {
		if !done {
			// fn panicked: undo its writes, let the panic go on.
			_ = tx.Rollback()
		}
	}()
	txs := &Store{db: s.db, ext: tx, tx: tx, now: s.now, newCode: s.newCode}
	ferr := fn(txs)
	done = true
	if ferr != nil {
		if rerr := tx.Rollback(); rerr != nil && rerr != sql.ErrTxDone {
			return fmt.Errorf("%w (and the rollback failed: %v)", ferr, rerr)
		}
		return ferr
	}
	if err := tx.Commit(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// args collects query parameters and hands out their placeholders, so that
// a query with optional filters stays parameterised.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// where joins conditions with AND; none gives "".
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// List limits: a list without a limit gets defaultLimit rows, and nobody
// gets more than maxLimit in one page.
const (
	defaultLimit = 50
	maxLimit     = 500
)

func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = defaultLimit
	}
	if limit > maxLimit {
		limit = maxLimit
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}

// likePattern makes a "contains" pattern of user input, with LIKE's
// wildcards taken literally.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// nullStr stores "" as NULL, for optional unique columns.
func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

func nullInt(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func intPtr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// latLon splits an optional location into two nullable columns.
func latLon(l *dispatch.Location) (sql.NullFloat64, sql.NullFloat64) {
	if l == nil {
		return sql.NullFloat64{}, sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: l.Lat, Valid: true}, sql.NullFloat64{Float64: l.Lon, Valid: true}
}

func location(lat, lon sql.NullFloat64) *dispatch.Location {
	if !lat.Valid || !lon.Valid {
		return nil
	}
	return &dispatch.Location{Lat: lat.Float64, Lon: lon.Float64}
}

// strs converts a slice of string kinds for pq.Array; never nil, since the
// array columns are NOT NULL.
func strs[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func kinds[T ~string](in []string) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = T(v)
	}
	return out
}

func getx(ctx context.Context, s *Store, dest any, q string, a ...any) error {
	return sqlx.GetContext(ctx, s.ext, dest, q, a...)
}

func selectx(ctx context.Context, s *Store, dest any, q string, a ...any) error {
	return sqlx.SelectContext(ctx, s.ext, dest, q, a...)
}

// affected turns an UPDATE that touched no row into ENOTFOUND.
func affected(op string, res sql.Result, err error, format string, fa ...any) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return dispatch.E(op, dispatch.Errorf(dispatch.ENOTFOUND, format, fa...))
	}
	return nil
}
