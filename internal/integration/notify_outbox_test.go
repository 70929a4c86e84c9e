package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// nfyRig is a database, the fake Twilio and a ticket to hang messages on.
type nfyRig struct {
	t      *testing.T
	ctx    context.Context
	url    string
	store  *postgres.Store
	fake   *twiliotest.Server
	ticket *dispatch.Ticket
	client *dispatch.Client
}

func newNfyRig(t *testing.T) *nfyRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g := &nfyRig{t: t, ctx: ctx, url: storagetest.DatabaseURL(t), fake: twiliotest.New(t)}
	g.store = g.process()
	c := &dispatch.Client{Phone: "+77017770001", Name: "Сәуле", Lang: dispatch.LangKK}
	if err := g.store.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	tk := &dispatch.Ticket{Channel: dispatch.ChannelSMS, Category: dispatch.CategoryHome, Description: "көмек керек",
		Lang: dispatch.LangKK, Urgency: dispatch.UrgencyNormal, Status: dispatch.StatusQueued, ClientID: c.ID}
	if err := g.store.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	g.client, g.ticket = c, tk
	return g
}

// process is a store on a pool of its own, as another process has; the
// first call migrates.
func (g *nfyRig) process() *postgres.Store {
	g.t.Helper()
	db, err := postgres.Open(g.ctx, g.url, 8)
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { db.Close() })
	if g.store == nil {
		if err := postgres.Migrate(g.ctx, db); err != nil {
			g.t.Fatal(err)
		}
	}
	return postgres.NewStore(db, nil)
}

func (g *nfyRig) twilio() *notify.Twilio {
	return notify.NewTwilio(notify.TwilioOptions{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		From: "+77000000000", PublicBaseURL: "https://hotline.example.kz", APIBaseURL: g.fake.URL()})
}

// outbox runs an outbox with quick retries until the test ends.
func (g *nfyRig) outbox(store dispatch.Store, sender dispatch.Sender, workers int) *dispatch.Outbox {
	o := dispatch.NewOutbox(store, sender, nil, dispatch.OutboxOptions{Workers: workers, Batch: 4,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Tick: 10 * time.Millisecond, MaxAttempts: 50})
	ctx, cancel := context.WithCancel(g.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = o.Run(ctx)
	}()
	g.t.Cleanup(func() { cancel(); wg.Wait() })
	return o
}

// enqueue queues n messages on the ticket, to different numbers, each with
// a body of its own.
func (g *nfyRig) enqueue(n int) {
	g.t.Helper()
	id := g.ticket.ID
	for i := 0; i < n; i++ {
		err := g.store.Enqueue(g.ctx, &dispatch.Notification{Key: fmt.Sprintf("test:%d", i), TicketID: &id,
			To: fmt.Sprintf("+7702%07d", i), Body: fmt.Sprintf("message %d", i), Template: "client.help", Lang: dispatch.LangEN})
		if err != nil {
			g.t.Fatal(err)
		}
	}
}

func (g *nfyRig) rows() []*dispatch.Notification {
	g.t.Helper()
	ns, err := g.store.Notifications(g.ctx, g.ticket.ID)
	if err != nil {
		g.t.Fatal(err)
	}
	return ns
}

