package integration

import (
	"slices"
	"sync"
	"testing"
	"time"

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

// Each week's occurrence of a schedule becomes one ticket, however many
// processes create occurrences at once; it is queued with its window and
// goes to the regular volunteer first.
func TestEngineCreatesEachOccurrenceOnce(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 2})
	g.clock.now = engTuesday10
	regular := g.volunteer("regular", 5, nil)
	g.volunteer("near", 1, nil)
	first := g.ticket(func(tk *dispatch.Ticket) { tk.Status = dispatch.StatusCompleted; tk.VolunteerID = &regular.ID })
	loc := engAstana
	schedules := []*dispatch.Recurring{
		{ID: 1, ClientID: first.ClientID, Category: dispatch.CategoryShopping, Lang: dispatch.LangRU, Location: &loc,
			Day: time.Wednesday, Start: 10 * 60, End: 12 * 60},
		{ID: 2, ClientID: first.ClientID, Category: dispatch.CategoryHome, Lang: dispatch.LangRU, Location: &loc,
			Day: time.Saturday, Start: 10 * 60, End: 12 * 60}, // beyond the horizon
	}
	engines := []*dispatch.Engine{g.process(), g.process(), g.process()}
	made := make([]int, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Go(func() {
			n, err := e.CreateOccurrences(g.ctx, schedules, 48*time.Hour)
			if err != nil {
				t.Error(err)
			}
			made[i] = n
		})
	}
	wg.Wait()
	if total := made[0] + made[1] + made[2]; total != 1 {
		t.Fatalf("%v occurrences made, want 1 in all", made)
	}
	src := dispatch.RecurringSourcePrefix + "1:2026-12-02"
	tk, err := g.store.TicketBySource(g.ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != dispatch.StatusQueued || tk.WindowStart == nil || !tk.WindowStart.Equal(time.Date(2026, 12, 2, 10, 0, 0, 0, engZone)) {
		t.Fatalf("occurrence: %s window %v", tk.Status, tk.WindowStart)
	}
	if has, err := g.queue.Has(g.ctx, []int64{tk.ID}); err != nil || !has[tk.ID] {
		t.Fatalf("the occurrence is not in the queue (%v)", err)
	}
	g.handle(engines[0], tk.ID)
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{regular.ID}) {
		t.Errorf("the occurrence was offered to %v, want the regular volunteer first", pend)
	}
}
