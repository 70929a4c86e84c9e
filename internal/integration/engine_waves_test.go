package integration

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestEngineDeclinesAndExpirySendNextWaves(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 2, MaxWaves: 2, OfferTTL: 10 * time.Minute})
	a := g.volunteer("a", 1, nil)
	b := g.volunteer("b", 2, nil)
	c := g.volunteer("c", 3.5, nil)
	d := g.volunteer("d", 4, nil)
	e := g.engine()
	tk := g.ticket(nil)

	g.handle(e, tk.ID)
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{a.ID, b.ID}) {
		t.Fatalf("wave 1 offered to %v, want %d and %d", pend, a.ID, b.ID)
	}

	// One decline leaves the wave open: handling now changes nothing.
	if err := e.Decline(g.ctx, a.ID, tk.ID, "не могу сегодня"); err != nil {
		t.Fatal(err)
	}
	if got := g.handle(e, tk.ID); got.Wave != 1 {
		t.Fatalf("after one decline wave %d, want still 1", got.Wave)
	}
	// The second decline closes it; the ticket is due at once.
	if err := e.Decline(g.ctx, b.ID, tk.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := g.get(tk.ID); got.DueAt == nil || got.DueAt.After(g.now()) {
		t.Fatalf("after the last decline due at %v, want now", got.DueAt)
	}
	if has, err := g.queue.Has(g.ctx, []int64{tk.ID}); err != nil || !has[tk.ID] {
		t.Fatalf("after the last decline the ticket is not in the queue (%v)", err)
	}
	got := g.handle(e, tk.ID)
	if got.Wave != 2 || got.Status != dispatch.StatusOffered {
		t.Fatalf("after both declined: %s wave %d, want offered wave 2", got.Status, got.Wave)
	}
	offers := g.offers(tk.ID)
	if !slices.Equal(offers[dispatch.OfferPending], []int64{c.ID, d.ID}) || !slices.Equal(offers[dispatch.OfferDeclined], []int64{a.ID, b.ID}) {
		t.Fatalf("offers after wave 2: %v", offers)
	}
	if m := g.lastMatch(tk.ID); len(m.Filtered) != 2 || m.Filtered[0].Filtered != dispatch.FilterDeclined {
		t.Errorf("wave 2 match should show the decliners filtered as declined: %+v", m.Filtered)
	}
	if n := len(g.notes(tk.ID, "volunteer.declined_ok")); n != 2 {
		t.Errorf("%d decline acknowledgements, want 2", n)
	}

	// Before the offers expire nothing happens; after, they expire and,
	// with two waves used, the ticket is escalated with the reason.
	g.clock.Advance(9 * time.Minute)
	if got := g.handle(e, tk.ID); got.Status != dispatch.StatusOffered {
		t.Fatalf("before expiry: %s", got.Status)
	}
	g.clock.Advance(2 * time.Minute)
	got = g.handle(e, tk.ID)
	if got.Status != dispatch.StatusEscalated || got.Reason != "no volunteer accepted after 2 waves" {
		t.Fatalf("after wave 2 expired: %s %q, want escalated after 2 waves", got.Status, got.Reason)
	}
	if exp := g.offers(tk.ID)[dispatch.OfferExpired]; !slices.Equal(exp, []int64{c.ID, d.ID}) {
		t.Errorf("expired offers %v, want %d and %d", exp, c.ID, d.ID)
	}
	if n := len(g.notes(tk.ID, "volunteer.expired")); n != 2 {
		t.Errorf("%d expiry messages, want 2", n)
	}
	// A late accept of an expired offer loses.
	if _, err := e.Accept(g.ctx, c.ID, tk.ID, ""); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Errorf("late accept: %v, want ECONFLICT", err)
	}
}

func TestEngineExpiryMovesOnToTheNextWave(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 1, OfferTTL: 5 * time.Minute})
	a := g.volunteer("a", 1, nil)
	b := g.volunteer("b", 2, nil)
	e := g.engine()
	tk := g.ticket(nil)
	g.handle(e, tk.ID)
	g.clock.Advance(5 * time.Minute)
	got := g.handle(e, tk.ID)
	offers := g.offers(tk.ID)
	if got.Wave != 2 || !slices.Equal(offers[dispatch.OfferExpired], []int64{a.ID}) || !slices.Equal(offers[dispatch.OfferPending], []int64{b.ID}) {
		t.Fatalf("after expiry: wave %d, offers %v; want wave 2 offered to %d", got.Wave, offers, b.ID)
	}
	// The last wave runs out of people: escalated, saying so.
	g.clock.Advance(5 * time.Minute)
	got = g.handle(e, tk.ID)
	if got.Status != dispatch.StatusEscalated || !strings.HasPrefix(got.Reason, "no volunteer accepted after 2 waves; no volunteer within 25 km") {
		t.Fatalf("no one left: %s %q", got.Status, got.Reason)
	}
}

func TestEngineMaxWaitEscalates(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 1, OfferTTL: 10 * time.Minute, MaxWaves: 10, MaxWait: 15 * time.Minute})
	for i := range 5 {
		g.volunteer("v", float64(i+1), nil)
	}
	e := g.engine()
	tk := g.ticket(nil)
	g.handle(e, tk.ID)
	g.clock.Advance(10 * time.Minute)
	g.handle(e, tk.ID)
	g.clock.Advance(10 * time.Minute)
	got := g.handle(e, tk.ID)
	if got.Status != dispatch.StatusEscalated || got.Reason != "no volunteer accepted within 15m0s" {
		t.Fatalf("after 20 minutes: %s %q, want escalated for the wait", got.Status, got.Reason)
	}
	// A dispatcher sends it back: the wait starts again from then.
	if _, err := e.Deescalate(g.ctx, tk.ID, "user:anna", "try again"); err != nil {
		t.Fatal(err)
	}
	if got := g.handle(e, tk.ID); got.Status != dispatch.StatusOffered || got.Wave != 1 {
		t.Fatalf("after deescalation: %s wave %d, want offered wave 1", got.Status, got.Wave)
	}
}

func TestEngineAcceptAssignsAndTellsTheOthers(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 3})
	a := g.volunteer("Асель", 1, nil)
	b := g.volunteer("Бекзат", 2, nil)
	c := g.volunteer("c", 3, nil)
	e := g.engine()
	tk := g.ticket(nil)
	g.handle(e, tk.ID)

	got, err := e.Accept(g.ctx, b.ID, tk.ID, "буду через 20 минут")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != dispatch.StatusAssigned || got.VolunteerID == nil || *got.VolunteerID != b.ID || got.AssignedAt == nil {
		t.Fatalf("accepted ticket: %+v", got)
	}
	offers := g.offers(tk.ID)
	if !slices.Equal(offers[dispatch.OfferAccepted], []int64{b.ID}) || !slices.Equal(offers[dispatch.OfferWithdrawn], []int64{a.ID, c.ID}) {
		t.Fatalf("offers after accept: %v", offers)
	}
	taken := g.notes(tk.ID, "volunteer.taken")
	if len(taken) != 2 {
		t.Fatalf("%d 'taken' messages, want 2", len(taken))
	}
	if n := g.notes(tk.ID, "volunteer.assigned"); len(n) != 1 || n[0].To != b.Phone {
		t.Fatalf("assignment message %+v, want one to the winner", n)
	}
	if n := g.notes(tk.ID, "client.assigned"); len(n) != 1 || !strings.Contains(n[0].Body, "Бекзат") {
		t.Fatalf("client message %+v", n)
	}
	// The same accept again is answered with the ticket; another loses.
	if _, err := e.Accept(g.ctx, b.ID, tk.ID, ""); err != nil {
		t.Errorf("repeated accept: %v", err)
	}
	if _, err := e.Accept(g.ctx, a.ID, tk.ID, ""); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Errorf("late accept by another: %v, want ECONFLICT", err)
	}
	// b had one slot, now full: out of the geo index until done.
	if engInIndex(g, b.ID) {
		t.Error("a volunteer at capacity is still in the geo index")
	}
	if err := e.OnMyWay(g.ctx, b.ID, tk.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.OnMyWay(g.ctx, a.ID, tk.ID, ""); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Errorf("on my way by someone else: %v, want ECONFLICT", err)
	}
	if err := e.Done(g.ctx, b.ID, tk.ID, "всё купили"); err != nil {
		t.Fatal(err)
	}
	done := g.get(tk.ID)
	if done.Status != dispatch.StatusCompleted || done.CompletedAt == nil || done.DueAt == nil {
		t.Fatalf("done: %+v", done)
	}
	if !engInIndex(g, b.ID) {
		t.Error("a volunteer who finished is not back in the geo index")
	}
	for _, tpl := range []string{"client.onway", "client.done", "volunteer.done_ok"} {
		if len(g.notes(tk.ID, tpl)) != 1 {
			t.Errorf("no %s message", tpl)
		}
	}
}

func TestEngineFollowUpWhenTheClientDoesNotConfirm(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 1, ConfirmWindow: time.Hour})
	v := g.volunteer("v", 1, func(v *dispatch.Volunteer) { v.MaxTasks = 2 })
	e := g.engine()
	var ids []int64
	for range 2 {
		tk := g.ticket(nil)
		g.handle(e, tk.ID)
		if _, err := e.Accept(g.ctx, v.ID, tk.ID, ""); err != nil {
			t.Fatal(err)
		}
		if err := e.Done(g.ctx, v.ID, tk.ID, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	// The first client rates the help; the second says nothing.
	if err := g.store.AddEvent(g.ctx, &dispatch.TicketEvent{TicketID: ids[0], Kind: "rating", Actor: "client",
		Channel: dispatch.ChannelSMS, Data: `{"rating":5}`}); err != nil {
		t.Fatal(err)
	}
	if got := g.handle(e, ids[1]); got.CallBack {
		t.Fatal("flagged before the confirm window ended")
	}
	g.clock.Advance(time.Hour)
	rated, silent := g.handle(e, ids[0]), g.handle(e, ids[1])
	if rated.CallBack || rated.DueAt != nil {
		t.Errorf("rated ticket: callback %v due %v, want neither", rated.CallBack, rated.DueAt)
	}
	if !silent.CallBack || silent.DueAt != nil || len(g.events(ids[1], "follow-up")) != 1 {
		t.Errorf("unconfirmed ticket: callback %v due %v, want a follow-up", silent.CallBack, silent.DueAt)
	}
}

func engInIndex(g *engRig, id int64) bool {
	g.t.Helper()
	hits, err := g.geo.Near(g.ctx, engAstana, 100_000, 1000)
	if err != nil {
		g.t.Fatal(err)
	}
	for _, h := range hits {
		if h.VolunteerID == id {
			return true
		}
	}
	return false
}
