// Package pgtest gives a test a migrated PostgreSQL database of its own. It
// lives apart from package postgres so that the testing package never ends
// up in the binary.
package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// New creates a fresh database for t (storagetest.DatabaseURL), migrates it,
// and returns the pool and a Store on the real clock. Both are closed, and
// the database dropped, when t ends.
func New(t testing.TB) (*postgres.DB, *postgres.Store) {
	t.Helper()
	return NewWithClock(t, nil)
}

// NewWithClock is New with the store's clock set to now (nil: time.Now).
func NewWithClock(t testing.TB, now func() time.Time) (*postgres.DB, *postgres.Store) {
	t.Helper()
	url := storagetest.DatabaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := postgres.Open(ctx, url, 8)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// Registered after DatabaseURL's cleanup, so it runs first: the pool
	// closes before the database is dropped.
	t.Cleanup(func() { db.Close() })
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return db, postgres.NewStore(db, now)
}
