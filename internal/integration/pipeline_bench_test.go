package integration

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// perfWorld is the service wired as cmd/dispatcher wires it (waking store,
// router, conversation, engine, outbox), on a database of its own reached
// through a pgCounter, with a Sender that records when each message was
// handed to it.
type perfWorld struct {
	ctx    context.Context
	pg     *pgCounter
	via    string // the database's URL through pg
	store  *postgres.Store
	geo    *redis.GeoIndex
	intake *dispatch.Intake
	engine *dispatch.Engine
	outbox *dispatch.Outbox
	sender *perfSender
	srv    *httptest.Server
}

func newPerfWorld(b *testing.B) *perfWorld {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	w := &perfWorld{ctx: ctx, sender: &perfSender{offers: map[int64]time.Time{}}}
	dbURL := storagetest.DatabaseURL(b)
	mdb, err := postgres.Open(ctx, dbURL, 1)
	if err != nil {
		b.Fatal(err)
	}
	if err := postgres.Migrate(ctx, mdb); err != nil {
		b.Fatal(err)
	}
	mdb.Close()
	w.pg, w.via = newPGCounter(b, dbURL)
	db, err := postgres.Open(ctx, w.via, 8)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	w.store = postgres.NewStore(db, nil)
	rc, err := redis.Open(ctx, storagetest.RedisURL(), storagetest.RedisPrefix(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rc.Close() })
	queue, bus, waker := redis.NewQueue(rc, 5*time.Second), redis.NewBus(rc), redis.NewWaker(rc)
	w.geo = redis.NewGeoIndex(rc)
	if err := w.geo.Rebuild(ctx, nil); err != nil {
		b.Fatal(err)
	}
	msgs, err := notify.NewTemplates(configs.Files)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(b.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	waking := dispatch.WakeSenders(w.store, waker)
	w.intake = dispatch.NewIntake(waking, queue, bus, intake.Phones{}, nil, msgs, dispatch.IntakeOptions{Logger: log})
	w.engine = dispatch.NewEngine(waking, queue, w.geo, bus, msgs, dispatch.EngineOptions{
		Location: engZone, Logger: log, Workers: 4})
	w.outbox = dispatch.NewOutbox(w.store, w.sender, waker, dispatch.OutboxOptions{Bus: bus, Logger: log})
	conv := dispatch.NewConversation(waking, w.engine, dispatch.NewRouter(waking, log).Wrap(w.intake), msgs,
		dispatch.ConversationOptions{Bus: bus, Logger: log})
	e := echo.New()
	w.srv = httptest.NewUnstartedServer(e)
	base := "http://" + w.srv.Listener.Addr().String()
	h, err := intake.New(intake.Options{Intake: w.intake, Calls: w.store, Clients: w.store, SMS: conv, Status: w.outbox,
		Limiter: redis.NewLimiter(rc), Files: configs.Files, AudioDir: b.TempDir(), PublicBaseURL: base,
		AuthToken: twiliotest.AuthToken, DispatcherHours: "00:00-23:59",
		CSRFSecret: []byte("perf-test-csrf-secret-of-32-byte")})
	if err != nil {
		b.Fatal(err)
	}
	h.Register(e)
	w.srv.Start()
	b.Cleanup(w.srv.Close)
	var wg sync.WaitGroup
	wg.Go(func() { _ = waker.Run(ctx) })
	b.Cleanup(func() { cancel(); wg.Wait() })
	select {
	case <-waker.Ready():
	case <-time.After(10 * time.Second):
		b.Fatal("the waker did not subscribe")
	}
	return w
}

// run starts the engine and the outbox until the benchmark ends.
func (w *perfWorld) run(b *testing.B) {
	ctx, cancel := context.WithCancel(w.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.engine.Run(ctx) })
	wg.Go(func() { _ = w.outbox.Run(ctx) })
	b.Cleanup(func() { cancel(); wg.Wait() })
}

// sms posts a signed text from a new number and fails unless it is
// answered 200.
func (w *perfWorld) sms(b *testing.B, client *http.Client, n int64) {
	from := fmt.Sprintf("+7702%07d", n)
	form := url.Values{"MessageSid": {fmt.Sprintf("SMperf%026d", n)}, "AccountSid": {twiliotest.AccountSID},
		"From": {from}, "To": {smsHotline}, "Body": {"Помогите донести продукты из магазина"}, "NumMedia": {"0"}}
	u := w.srv.URL + "/twilio/sms"
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, u, form))
	res, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Errorf("text %d: HTTP %d", n, res.StatusCode)
	}
}

// count reports the PostgreSQL round trips and transactions per op since
// the counts (t0, x0).
func (w *perfWorld) count(b *testing.B, ops int, t0, x0 int64) {
	t1, x1 := w.pg.snapshot()
	b.ReportMetric(float64(t1-t0)/float64(ops), "pg-trips/op")
	b.ReportMetric(float64(x1-x0)/float64(ops), "pg-xacts/op")
}

