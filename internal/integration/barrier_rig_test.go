package integration

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/console"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/postgres/pgtest"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// recRig is the console with the records pages (barriers, hours, erasure)
// and the public barriers page, on a real database and Redis, with a clock
// the test moves. It is a conRig, so the console tests' browser works on it.
type recRig struct {
	*conRig
	db        *postgres.DB
	clock     *testClock
	barriers  *dispatch.Barriers
	hours     *dispatch.HoursService
	retention *dispatch.Retention
	zone      *time.Location
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

const recCentre = "Астана жастар ресурстық орталығы"

func newRecRig(t *testing.T) *recRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	zone, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Now()}
	db, store := pgtest.NewWithClock(t, clk.Now)
	rc, err := redis.Open(ctx, storagetest.RedisURL(), storagetest.RedisPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	g := &recRig{conRig: &conRig{t: t, ctx: ctx, store: store, bus: redis.NewBus(rc)}, db: db, clock: clk, zone: zone}
	g.engine = dispatch.NewEngine(store, redis.NewQueue(rc, 5*time.Second), redis.NewGeoIndex(rc), g.bus, conMessages{},
		dispatch.EngineOptions{Radii: []float64{3, 10, 25}})
	g.barriers = dispatch.NewBarriers(store, clk.Now)
	g.hours = dispatch.NewHours(store, zone)
	g.retention = dispatch.NewRetention(store, dispatch.RetentionOptions{Period: 365 * 24 * time.Hour, Now: clk.Now})
	g.con = console.New(console.Options{
		Store: store, Actions: g.engine, Assignments: g.engine, Bus: g.bus,
		Limiter: redis.NewLimiter(rc), LoginAttemptsPerMinute: 50, Heartbeat: time.Hour,
		Pages:   console.PageOptions{Zone: zone},
		Records: console.RecordsOptions{Barriers: g.barriers, Hours: g.hours, Retention: g.retention, CentreName: recCentre},
	})
	page, err := intake.NewBarriersPage(intake.BarriersOptions{Barriers: g.barriers, Files: configs.Files, Location: zone})
	if err != nil {
		t.Fatal(err)
	}
	hs := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)})
	g.con.Register(hs.Echo())
	page.Register(hs.Echo())
	g.srv = httptest.NewServer(hs.Echo())
	t.Cleanup(g.srv.Close)
	t.Cleanup(g.con.Close)
	for _, r := range []dispatch.Role{dispatch.RoleAdmin, dispatch.RoleDispatcher, dispatch.RoleViewer} {
		h, err := bcrypt.GenerateFromPassword([]byte(conPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CreateUser(ctx, &dispatch.User{Name: string(r), Role: r, PasswordHash: string(h)}); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// client creates a client with a name and phone a page must not leak.
func (g *recRig) client(name string) *dispatch.Client {
	g.t.Helper()
	c := &dispatch.Client{Phone: g.phone(), Name: name, Lang: dispatch.LangRU}
	if err := g.store.CreateClient(g.ctx, c); err != nil {
		g.t.Fatal(err)
	}
	return c
}

// newTicket creates a queued ticket of c; mod may change it first.
func (g *recRig) newTicket(c *dispatch.Client, mod func(*dispatch.Ticket)) *dispatch.Ticket {
	g.t.Helper()
	loc := dispatch.Location{Lat: 51.1694, Lon: 71.4491}
	tk := &dispatch.Ticket{Channel: dispatch.ChannelSMS, Category: dispatch.CategoryShopping, Description: "нужна помощь",
		Lang: dispatch.LangRU, Location: &loc, Address: "ул. Кенесары 40", Urgency: dispatch.UrgencyNormal,
		Status: dispatch.StatusQueued, ClientID: c.ID}
	if mod != nil {
		mod(tk)
	}
	if err := g.store.CreateTicket(g.ctx, tk); err != nil {
		g.t.Fatal(err)
	}
	return tk
}

// finish moves t to a final status directly in the store (these tests are
// about what happens after), with the volunteer and times given.
func (g *recRig) finish(t *dispatch.Ticket, status dispatch.Status, v *dispatch.Volunteer, assigned, completed time.Time) {
	g.t.Helper()
	t.Status = status
	if v != nil {
		t.VolunteerID = &v.ID
		t.AssignedAt, t.CompletedAt = &assigned, &completed
	}
	t.DueAt = nil
	if err := g.store.UpdateTicket(g.ctx, t); err != nil {
		g.t.Fatal(err)
	}
}

func (g *recRig) volunteer(name string) *dispatch.Volunteer {
	g.t.Helper()
	v := &dispatch.Volunteer{Phone: g.phone(), Name: name, Languages: []dispatch.Lang{dispatch.LangKK, dispatch.LangRU},
		Available: true, MaxTasks: 3, Location: &dispatch.Location{Lat: 51.17, Lon: 71.44}}
	if err := g.store.CreateVolunteer(g.ctx, v); err != nil {
		g.t.Fatal(err)
	}
	return v
}

// mustNotContain fails when body holds any of the secrets.
func mustNotContain(t *testing.T, what, body string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("%s shows %q", what, s)
		}
	}
}
