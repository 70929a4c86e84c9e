package integration

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// engRig is one test's world for the engine: its own database and Redis
// prefix, a clock the test moves, and engines built on them.
type engRig struct {
	t      testing.TB
	ctx    context.Context
	url    string
	db0    *postgres.DB
	store  *postgres.Store
	rc     *redis.Client
	prefix string
	queue  *redis.Queue
	geo    *redis.GeoIndex
	clock  *engClock
	opts   dispatch.EngineOptions
	msgs   dispatch.Messages
	phones atomic.Int64
}

// engClock is a clock that moves only when told.
type engClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *engClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *engClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// engAstana is the centre of the tests' city; engTuesday10 a Tuesday
// morning there, inside ordinary availability windows.
var (
	engAstana    = dispatch.Location{Lat: 51.1694, Lon: 71.4491}
	engZone      = time.FixedZone("Asia/Almaty", 5*3600)
	engTuesday10 = time.Date(2026, 12, 1, 10, 0, 0, 0, engZone)
)

// newEngRig builds the world. A nil clock start means the real clock, for
// tests that run engines in the background against the real queue.
func newEngRig(t testing.TB, fake bool, opts dispatch.EngineOptions) *engRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g := &engRig{t: t, ctx: ctx}
	var now func() time.Time
	if fake {
		g.clock = &engClock{now: time.Now().In(engZone)}
		now = g.clock.Now
	}
	g.url = storagetest.DatabaseURL(t)
	g.prefix = storagetest.RedisPrefix(t)
	g.store, g.rc = g.open(now)
	if err := postgres.Migrate(ctx, g.db0); err != nil {
		t.Fatal(err)
	}
	g.queue = redis.NewQueue(g.rc, 5*time.Second)
	g.geo = redis.NewGeoIndex(g.rc)
	if err := g.geo.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	opts.Now = now
	if opts.Logger == nil {
		// Shown when the test fails: why a background engine did not act.
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.Location == nil {
		opts.Location = engZone
	}
	if len(opts.Radii) == 0 {
		opts.Radii = []float64{3, 10, 25}
	}
	g.opts = opts
	msgs, err := notify.NewTemplates(configs.Files)
	if err != nil {
		t.Fatal(err)
	}
	g.msgs = msgs
	return g
}

// open connects to the rig's database and Redis prefix with pools of
// their own, as another process does.
func (g *engRig) open(now func() time.Time) (*postgres.Store, *redis.Client) {
	g.t.Helper()
	// Few connections: every package's tests share one server.
	db, err := postgres.Open(g.ctx, g.url, 4)
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { db.Close() })
	if g.db0 == nil {
		g.db0 = db
	}
	rc, err := redis.Open(g.ctx, storagetest.RedisURL(), g.prefix)
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { rc.Close() })
	return postgres.NewStore(db, now), rc
}

// engine returns a new engine on the rig's stores.
func (g *engRig) engine() *dispatch.Engine {
	return dispatch.NewEngine(g.store, g.queue, g.geo, redis.NewBus(g.rc), g.msgs, g.opts)
}

// process returns an engine on connections of its own: another process
// sharing the database and Redis.
func (g *engRig) process() *dispatch.Engine {
	g.t.Helper()
	store, rc := g.open(g.opts.Now)
	return dispatch.NewEngine(store, redis.NewQueue(rc, 5*time.Second), redis.NewGeoIndex(rc), redis.NewBus(rc), g.msgs, g.opts)
}

// engOffset is the point dNorth and dEast km from p.
func engOffset(p dispatch.Location, dNorthKM, dEastKM float64) dispatch.Location {
	const kmPerDegLat = 111.32
	return dispatch.Location{Lat: p.Lat + dNorthKM/kmPerDegLat, Lon: p.Lon + dEastKM/(kmPerDegLat*0.6268)} // cos(51.17°)
}

func (g *engRig) phone() string { return fmt.Sprintf("+7701%07d", g.phones.Add(1)) }

// volunteer creates an available Russian-speaking volunteer kmNorth of the
// city centre, changed by opt, and puts them in the geo index.
func (g *engRig) volunteer(name string, kmNorth float64, opt func(*dispatch.Volunteer)) *dispatch.Volunteer {
	g.t.Helper()
	loc := engOffset(engAstana, kmNorth, 0)
	v := &dispatch.Volunteer{Name: name, Phone: g.phone(), Languages: []dispatch.Lang{dispatch.LangRU},
		Location: &loc, Available: true, MaxTasks: 1}
	if opt != nil {
		opt(v)
	}
	if err := g.store.CreateVolunteer(g.ctx, v); err != nil {
		g.t.Fatal(err)
	}
	if v.Location != nil {
		if err := g.geo.Set(g.ctx, v.ID, *v.Location); err != nil {
			g.t.Fatal(err)
		}
	}
	return v
}

