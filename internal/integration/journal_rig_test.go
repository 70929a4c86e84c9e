package integration

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// downStore is the real store with a switch: while down, the first call of
// every intake path fails as a lost PostgreSQL does (EUNAVAILABLE).
type downStore struct {
	*postgres.Store
	down atomic.Bool
}

func (s *downStore) fail(op string) error {
	if !s.down.Load() {
		return nil
	}
	return &dispatch.Error{Code: dispatch.EUNAVAILABLE, Op: op, Message: "PostgreSQL is not available"}
}

func (s *downStore) InTx(ctx context.Context, fn func(dispatch.Repo) error) error {
	if err := s.fail("InTx"); err != nil {
		return err
	}
	return s.Store.InTx(ctx, fn)
}

func (s *downStore) ClaimInbound(ctx context.Context, m *dispatch.InboundMessage, d time.Duration) (dispatch.InboundClaim, error) {
	if err := s.fail("ClaimInbound"); err != nil {
		return 0, err
	}
	return s.Store.ClaimInbound(ctx, m, d)
}

func (s *downStore) TicketBySource(ctx context.Context, src string) (*dispatch.Ticket, error) {
	if err := s.fail("TicketBySource"); err != nil {
		return nil, err
	}
	return s.Store.TicketBySource(ctx, src)
}

func (s *downStore) ClientByPhone(ctx context.Context, phone string) (*dispatch.Client, error) {
	if err := s.fail("ClientByPhone"); err != nil {
		return nil, err
	}
	return s.Store.ClientByPhone(ctx, phone)
}

func (s *downStore) EnsureClient(ctx context.Context, c *dispatch.Client) (bool, error) {
	if err := s.fail("EnsureClient"); err != nil {
		return false, err
	}
	return s.Store.EnsureClient(ctx, c)
}

func (s *downStore) CreateIntakeTicket(ctx context.Context, t *dispatch.Ticket, events []*dispatch.TicketEvent,
	msg func(*dispatch.Ticket) *dispatch.Notification, inboundSID string) error {
	if err := s.fail("CreateIntakeTicket"); err != nil {
		return err
	}
	return s.Store.CreateIntakeTicket(ctx, t, events, msg, inboundSID)
}

func (s *downStore) StartCall(ctx context.Context, c *dispatch.Call) error {
	if err := s.fail("StartCall"); err != nil {
		return err
	}
	return s.Store.StartCall(ctx, c)
}

func (s *downStore) Call(ctx context.Context, sid string) (*dispatch.Call, error) {
	if err := s.fail("Call"); err != nil {
		return nil, err
	}
	return s.Store.Call(ctx, sid)
}

func (s *downStore) TokenByHash(ctx context.Context, hash string) (*dispatch.Token, error) {
	if err := s.fail("TokenByHash"); err != nil {
		return nil, err
	}
	return s.Store.TokenByHash(ctx, hash)
}

// jnRig is the SMS rig's world (real store, engine and conversation) served
// over HTTP by the intake routes and the API, on a store that can be taken
// down, with the Redis journal and a replayer.
type jnRig struct {
	*smsRig
	ik       *ikRig // for its HTTP helpers; its server is jnRig's
	ds       *downStore
	journal  *redis.Journal
	replayer *dispatch.Replayer
	in       *dispatch.Intake
}

func newJNRig(t *testing.T, journal dispatch.Journal) *jnRig {
	t.Helper()
	g := &jnRig{smsRig: newSMSRig(t)}
	g.ds = &downStore{Store: g.store}
	g.journal = redis.NewJournal(g.rc)
	if journal == nil {
		journal = g.journal
	}
	g.in = dispatch.NewIntake(g.ds, g.queue, redis.NewBus(g.rc), intake.Phones{}, nil, g.msgs,
		dispatch.IntakeOptions{SMSJoinWindow: 30 * time.Minute})
	conv := dispatch.NewConversation(g.ds, g.eng, g.in, g.msgs, dispatch.ConversationOptions{})
	g.replayer = dispatch.NewReplayer(journal, conv, g.in, dispatch.ReplayerOptions{Lease: time.Second})

	e := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)}).Echo()
	srv := httptest.NewUnstartedServer(e)
	base := "http://" + srv.Listener.Addr().String()
	h, err := intake.New(intake.Options{
		Intake: g.in, Calls: g.ds, Clients: g.ds, SMS: conv, Status: &ikStatus{}, Journal: journal,
		Limiter: redis.NewLimiter(g.rc), Files: configs.Files, AudioDir: t.TempDir(), PublicBaseURL: base,
		AuthToken: ikToken, DispatcherHours: "00:00-23:59", RecordingMax: 90 * time.Second,
		CSRFSecret: []byte("intake-test-csrf-secret-32-bytes"),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Register(e)
	api.New(api.Options{Store: g.ds, Intake: g.in, Actions: g.eng, Assignments: g.eng, Phones: intake.Phones{},
		Journal: journal}).Register(e.Group("/api/v1"))
	srv.Start()
	t.Cleanup(srv.Close)
	g.ik = &ikRig{t: t, ctx: g.ctx, store: g.store, rc: g.rc, queue: g.queue, intake: g.in, srv: srv}
	return g
}

// depth is the journal's depth.
func (g *jnRig) depth() int64 {
	g.t.Helper()
	n, err := g.journal.Depth(g.ctx)
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}

// replay runs the replayer until the journal is empty.
func (g *jnRig) replay() int {
	g.t.Helper()
	total := 0
	for range 20 {
		n, err := g.replayer.ReplayOnce(g.ctx)
		if err != nil {
			g.t.Fatalf("replay: %v", err)
		}
		total += n
		if g.depth() == 0 {
			return total
		}
	}
	g.t.Fatalf("the journal still holds %d entries", g.depth())
	return total
}

// ticketsOf counts the tickets of the client with phone.
func (g *jnRig) ticketsOf(phone string) int {
	g.t.Helper()
	c, err := g.store.ClientByPhone(g.ctx, phone)
	if dispatch.IsCode(err, dispatch.ENOTFOUND) {
		return 0
	} else if err != nil {
		g.t.Fatal(err)
	}
	_, n, err := g.store.Tickets(g.ctx, dispatch.TicketFilter{ClientID: &c.ID, Limit: 1})
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}
