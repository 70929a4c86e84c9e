package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/postgres/pgtest"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// base is the fixed time the tests' clocks start at: a Tuesday noon in
// Astana.
var base = time.Date(2026, 3, 3, 12, 0, 0, 0, time.FixedZone("Asia/Almaty", 5*3600))

// clock is a settable clock for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newStore is a store on a fresh database with a clock at base.
func newStore(t *testing.T) (*postgres.DB, *postgres.Store, *clock) {
	t.Helper()
	c := &clock{t: base}
	db, s := pgtest.NewWithClock(t, c.now)
	return db, s, c
}

var phoneSeq atomic.Int64

// phone returns a valid E.164 number no other call returns.
func phone() string { return fmt.Sprintf("+7701%07d", phoneSeq.Add(1)) }

func mustClient(t *testing.T, s dispatch.Repo) *dispatch.Client {
	t.Helper()
	c := &dispatch.Client{Phone: phone(), Name: "Айгүл Серікқызы", Lang: dispatch.LangKK}
	if err := s.CreateClient(context.Background(), c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c
}

func mustVolunteer(t *testing.T, s dispatch.Repo, mod func(*dispatch.Volunteer)) *dispatch.Volunteer {
	t.Helper()
	v := &dispatch.Volunteer{Phone: phone(), Name: "Ерлан Нұрланұлы", Languages: []dispatch.Lang{"kk", "ru"},
		Skills: []dispatch.Skill{"car"}, Location: &dispatch.Location{Lat: 51.17, Lon: 71.43},
		Available: true, MaxTasks: 1}
	if mod != nil {
		mod(v)
	}
	if err := s.CreateVolunteer(context.Background(), v); err != nil {
		t.Fatalf("CreateVolunteer: %v", err)
	}
	return v
}

func mustTicket(t *testing.T, s dispatch.Repo, clientID int64, mod func(*dispatch.Ticket)) *dispatch.Ticket {
	t.Helper()
	tk := &dispatch.Ticket{Channel: dispatch.ChannelSMS, Category: dispatch.CategoryShopping,
		Description: "нужны лекарства из аптеки", Lang: dispatch.LangRU, ClientID: clientID,
		Status: dispatch.StatusQueued}
	if mod != nil {
		mod(tk)
	}
	if err := s.CreateTicket(context.Background(), tk); err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	return tk
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if dispatch.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if code != dispatch.EINTERNAL && dispatch.ErrorMessage(err) == "Internal error." {
		t.Fatalf("err %v has no message for the person who asked", err)
	}
}

func count(t *testing.T, db *postgres.DB, q string, a ...any) int {
	t.Helper()
	var n int
	if err := postgres.RawDB(db).QueryRow(q, a...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }
