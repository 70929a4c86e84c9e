package postgres_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// TestClaimByPriorityWithOptOut: an offer queued after a confirmation is
// claimed before it, and the claim says whose recipient has opted out.
func TestClaimByPriorityWithOptOut(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	stopped := mustClient(t, s)
	stopped.OptedOut = true
	if err := s.UpdateClient(ctx, stopped); err != nil {
		t.Fatal(err)
	}
	received := &dispatch.Notification{Key: "received:1", To: stopped.Phone, Body: "b", Template: "client.received",
		Priority: dispatch.MessagePriority("client.received")}
	offer := &dispatch.Notification{Key: "offer:1", To: phone(), Body: "b", Template: "volunteer.offer",
		Priority: dispatch.MessagePriority("volunteer.offer"), NextAt: clk.now().Add(time.Second)}
	for _, n := range []*dispatch.Notification{received, offer} {
		if err := s.Enqueue(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	clk.add(2 * time.Second)
	got, err := s.ClaimNotifications(ctx, 1, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != offer.ID || got[0].OptedOut {
		t.Fatalf("first claim = %+v, %v; want the offer, not opted out", got, err)
	}
	got, err = s.ClaimNotifications(ctx, 1, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != received.ID || !got[0].OptedOut {
		t.Fatalf("second claim = %+v, %v; want the confirmation, opted out", got, err)
	}
}

// TestCreateIntakeTicket: the ticket, its events, its message (its key
// completed with the ticket's ID) and the handled mark of its text are
// written together; a SourceID seen before writes nothing and is ECONFLICT.
func TestCreateIntakeTicket(t *testing.T) {
	t.Parallel()
	db, s, _ := newStore(t)
	ctx := context.Background()
	c := mustClient(t, s)
	in := &dispatch.InboundMessage{MessageSID: "SMintake1", From: c.Phone, Body: "help"}
	if claim, err := s.ClaimInbound(ctx, in, time.Minute); err != nil || claim != dispatch.InboundMine {
		t.Fatalf("ClaimInbound = %v, %v", claim, err)
	}
	mk := func() (*dispatch.Ticket, []*dispatch.TicketEvent) {
		tk := &dispatch.Ticket{Channel: dispatch.ChannelSMS, Category: dispatch.CategoryOther, Lang: dispatch.LangRU,
			ClientID: c.ID, Status: dispatch.StatusEscalated, SourceID: "SMintake1", Needs: []dispatch.Skill{}}
		evs := []*dispatch.TicketEvent{
			{To: dispatch.StatusNew, Kind: dispatch.EventTransition, Actor: "client", Channel: dispatch.ChannelSMS, Reason: "received", Data: `{"a":1}`},
			{From: dispatch.StatusNew, To: dispatch.StatusEscalated, Kind: dispatch.EventTransition, Actor: "system", Channel: dispatch.ChannelSMS},
		}
		return tk, evs
	}
	tk, evs := mk()
	var sawCode string
	var n *dispatch.Notification
	msg := func(t *dispatch.Ticket) *dispatch.Notification {
		sawCode = t.Code
		n = &dispatch.Notification{Key: "received:", To: c.Phone, Body: "code " + t.Code, Template: "client.received"}
		return n
	}
	if err := s.CreateIntakeTicket(ctx, tk, evs, msg, "SMintake1"); err != nil {
		t.Fatal(err)
	}
	if tk.ID == 0 || tk.Code == "" || tk.Code != sawCode {
		t.Fatalf("ticket %+v, msg saw code %q", tk, sawCode)
	}
	got, err := s.Events(ctx, tk.ID)
	if err != nil || len(got) != 2 || got[0].ID != evs[0].ID || got[1].ID != evs[1].ID ||
		got[0].Reason != "received" || got[1].To != dispatch.StatusEscalated || evs[1].TicketID != tk.ID {
		t.Fatalf("events = %+v, %v (given %+v)", got, err, evs)
	}
	ns, err := s.Notifications(ctx, tk.ID)
	if err != nil || len(ns) != 1 || ns[0].ID != n.ID || ns[0].Key != n.Key || n.Key != "received:"+strconv.FormatInt(tk.ID, 10) ||
		ns[0].Body != "code "+tk.Code {
		t.Fatalf("messages = %+v, %v; n = %+v", ns, err, n)
	}
	if claim, err := s.ClaimInbound(ctx, in, time.Minute); err != nil || claim != dispatch.InboundHandled {
		t.Fatalf("the text after its ticket: %v, %v; want handled", claim, err)
	}

	again, evs2 := mk()
	wantCode(t, s.CreateIntakeTicket(ctx, again, evs2, msg, "SMintake1"), dispatch.ECONFLICT)
	if k := count(t, db, `SELECT count(*) FROM tickets`); k != 1 {
		t.Fatalf("%d tickets after a retried source", k)
	}
	if k := count(t, db, `SELECT count(*) FROM ticket_events`); k != 2 {
		t.Fatalf("%d events after a retried source", k)
	}
}

// TestUpdateNotifications: a batch's outcomes, one sent and one queued for
// a retry, are written in one statement, NULLs included.
func TestUpdateNotifications(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	a := &dispatch.Notification{Key: "a", To: phone(), Body: "a"}
	b := &dispatch.Notification{Key: "b", To: phone(), Body: "b"}
	for _, n := range []*dispatch.Notification{a, b} {
		if err := s.Enqueue(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ClaimNotifications(ctx, 2, time.Minute)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	sent, retry := got[0], got[1]
	sentAt := clk.now()
	sent.Status, sent.ProviderSID, sent.SentAt = dispatch.NotifySent, "SMbatch1", &sentAt
	retry.Status, retry.Error, retry.NextAt = dispatch.NotifyQueued, "EUNAVAILABLE: down", clk.now().Add(time.Minute)
	if err := s.UpdateNotifications(ctx, []*dispatch.Notification{sent, retry}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.NotificationBySID(ctx, "SMbatch1"); err != nil || n.ID != sent.ID || n.Status != dispatch.NotifySent ||
		n.SentAt == nil || !n.SentAt.Equal(sentAt) || n.Attempts != 1 {
		t.Fatalf("sent = %+v, %v", n, err)
	}
	if got, _ := s.ClaimNotifications(ctx, 2, time.Minute); len(got) != 0 {
		t.Fatalf("claimed before the retry's time: %+v", got)
	}
	clk.add(time.Minute)
	got, err = s.ClaimNotifications(ctx, 2, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != retry.ID || got[0].Error != "EUNAVAILABLE: down" ||
		got[0].SentAt != nil || got[0].ProviderSID != "" || got[0].Attempts != 2 {
		t.Fatalf("retry claim = %+v, %v", got, err)
	}
}
