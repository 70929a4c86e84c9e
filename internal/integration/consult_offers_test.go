package integration

import (
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// A consultation, from intake or sent back to the engine's queue, waits for
// a consultant and never becomes an offer or a volunteer.offer text, even
// with willing volunteers next door.
func TestConsultationNeverReachesAVolunteer(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 3, MaxWaves: 3, OfferTTL: 10 * time.Minute, MaxWait: time.Hour})
	g.volunteer("a", 0.5, nil)
	g.volunteer("b", 1, nil)
	e := g.engine()
	in := dispatch.NewIntake(g.store, g.queue, redis.NewBus(g.rc), intake.Phones{}, nil, g.msgs, dispatch.IntakeOptions{})

	for _, cat := range dispatch.ConsultCategories {
		loc := engAstana
		res, err := in.Submit(g.ctx, dispatch.IntakeRequest{Channel: dispatch.ChannelWeb, Phone: g.phone(),
			Category: cat, Description: "нужна консультация", Lang: dispatch.LangRU, Location: &loc})
		if err != nil {
			t.Fatalf("%s: %v", cat, err)
		}
		id := res.Ticket.ID
		if got := g.get(id); got.Status != dispatch.StatusEscalated || got.Reason != dispatch.ReasonConsultation {
			t.Fatalf("%s after intake: %s %q, want escalated for a consultant", cat, got.Status, got.Reason)
		}
		if has, err := g.queue.Has(g.ctx, []int64{id}); err != nil || has[id] {
			t.Fatalf("%s: a consultation is in the engine's queue (%v)", cat, err)
		}
		// Even handled by the engine it goes nowhere near a volunteer.
		g.handle(e, id)
		if os := g.offers(id); len(os) != 0 {
			t.Fatalf("%s: offers %v", cat, os)
		}
	}

	// Sent back to the queue (a dispatcher's requeue leaves it queued and
	// due), the engine hands it to the consultants again.
	tk := g.ticket(func(tk *dispatch.Ticket) { tk.Category = dispatch.CategoryLegal })
	got := g.handle(e, tk.ID)
	if got.Status != dispatch.StatusEscalated || got.Reason != dispatch.ReasonConsultation {
		t.Fatalf("queued consultation after the engine: %s %q", got.Status, got.Reason)
	}
	if os := g.offers(tk.ID); len(os) != 0 {
		t.Fatalf("queued consultation got offers %v", os)
	}
	if n := len(g.notes(tk.ID, "volunteer.offer")); n != 0 {
		t.Fatalf("%d volunteer.offer texts for a consultation", n)
	}

	// The same ticket as a shopping request is offered: the guard is the
	// category, not a broken rig.
	sh := g.ticket(nil)
	if got := g.handle(e, sh.ID); got.Status != dispatch.StatusOffered || len(g.notes(sh.ID, "volunteer.offer")) == 0 {
		t.Fatalf("shopping ticket: %s, %d offer texts; want offered", got.Status, len(g.notes(sh.ID, "volunteer.offer")))
	}
}
