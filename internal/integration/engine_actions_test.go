package integration

import (
	"slices"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestEngineDispatcherActions(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 2})
	a := g.volunteer("a", 1, nil)
	b := g.volunteer("b", 2, nil)
	c := g.volunteer("c", 3, nil)
	e := g.engine()
	const anna = dispatch.Actor("user:anna")

	t.Run("assign by hand wins over open offers", func(t *testing.T) {
		tk := g.ticket(nil)
		g.handle(e, tk.ID) // offered to a and b
		got, err := e.Assign(g.ctx, tk.ID, c.ID, anna, "knows the client")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != dispatch.StatusAssigned || *got.VolunteerID != c.ID {
			t.Fatalf("assigned: %s to %v", got.Status, got.VolunteerID)
		}
		if w := g.offers(tk.ID)[dispatch.OfferWithdrawn]; !slices.Equal(w, []int64{a.ID, b.ID}) {
			t.Errorf("withdrawn %v, want a and b", w)
		}
		if _, err := e.Accept(g.ctx, a.ID, tk.ID, ""); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
			t.Errorf("accept after a manual assignment: %v, want ECONFLICT", err)
		}
		// Redispatch frees c and starts over, without those offered before.
		got, err = e.Redispatch(g.ctx, tk.ID, anna, "c is ill")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != dispatch.StatusQueued || got.VolunteerID != nil || got.Wave != 0 {
			t.Fatalf("redispatched: %+v", got)
		}
		if !engInIndex(g, c.ID) {
			t.Error("the released volunteer is not back in the geo index")
		}
		if got := g.handle(e, tk.ID); got.Status != dispatch.StatusEscalated {
			t.Errorf("everyone near was offered it before: %s %q, want escalated", got.Status, got.Reason)
		}
	})

	t.Run("cancel tells the client and withdraws the offers", func(t *testing.T) {
		tk := g.ticket(nil)
		g.handle(e, tk.ID)
		got, err := e.Cancel(g.ctx, tk.ID, anna, "client called: not needed")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != dispatch.StatusCancelled || got.Reason != "client called: not needed" {
			t.Fatalf("cancelled: %s %q", got.Status, got.Reason)
		}
		if n := len(g.offers(tk.ID)[dispatch.OfferPending]); n != 0 {
			t.Errorf("%d offers still open", n)
		}
		if len(g.notes(tk.ID, "client.cancelled")) != 1 || len(g.notes(tk.ID, "volunteer.taken")) != 2 {
			t.Error("the client or the volunteers were not told")
		}
		if _, err := e.Cancel(g.ctx, tk.ID, anna, "again"); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
			t.Errorf("second cancel: %v, want ECONFLICT", err)
		}
		if _, err := e.Escalate(g.ctx, tk.ID, anna, "late"); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
			t.Errorf("escalating a cancelled ticket: %v, want ECONFLICT", err)
		}
	})

	t.Run("a location lets a needs-location ticket go back to the engine", func(t *testing.T) {
		tk := g.ticket(func(tk *dispatch.Ticket) { tk.Location = nil })
		if got := g.handle(e, tk.ID); got.Reason != "needs location" {
			t.Fatalf("%s %q", got.Status, got.Reason)
		}
		if _, err := e.Deescalate(g.ctx, tk.ID, anna, ""); dispatch.ErrorCode(err) != dispatch.EUNPROCESSABLE {
			t.Errorf("deescalating without a location: %v, want EUNPROCESSABLE", err)
		}
		loc, addr, urgent := engAstana, "ул. Сарайшык 5", dispatch.UrgencyUrgent
		got, err := e.Edit(g.ctx, tk.ID, anna, dispatch.TicketEdit{Location: &loc, Address: &addr, Urgency: &urgent})
		if err != nil {
			t.Fatal(err)
		}
		if got.Location == nil || got.Address != addr || got.Urgency != urgent {
			t.Fatalf("edited: %+v", got)
		}
		if evs := g.events(tk.ID, dispatch.EventUpdate); len(evs) != 1 || evs[0].Reason != "changed address, location, urgency" {
			t.Errorf("update events %+v", evs)
		}
		if got, err = e.Deescalate(g.ctx, tk.ID, anna, "address found"); err != nil || got.Status != dispatch.StatusQueued {
			t.Fatalf("deescalate: %v %v", got, err)
		}
		if got := g.handle(e, tk.ID); got.Status != dispatch.StatusOffered {
			t.Errorf("after deescalation: %s", got.Status)
		}
		if _, err := e.Edit(g.ctx, tk.ID, anna, dispatch.TicketEdit{}); dispatch.ErrorCode(err) != dispatch.EINVALID {
			t.Errorf("empty edit: %v, want EINVALID", err)
		}
	})

	t.Run("notes and texts are on the timeline", func(t *testing.T) {
		tk := g.ticket(nil)
		if err := e.AddNote(g.ctx, tk.ID, anna, "calls back after 18:00"); err != nil {
			t.Fatal(err)
		}
		if err := e.TextClient(g.ctx, tk.ID, anna, "Волонтёр будет через час"); err != nil {
			t.Fatal(err)
		}
		if len(g.events(tk.ID, dispatch.EventNote)) != 1 || len(g.events(tk.ID, dispatch.EventMessage)) != 1 {
			t.Error("note or message event missing")
		}
		if n := g.notes(tk.ID, "client.dispatcher"); len(n) != 1 {
			t.Errorf("%d dispatcher texts, want 1", len(n))
		}
		if err := e.AddNote(g.ctx, tk.ID, anna, "  "); dispatch.ErrorCode(err) != dispatch.EINVALID {
			t.Errorf("empty note: %v, want EINVALID", err)
		}
		if err := e.AddNote(g.ctx, 999999, anna, "x"); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
			t.Errorf("note on a missing ticket: %v, want ENOTFOUND", err)
		}
	})
}

func TestEnginePauseAndResumeUpdateTheIndex(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 1})
	v := g.volunteer("v", 1, nil)
	e := g.engine()
	if err := e.SetAvailable(g.ctx, v.ID, false, "volunteer"); err != nil {
		t.Fatal(err)
	}
	if engInIndex(g, v.ID) {
		t.Fatal("a paused volunteer is in the geo index")
	}
	tk := g.ticket(nil)
	if got := g.handle(e, tk.ID); got.Status != dispatch.StatusEscalated {
		t.Fatalf("nobody available: %s", got.Status)
	}
	if err := e.SetAvailable(g.ctx, v.ID, true, "user:anna"); err != nil {
		t.Fatal(err)
	}
	if !engInIndex(g, v.ID) {
		t.Fatal("a resumed volunteer is not in the geo index")
	}
	// A rebuild from PostgreSQL agrees.
	if err := e.RebuildIndex(g.ctx); err != nil {
		t.Fatal(err)
	}
	if size, err := g.geo.Size(g.ctx); err != nil || size != 1 {
		t.Errorf("rebuilt index size %d (%v), want 1", size, err)
	}
	if err := e.SetAvailable(g.ctx, 999999, true, "x"); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Errorf("unknown volunteer: %v, want ENOTFOUND", err)
	}
}
