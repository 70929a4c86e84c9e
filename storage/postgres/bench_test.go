package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres/pgtest"
)

// BenchmarkVolunteersWithStats lists 200 volunteers, the demo data's size,
// each with tickets and offers to count: the console's volunteer page and
// the matcher's candidate read.
func BenchmarkVolunteersWithStats(b *testing.B) {
	_, s := pgtest.New(b)
	ctx := context.Background()
	cl := &dispatch.Client{Phone: phone()}
	if err := s.CreateClient(ctx, cl); err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		v := &dispatch.Volunteer{Phone: phone(), Name: "v", Available: true, MaxTasks: 2}
		if err := s.CreateVolunteer(ctx, v); err != nil {
			b.Fatal(err)
		}
		for j := range 3 {
			tk := &dispatch.Ticket{Channel: "sms", Category: "other", Lang: "ru", ClientID: cl.ID,
				Status: dispatch.StatusCompleted, VolunteerID: &v.ID, AssignedAt: ptr(time.Now().Add(-time.Duration(i+j) * time.Hour))}
			if err := s.CreateTicket(ctx, tk); err != nil {
				b.Fatal(err)
			}
			o := &dispatch.Offer{TicketID: tk.ID, VolunteerID: v.ID, Wave: 1, Status: dispatch.OfferAccepted,
				ExpiresAt: time.Now().Add(time.Minute)}
			if err := s.CreateOffer(ctx, o); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		vs, _, err := s.Volunteers(ctx, dispatch.VolunteerFilter{Limit: 200})
		if err != nil || len(vs) != 200 {
			b.Fatalf("Volunteers: %d, %v", len(vs), err)
		}
	}
}