// ticket creates a queued ticket at the city centre for a new client, as
// intake leaves it (due now), changed by opt. It is not pushed.
func (g *engRig) ticket(opt func(*dispatch.Ticket)) *dispatch.Ticket {
	g.t.Helper()
	c := &dispatch.Client{Phone: g.phone(), Name: "Айгерим Сапарова", Lang: dispatch.LangRU,
		Address: "ул. Кенесары 40, кв. 12"}
	if err := g.store.CreateClient(g.ctx, c); err != nil {
		g.t.Fatal(err)
	}
	loc := engAstana
	now := g.now()
	tk := &dispatch.Ticket{Channel: dispatch.ChannelWeb, Category: dispatch.CategoryShopping,
		Description: "нужны продукты", Lang: dispatch.LangRU, Location: &loc, Address: c.Address,
		Urgency: dispatch.UrgencyNormal, Status: dispatch.StatusQueued, ClientID: c.ID, DueAt: &now}
	if opt != nil {
		opt(tk)
	}
	if err := g.store.CreateTicket(g.ctx, tk); err != nil {
		g.t.Fatal(err)
	}
	return tk
}

func (g *engRig) now() time.Time {
	if g.clock != nil {
		return g.clock.Now()
	}
	return time.Now()
}

func (g *engRig) get(id int64) *dispatch.Ticket {
	g.t.Helper()
	tk, err := g.store.Ticket(g.ctx, id)
	if err != nil {
		g.t.Fatal(err)
	}
	return tk
}

// offers returns the ticket's offers by status, volunteer IDs sorted.
func (g *engRig) offers(id int64) map[dispatch.OfferStatus][]int64 {
	g.t.Helper()
	os, err := g.store.Offers(g.ctx, id)
	if err != nil {
		g.t.Fatal(err)
	}
	out := map[dispatch.OfferStatus][]int64{}
	for _, o := range os {
		out[o.Status] = append(out[o.Status], o.VolunteerID)
	}
	for _, ids := range out {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	return out
}

// events returns the ticket's timeline events of one kind.
func (g *engRig) events(id int64, kind string) []*dispatch.TicketEvent {
	g.t.Helper()
	evs, err := g.store.Events(g.ctx, id)
	if err != nil {
		g.t.Fatal(err)
	}
	var out []*dispatch.TicketEvent
	for _, ev := range evs {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// notes returns the ticket's outgoing messages with template tpl ("" all).
func (g *engRig) notes(id int64, tpl string) []*dispatch.Notification {
	g.t.Helper()
	ns, err := g.store.Notifications(g.ctx, id)
	if err != nil {
		g.t.Fatal(err)
	}
	var out []*dispatch.Notification
	for _, n := range ns {
		if tpl == "" || n.Template == tpl {
			out = append(out, n)
		}
	}
	return out
}

// handle runs one engine step on the ticket, as a worker does.
func (g *engRig) handle(e *dispatch.Engine, id int64) *dispatch.Ticket {
	g.t.Helper()
	if err := e.Handle(g.ctx, id); err != nil {
		g.t.Fatal(err)
	}
	return g.get(id)
}

// eventually polls cond until it holds or a generous deadline passes: a
// wait for background work to happen, not a measure of its speed.
func (g *engRig) eventually(what string, cond func() bool) {
	g.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			g.t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// engWipeRedis deletes every key under prefix, which is what a FLUSHALL
// does to this test's share of the shared server. It speaks RESP over a
// plain connection, so that only storage/ imports a Redis client.
func engWipeRedis(t testing.TB, prefix string) {
	t.Helper()
	u, err := url.Parse(storagetest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	cmd := func(args ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := conn.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "-") {
			t.Fatalf("redis: %s", line)
		}
		return strings.TrimSpace(line)
	}
	if pw, ok := u.User.Password(); ok {
		cmd("AUTH", pw)
	}
	if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
		cmd("SELECT", db)
	}
	const script = `local n = 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k); n = n + 1 end
return n`
	if got := cmd("EVAL", script, "0", prefix+"*"); got == ":0" {
		t.Fatalf("wiping Redis deleted nothing under %s", prefix)
	}
}
