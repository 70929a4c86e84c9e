package integration

import (
	"slices"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// A recurring request's ticket goes first to the volunteer who served the
// client last time, even when others are nearer; if they decline, the
// ordinary waves follow.
func TestEngineRecurringGoesFirstToTheRegularVolunteer(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 2})
	near := g.volunteer("near", 1, nil)
	nearer := g.volunteer("nearer", 0.5, nil)
	regular := g.volunteer("regular", 5, nil)
	e := g.engine()

	first := g.ticket(func(tk *dispatch.Ticket) { tk.Status = dispatch.StatusCompleted; tk.VolunteerID = &regular.ID })
	same := func(tk *dispatch.Ticket) { tk.ClientID = first.ClientID }

	tk := g.ticket(func(tk *dispatch.Ticket) { same(tk); tk.SourceID = dispatch.RecurringSourcePrefix + "7:2026-12-08" })
	g.handle(e, tk.ID)
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{regular.ID}) {
		t.Fatalf("wave 1 offered to %v, want only the regular volunteer %d", pend, regular.ID)
	}
	if err := e.Decline(g.ctx, regular.ID, tk.ID, ""); err != nil {
		t.Fatal(err)
	}
	g.handle(e, tk.ID)
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{near.ID, nearer.ID}) {
		t.Fatalf("wave 2 offered to %v, want the nearest two", pend)
	}

	// A one-off ticket of the same client is matched as usual.
	once := g.ticket(same)
	g.handle(e, once.ID)
	if pend := g.offers(once.ID)[dispatch.OfferPending]; slices.Contains(pend, regular.ID) {
		t.Errorf("a one-off ticket went to the regular volunteer: %v", pend)
	}

	// A regular volunteer who paused is skipped.
	if err := e.SetAvailable(g.ctx, regular.ID, false, "volunteer"); err != nil {
		t.Fatal(err)
	}
	next := g.ticket(func(tk *dispatch.Ticket) { same(tk); tk.SourceID = dispatch.RecurringSourcePrefix + "7:2026-12-15" })
	g.handle(e, next.ID)
	if pend := g.offers(next.ID)[dispatch.OfferPending]; slices.Contains(pend, regular.ID) || len(pend) != 2 {
		t.Errorf("with the regular volunteer paused, offers went to %v", pend)
	}
}
