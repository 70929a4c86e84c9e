package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/postgres/pgtest"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

func TestMigrateTwiceIsNoOp(t *testing.T) {
	db, s := pgtest.New(t)
	ctx := context.Background()
	c := &dispatch.Client{Phone: "+77011234567", Name: "Айгүл"}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, err := s.Client(ctx, c.ID); err != nil {
		t.Fatalf("data lost by the second Migrate: %v", err)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	url := storagetest.DatabaseURL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(ctx, url, i+1) // a pool of one must work too
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = postgres.Migrate(ctx, db)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	db, err := postgres.Open(ctx, url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := postgres.NewStore(db, nil)
	if _, _, err := s.Tickets(ctx, dispatch.TicketFilter{}); err != nil {
		t.Fatalf("schema not usable after concurrent migrations: %v", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ url, code string }{
		{"", dispatch.EINVALID},
		{"not a url", dispatch.EINVALID},
		{"postgres://user:secret@%zz/db", dispatch.EINVALID},
		{"postgres://user:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", dispatch.EUNAVAILABLE},
	} {
		_, err := postgres.Open(ctx, tt.url, 1)
		if dispatch.ErrorCode(err) != tt.code {
			t.Errorf("Open(%q) = %v, want code %s", tt.url, err, tt.code)
			continue
		}
		msg := dispatch.ErrorMessage(err)
		if !contains(msg, "DATABASE_URL") {
			t.Errorf("Open(%q) message %q does not name DATABASE_URL", tt.url, msg)
		}
		if contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error %q shows the password", tt.url, err)
		}
	}
}
