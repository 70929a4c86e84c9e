package integration

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// Fifty volunteers accept one ticket at the same moment through three
// engines on connections of their own, as three processes would: exactly
// one wins, every other gets ECONFLICT, and the database holds one accepted
// offer. Repeated, since a race that is lost once in a while is a race.
func TestEngineConcurrentAcceptsOneWinner(t *testing.T) {
	const volunteers = 50
	rounds := 100
	if storagetest.Short() {
		rounds = 10
	}
	g := newEngRig(t, false, dispatch.EngineOptions{Batch: volunteers})
	var vols []*dispatch.Volunteer
	for i := range volunteers {
		vols = append(vols, g.volunteer("v", 0.05*float64(i+1), nil))
	}
	engines := []*dispatch.Engine{g.process(), g.process(), g.process()}

	for round := range rounds {
		tk := g.ticket(nil)
		if got := g.handle(engines[round%3], tk.ID); len(g.offers(tk.ID)[dispatch.OfferPending]) != volunteers {
			t.Fatalf("round %d: %s with %d offers, want %d", round, got.Status, len(g.offers(tk.ID)[dispatch.OfferPending]), volunteers)
		}
		start := make(chan struct{})
		errs := make([]error, volunteers)
		var wg sync.WaitGroup
		for i, v := range vols {
			wg.Go(func() {
				<-start
				_, errs[i] = engines[i%3].Accept(g.ctx, v.ID, tk.ID, "")
			})
		}
		close(start)
		wg.Wait()

		var winners []int
		for i, err := range errs {
			switch dispatch.ErrorCode(err) {
			case "":
				winners = append(winners, i)
			case dispatch.ECONFLICT:
			default:
				t.Fatalf("round %d: accept by volunteer %d: %v", round, vols[i].ID, err)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d accepts succeeded, want exactly 1", round, len(winners))
		}
		winner := vols[winners[0]]
		got := g.get(tk.ID)
		offers := g.offers(tk.ID)
		if got.Status != dispatch.StatusAssigned || got.VolunteerID == nil || *got.VolunteerID != winner.ID ||
			len(offers[dispatch.OfferAccepted]) != 1 || len(offers[dispatch.OfferWithdrawn]) != volunteers-1 {
			t.Fatalf("round %d: ticket %s volunteer %v, offers %v", round, got.Status, got.VolunteerID, offers)
		}
		// Exactly one volunteer was told the client's details.
		if n := len(g.notes(tk.ID, "volunteer.assigned")); n != 1 {
			t.Fatalf("round %d: %d assignment messages, want 1", round, n)
		}
		// Free the winner for the next round.
		if err := engines[0].Done(g.ctx, winner.ID, tk.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
}

// The client's name, phone and address go to a volunteer only after
// accepting: no message sent before then holds any of them.
func TestEngineOffersCarryNoPersonalDetails(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 2, OfferTTL: time.Minute})
	for i := range 5 {
		g.volunteer("v", float64(i+1), nil)
	}
	e := g.engine()
	tk := g.ticket(func(tk *dispatch.Ticket) { tk.Address = "пр. Абая 15, подъезд 3" })
	client, err := g.store.Client(g.ctx, tk.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{client.Name, client.Phone, client.Address, tk.Address}

	g.handle(e, tk.ID)           // wave 1
	g.clock.Advance(time.Minute) // both offers expire
	g.handle(e, tk.ID)           // wave 2
	pend := g.offers(tk.ID)[dispatch.OfferPending]
	if err := e.Decline(g.ctx, pend[0], tk.ID, ""); err != nil {
		t.Fatal(err)
	}
	before := g.notes(tk.ID, "")
	if len(before) < 6 {
		t.Fatalf("only %d messages before acceptance; the test needs offers, expiries and a decline", len(before))
	}
	for _, n := range before {
		if n.To == client.Phone {
			continue // to the client themselves
		}
		for _, s := range secrets {
			if strings.Contains(n.Body, s) {
				t.Errorf("%s to %s before acceptance holds %q: %s", n.Template, n.To, s, n.Body)
			}
		}
	}
	if _, err := e.Accept(g.ctx, pend[1], tk.ID, ""); err != nil {
		t.Fatal(err)
	}
	// After acceptance the winner has them all: the check above can see them.
	assigned := g.notes(tk.ID, "volunteer.assigned")
	if len(assigned) != 1 {
		t.Fatalf("%d assignment messages", len(assigned))
	}
	for _, s := range []string{client.Name, client.Phone, tk.Address} {
		if !strings.Contains(assigned[0].Body, s) {
			t.Errorf("the assignment message lacks %q: %s", s, assigned[0].Body)
		}
	}
}
