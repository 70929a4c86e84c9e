package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

// earlySender is a provider whose delivery callback reaches us before its
// answer to the send: Send reports the status (through the outbox's own
// RecordStatus, as the webhook does) and only then returns the id.
type earlySender struct {
	outbox   *dispatch.Outbox
	statuses []string // reported in turn, before the answer
	code     string
	prefix   string // makes the ids of two senders differ
	n        int
}

func (s *earlySender) Send(ctx context.Context, n *dispatch.Notification) (string, error) {
	s.n++
	sid := fmt.Sprintf("SMearly%s%020d", s.prefix, s.n)
	for _, st := range s.statuses {
		if err := s.outbox.RecordStatus(ctx, sid, st, s.code); err != nil {
			return "", fmt.Errorf("callback %s before the send's answer: %w", st, err)
		}
	}
	return sid, nil
}

func (s *earlySender) Lookup(context.Context, *dispatch.Notification) (string, error) {
	return "", dispatch.Errorf(dispatch.ENOTFOUND, "not sent")
}

func (g *nfyRig) earlyOutbox(sender *earlySender) *dispatch.Outbox {
	o := dispatch.NewOutbox(g.store, sender, nil, dispatch.OutboxOptions{Workers: 1, Batch: 4})
	sender.outbox = o
	return o
}

// TestStatusCallbackBeforeSIDIsSaved: callbacks that come before the outbox
// saved the message's provider id are kept and applied when it is, in
// order; a failure reaches the ticket's timeline.
func TestStatusCallbackBeforeSIDIsSaved(t *testing.T) {
	g := newNfyRig(t)
	g.enqueue(1)
	s := &earlySender{statuses: []string{"sent", "delivered"}}
	if n, err := g.earlyOutbox(s).SendDue(g.ctx); err != nil || n != 1 {
		t.Fatalf("SendDue: %d %v", n, err)
	}
	if got := g.row("test:0"); got.Status != dispatch.NotifyDelivered || got.ProviderSID == "" {
		t.Fatalf("message after an early 'delivered': status %s sid %q, want delivered", got.Status, got.ProviderSID)
	}

	// An early failure is final and shows on the ticket.
	id := g.ticket.ID
	if err := g.store.Enqueue(g.ctx, &dispatch.Notification{Key: "test:fail", TicketID: &id, To: "+77020000077",
		Body: "x", Template: "client.help", Lang: dispatch.LangEN}); err != nil {
		t.Fatal(err)
	}
	f := &earlySender{statuses: []string{"undelivered"}, code: "30003", prefix: "fail"}
	if _, err := g.earlyOutbox(f).SendDue(g.ctx); err != nil {
		t.Fatal(err)
	}
	got := g.row("test:fail")
	if got.Status != dispatch.NotifyUndelivered || !strings.Contains(got.Error, "30003") {
		t.Fatalf("message after an early 'undelivered': %s %q", got.Status, got.Error)
	}
	evs, err := g.store.Events(g.ctx, g.ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		found = found || (e.Kind == dispatch.EventDelivery && strings.Contains(e.Reason, "undelivered"))
	}
	if !found {
		t.Fatal("the early failure is not on the ticket's timeline")
	}
	// Nothing is left kept.
	for _, sid := range []string{g.row("test:0").ProviderSID, got.ProviderSID} {
		if left, err := g.store.TakeEarlyStatuses(g.ctx, sid); err != nil || len(left) != 0 {
			t.Fatalf("callbacks for %s still kept: %v %v", sid, left, err)
		}
	}
}

// TestEarlyStatusesPrunedAfterADay: a callback whose message never turned
// up is gone a day later.
func TestEarlyStatusesPrunedAfterADay(t *testing.T) {
	g := newNfyRig(t)
	db, err := postgres.Open(g.ctx, g.url, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	past := postgres.NewStore(db, func() time.Time { return time.Now().Add(-25 * time.Hour) })
	if err := past.KeepEarlyStatus(g.ctx, "SMstale", "delivered", ""); err != nil {
		t.Fatal(err)
	}
	if err := g.store.KeepEarlyStatus(g.ctx, "SMfresh", "sent", ""); err != nil {
		t.Fatal(err)
	}
	if stale, err := g.store.TakeEarlyStatuses(g.ctx, "SMstale"); err != nil || len(stale) != 0 {
		t.Fatalf("a callback of 25 hours ago is still kept: %v %v", stale, err)
	}
	if fresh, err := g.store.TakeEarlyStatuses(g.ctx, "SMfresh"); err != nil || len(fresh) != 1 || fresh[0].Status != "sent" {
		t.Fatalf("the fresh callback: %v %v", fresh, err)
	}
}
