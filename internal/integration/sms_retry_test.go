package integration

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// flakyStore fails the first lookup of a volunteer by phone: a database
// blip in the middle of handling a text.
type flakyStore struct {
	dispatch.Store
	fails atomic.Int32
}

func (s *flakyStore) VolunteerByPhone(ctx context.Context, phone string) (*dispatch.Volunteer, error) {
	if s.fails.Add(-1) >= 0 {
		return nil, errors.New("connection reset by peer")
	}
	return s.Store.VolunteerByPhone(ctx, phone)
}

// TestSMSFailedHandlingIsRetried: a text whose handling failed is not lost
// as "seen" — Twilio's retry of the same MessageSid handles it.
func TestSMSFailedHandlingIsRetried(t *testing.T) {
	g := newSMSRig(t)
	fs := &flakyStore{Store: g.store}
	fs.fails.Store(1)
	in := dispatch.NewIntake(g.store, g.queue, redis.NewBus(g.rc), intake.Phones{}, nil, g.msgs,
		dispatch.IntakeOptions{SMSJoinWindow: 30 * time.Minute})
	conv := dispatch.NewConversation(fs, g.eng, in, g.msgs, dispatch.ConversationOptions{})
	m := func() *dispatch.InboundMessage {
		return &dispatch.InboundMessage{MessageSID: "SMretry0000000000000000000000001", From: "+77025551234", Body: "Нужна помощь с продуктами"}
	}
	if err := conv.HandleSMS(g.ctx, m()); err == nil {
		t.Fatal("the first delivery should have failed")
	}
	if _, err := g.store.TicketBySource(g.ctx, "SMretry0000000000000000000000001"); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Fatalf("a ticket exists after the failed attempt: %v", err)
	}
	if err := conv.HandleSMS(g.ctx, m()); err != nil {
		t.Fatalf("retry: %v", err)
	}
	tk, err := g.store.TicketBySource(g.ctx, "SMretry0000000000000000000000001")
	if err != nil {
		t.Fatalf("the retry made no ticket: %v", err)
	}
	// Further retries, even concurrent ones, do nothing more.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := conv.HandleSMS(g.ctx, m()); err != nil {
				t.Errorf("late retry: %v", err)
			}
		})
	}
	wg.Wait()
	ts, _, err := g.store.Tickets(g.ctx, dispatch.TicketFilter{ClientID: &tk.ClientID})
	if err != nil || len(ts) != 1 {
		t.Fatalf("want exactly one ticket, got %d (%v)", len(ts), err)
	}
}
