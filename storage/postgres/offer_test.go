package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestOffers(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	cl := mustClient(t, s)
	v1, v2 := mustVolunteer(t, s, nil), mustVolunteer(t, s, nil)
	t1, t2 := mustTicket(t, s, cl.ID, nil), mustTicket(t, s, cl.ID, nil)
	offer := func(tk *dispatch.Ticket, v *dispatch.Volunteer) *dispatch.Offer {
		clk.add(time.Second)
		o := &dispatch.Offer{TicketID: tk.ID, VolunteerID: v.ID, Wave: 1, Score: 0.75, DistanceM: 1234.5,
			ExpiresAt: clk.now().Add(10 * time.Minute)}
		if err := s.CreateOffer(ctx, o); err != nil {
			t.Fatal(err)
		}
		if o.ID == 0 || o.Status != dispatch.OfferPending || !o.SentAt.Equal(clk.now()) {
			t.Fatalf("CreateOffer: %+v", o)
		}
		return o
	}
	o11, o21, o12 := offer(t1, v1), offer(t2, v1), offer(t1, v2)

	got, err := s.Offers(ctx, t1.ID)
	if err != nil || len(got) != 2 || got[0].ID != o11.ID || got[1].ID != o12.ID {
		t.Fatalf("Offers(t1) = %v, %v", got, err)
	}
	g := got[0]
	if g.TicketCode != t1.Code || g.Score != 0.75 || g.DistanceM != 1234.5 || g.Wave != 1 ||
		!g.SentAt.Equal(o11.SentAt) || !g.ExpiresAt.Equal(o11.ExpiresAt) || g.AnsweredAt != nil {
		t.Errorf("offer read back: %+v, want %+v", g, o11)
	}
	pending, err := s.PendingOffers(ctx, v1.ID)
	if err != nil || len(pending) != 2 || pending[0].ID != o21.ID || pending[1].ID != o11.ID {
		t.Fatalf("PendingOffers(v1) = %v, %v; want newest first", pending, err)
	}

	o11.Status, o11.AnsweredAt = dispatch.OfferAccepted, ptr(clk.now())
	if err := s.UpdateOffer(ctx, o11); err != nil {
		t.Fatal(err)
	}
	pending, _ = s.PendingOffers(ctx, v1.ID)
	if len(pending) != 1 || pending[0].ID != o21.ID {
		t.Errorf("after accepting, pending = %v", pending)
	}
	got, _ = s.Offers(ctx, t1.ID)
	if got[0].Status != dispatch.OfferAccepted || got[0].AnsweredAt == nil || !got[0].AnsweredAt.Equal(clk.now()) {
		t.Errorf("accepted offer read back: %+v", got[0])
	}

	// The schema, not the caller, guarantees one acceptance per ticket.
	o12.Status = dispatch.OfferAccepted
	wantCode(t, s.UpdateOffer(ctx, o12), dispatch.ECONFLICT)
	err = s.CreateOffer(ctx, &dispatch.Offer{TicketID: t1.ID, VolunteerID: v1.ID, Wave: 2, ExpiresAt: clk.now()})
	wantCode(t, err, dispatch.ECONFLICT)
	wantCode(t, s.UpdateOffer(ctx, &dispatch.Offer{ID: o12.ID + 100, Status: "declined", ExpiresAt: clk.now()}), dispatch.ENOTFOUND)
	wantCode(t, s.CreateOffer(ctx, &dispatch.Offer{TicketID: t2.ID, VolunteerID: v2.ID}), dispatch.EINVALID)
	none, err := s.PendingOffers(ctx, v2.ID+100)
	if err != nil || len(none) != 0 {
		t.Errorf("PendingOffers(unknown) = %v, %v; want an empty list", none, err)
	}
}