// settle waits until no message is queued or sending.
func (g *nfyRig) settle() []*dispatch.Notification {
	g.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ns := g.rows()
		pending := 0
		for _, n := range ns {
			if n.Status == dispatch.NotifyQueued || n.Status == dispatch.NotifySending {
				pending++
			}
		}
		if pending == 0 {
			return ns
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("gave up waiting: %d messages still pending", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exactlyOnce checks that every row was sent, and that the fake received
// each body once, under the SID the row records.
func (g *nfyRig) exactlyOnce(ns []*dispatch.Notification) {
	g.t.Helper()
	got := map[string][]string{}
	for _, m := range g.fake.Messages() {
		got[m.Body] = append(got[m.Body], m.SID)
	}
	for _, n := range ns {
		if n.Status != dispatch.NotifySent {
			g.t.Errorf("%s: status %s (%s)", n.Key, n.Status, n.Error)
		}
		if sids := got[n.Body]; len(sids) != 1 || sids[0] != n.ProviderSID {
			g.t.Errorf("%s: the fake received it %d times %v; the row says %q", n.Key, len(sids), sids, n.ProviderSID)
		}
	}
	if len(g.fake.Messages()) != len(ns) {
		g.t.Errorf("the fake received %d messages for %d rows", len(g.fake.Messages()), len(ns))
	}
}

func TestNotifyRetriesDeliverExactlyOnce(t *testing.T) {
	g := newNfyRig(t)
	g.fake.FailNext(3, 429)
	g.fake.FailNext(2, 500)
	g.fake.LoseNext(2) // accepted, but the answer is lost: the outbox must look before resending
	g.fake.FailNext(1, 503)
	g.enqueue(12)
	g.outbox(g.store, g.twilio(), 1)
	ns := g.settle()
	g.exactlyOnce(ns)
	retried := 0
	for _, n := range ns {
		if n.Attempts > 1 {
			retried++
		}
	}
	if retried < 4 {
		t.Errorf("only %d messages were retried; the faults did not bite", retried)
	}
}

func TestNotifyTwoSendersRaceExactlyOnce(t *testing.T) {
	g := newNfyRig(t)
	g.fake.FailNext(4, 429)
	g.fake.LoseNext(2)
	g.fake.FailNext(4, 500)
	g.enqueue(60)
	a, b := g.process(), g.process()
	g.outbox(a, g.twilio(), 3)
	g.outbox(b, g.twilio(), 3)
	g.exactlyOnce(g.settle())
}

func TestNotifyPermanentFailureShowsOnTicket(t *testing.T) {
	g := newNfyRig(t)
	g.fake.Reject("+77020000001", 21211)
	g.enqueue(2)
	o := g.outbox(g.store, g.twilio(), 1)
	ns := g.settle()
	byKey := map[string]*dispatch.Notification{}
	for _, n := range ns {
		byKey[n.Key] = n
	}
	if n := byKey["test:1"]; n.Status != dispatch.NotifyFailed || n.Attempts != 1 {
		t.Fatalf("rejected message: %s after %d attempts (%s)", n.Status, n.Attempts, n.Error)
	}
	sent := byKey["test:0"]
	if sent.Status != dispatch.NotifySent {
		t.Fatalf("good message: %s", sent.Status)
	}

	// Status callbacks, as Twilio posts them: delivered, a late "sent" that
	// must not move it back, then for a second message a carrier failure.
	if err := o.RecordStatus(g.ctx, sent.ProviderSID, "delivered", ""); err != nil {
		t.Fatal(err)
	}
	if err := o.RecordStatus(g.ctx, sent.ProviderSID, "sent", ""); err != nil {
		t.Fatal(err)
	}
	if n := g.row("test:0"); n.Status != dispatch.NotifyDelivered {
		t.Fatalf("after delivered and a late sent: %s", n.Status)
	}
	id := g.ticket.ID
	if err := g.store.Enqueue(g.ctx, &dispatch.Notification{Key: "test:late", TicketID: &id, To: "+77020000009",
		Body: "late failure", Template: "client.help", Lang: dispatch.LangEN}); err != nil {
		t.Fatal(err)
	}
	g.settle()
	late := g.row("test:late")
	for i := 0; i < 2; i++ { // Twilio may post the same callback twice
		if err := o.RecordStatus(g.ctx, late.ProviderSID, "undelivered", "30003"); err != nil {
			t.Fatal(err)
		}
	}
	if n := g.row("test:late"); n.Status != dispatch.NotifyUndelivered {
		t.Fatalf("after undelivered: %s", n.Status)
	}
	// An id not saved yet is kept for when it is (notify_early_test.go).
	if err := o.RecordStatus(g.ctx, "SMnope", "delivered", ""); err != nil {
		t.Fatalf("unknown SID: %v", err)
	}
	if kept, err := g.store.TakeEarlyStatuses(g.ctx, "SMnope"); err != nil || len(kept) != 1 {
		t.Fatalf("unknown SID's callback kept: %v %v", kept, err)
	}
	if err := o.RecordStatus(g.ctx, late.ProviderSID, "exploded", ""); !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Fatalf("unknown status: %v", err)
	}

	evs, err := g.store.Events(g.ctx, g.ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	var delivery []*dispatch.TicketEvent
	for _, ev := range evs {
		if ev.Kind == dispatch.EventDelivery {
			delivery = append(delivery, ev)
		}
	}
	if len(delivery) != 2 {
		t.Fatalf("%d delivery events, want 2 (the rejected and the undelivered message): %+v", len(delivery), delivery)
	}
	for _, ev := range delivery {
		if nfyContains(ev.Reason+ev.Data, "+77020000001", "+77020000009", "late failure") {
			t.Errorf("delivery event shows a number or a body: %s %s", ev.Reason, ev.Data)
		}
	}
}

func (g *nfyRig) row(key string) *dispatch.Notification {
	g.t.Helper()
	for _, n := range g.rows() {
		if n.Key == key {
			return n
		}
	}
	g.t.Fatalf("no message %s", key)
	return nil
}

// nfyContains reports whether s contains any of subs.
func nfyContains(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func TestNotifySimulatorDeliversAtOnce(t *testing.T) {
	g := newNfyRig(t)
	g.enqueue(3)
	g.outbox(g.store, notify.NewSimulator(), 1)
	for _, n := range g.settle() {
		if n.Status != dispatch.NotifyDelivered || !strings.HasPrefix(n.ProviderSID, "SM") || n.SentAt == nil {
			t.Errorf("%s: %s sid %q", n.Key, n.Status, n.ProviderSID)
		}
	}
	if len(g.fake.Messages()) != 0 {
		t.Error("the simulator reached Twilio")
	}
}