// BenchmarkSMSIntake is one signed SMS webhook from a new number, through
// the real handler and conversation, until its ticket, audit events,
// confirmation and inbound record are committed and the webhook answered.
// It reports PostgreSQL round trips and transactions per ticket; the
// engine and the outbox do not run.
func BenchmarkSMSIntake(b *testing.B) {
	w := newPerfWorld(b)
	client := &http.Client{}
	var n int64
	w.sms(b, client, 0) // warm the pool and the handler
	t0, x0 := w.pg.snapshot()
	for b.Loop() {
		n++
		w.sms(b, client, n)
	}
	w.count(b, int(n), t0, x0)
	if _, total, err := w.store.Tickets(w.ctx, dispatch.TicketFilter{Limit: 1}); err != nil || total != int(n)+1 {
		b.Fatalf("%d tickets for %d texts (%v)", total, n+1, err)
	}
}

// BenchmarkSMSIntakeParallel is BenchmarkSMSIntake from several clients at
// once: the throughput of one process.
func BenchmarkSMSIntakeParallel(b *testing.B) {
	w := newPerfWorld(b)
	var n atomic.Int64
	w.sms(b, http.DefaultClient, n.Add(1))
	t0, x0 := w.pg.snapshot()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		client := &http.Client{}
		for pb.Next() {
			w.sms(b, client, n.Add(1))
		}
	})
	w.count(b, int(n.Load())-1, t0, x0)
}

// BenchmarkFirstOffer is one located request through Intake.Submit, with
// the engine and the outbox running, until its first offer is handed to
// the Sender: it reports that latency's p50 and p99, and the round trips
// and transactions per ticket of the whole pipeline by then (intake,
// match, offers, and the sending of what was queued).
func BenchmarkFirstOffer(b *testing.B) {
	w := newPerfWorld(b)
	for i := range 600 {
		loc := engOffset(engAstana, float64(i%30)*0.1-1.5, float64(i/30)*0.1-1)
		v := &dispatch.Volunteer{Name: "v", Phone: fmt.Sprintf("+7705%07d", i), Languages: []dispatch.Lang{dispatch.LangRU},
			Location: &loc, Available: true, MaxTasks: 20}
		if err := w.store.CreateVolunteer(w.ctx, v); err != nil {
			b.Fatal(err)
		}
		if err := w.geo.Set(w.ctx, v.ID, loc); err != nil {
			b.Fatal(err)
		}
	}
	w.run(b)
	var lat []time.Duration
	submit := func(i int64) {
		loc := engOffset(engAstana, float64(i%7)*0.2, float64(i%5)*0.2)
		start := time.Now()
		res, err := w.intake.Submit(w.ctx, dispatch.IntakeRequest{Channel: dispatch.ChannelAPI, SourceID: fmt.Sprintf("perf-%d", i),
			Phone: fmt.Sprintf("+7702%07d", i), Description: "Помогите донести продукты", Location: &loc,
			Category: dispatch.CategoryShopping, Lang: dispatch.LangRU})
		if err != nil {
			b.Fatal(err)
		}
		at, ok := w.sender.waitOffer(res.Ticket.ID, 10*time.Second)
		if !ok {
			b.Fatalf("no offer for ticket %d within 10 s", res.Ticket.ID)
		}
		lat = append(lat, at.Sub(start))
	}
	submit(0)
	lat = lat[:0]
	t0, x0 := w.pg.snapshot()
	var n int64
	for b.Loop() {
		n++
		submit(n)
	}
	w.count(b, int(n), t0, x0)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "offer-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "offer-p99-ms")
}

// perfSender records when the first offer of each ticket was handed to it.
type perfSender struct {
	mu     sync.Mutex
	offers map[int64]time.Time
	sent   atomic.Int64
}

func (s *perfSender) Send(ctx context.Context, n *dispatch.Notification) (string, error) {
	now := time.Now()
	id := s.sent.Add(1)
	if n.Template == "volunteer.offer" && n.TicketID != nil {
		s.mu.Lock()
		if _, ok := s.offers[*n.TicketID]; !ok {
			s.offers[*n.TicketID] = now
		}
		s.mu.Unlock()
	}
	return fmt.Sprintf("SMperfsent%022d", id), nil
}

func (s *perfSender) Lookup(ctx context.Context, n *dispatch.Notification) (string, error) {
	return "", dispatch.Errorf(dispatch.ENOTFOUND, "not sent")
}

// waitOffer returns when ticket's first offer was sent, waiting up to d.
func (s *perfSender) waitOffer(ticket int64, d time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		at, ok := s.offers[ticket]
		s.mu.Unlock()
		if ok {
			return at, true
		}
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// BenchmarkRawInsert is the ceiling the other benchmarks are read against:
// one-row INSERTs of a ticket-sized row into a table of its own, on the
// same pool and through the same proxy, each its own transaction.
func BenchmarkRawInsert(b *testing.B) {
	w := newPerfWorld(b)
	db, err := sql.Open("postgres", w.via+"&binary_parameters=yes")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE raw_insert (id bigserial PRIMARY KEY, code text, body text, at timestamptz)`); err != nil {
		b.Fatal(err)
	}
	t0, x0 := w.pg.snapshot()
	var n int
	for b.Loop() {
		n++
		if _, err := db.Exec(`INSERT INTO raw_insert (code, body, at) VALUES ($1, $2, now())`,
			fmt.Sprintf("K%07d", n), "Помогите донести продукты из магазина"); err != nil {
			b.Fatal(err)
		}
	}
	w.count(b, n, t0, x0)
}
