package integration

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// The border of migration 00031's Saryarka (west) and Baikonur (east)
// districts runs along longitude 71.44; engAstana, where the rig's tickets
// are, lies in Baikonur about 0.6 km east of it.
const engBorderLon = 71.44

// centreIDs are the centres a ticket at engAstana and a volunteer just
// across the border belong to.
func (g *engRig) centreIDs() (baikonur, saryarka int64) {
	g.t.Helper()
	areas, err := g.store.CentreAreas(g.ctx)
	if err != nil {
		g.t.Fatal(err)
	}
	for _, a := range areas {
		switch a.Centre {
		case "astana-baikonur":
			baikonur = a.CentreID
		case "astana-saryarka":
			saryarka = a.CentreID
		}
	}
	if baikonur == 0 || saryarka == 0 {
		g.t.Fatalf("centres %+v: want Baikonur and Saryarka", areas)
	}
	return baikonur, saryarka
}

// volunteerAt creates an available volunteer at loc (placed in a centre by
// the store from loc) and puts them in the geo index.
func (g *engRig) volunteerAt(name string, loc dispatch.Location) *dispatch.Volunteer {
	g.t.Helper()
	return g.volunteer(name, 0, func(v *dispatch.Volunteer) { v.Location = &loc })
}

// routedTicket is a ticket at engAstana routed by the Router, as intake
// leaves it.
func (g *engRig) routedTicket() *dispatch.Ticket {
	g.t.Helper()
	tk := g.ticket(nil)
	if _, ok, err := dispatch.NewRouter(g.store, nil).Route(g.ctx, tk.ID); err != nil || !ok {
		g.t.Fatalf("routing the ticket: %v (found %v)", err, ok)
	}
	return tk
}

// borderVolunteers makes a Saryarka volunteer 1 km from the ticket, just
// across the border, and a Baikonur one 2.5 km away on the ticket's side.
func (g *engRig) borderVolunteers() (near, far *dispatch.Volunteer) {
	g.t.Helper()
	near = g.volunteerAt("across the border", dispatch.Location{Lat: engAstana.Lat, Lon: engBorderLon - 0.005})
	far = g.volunteerAt("same centre, farther", engOffset(engAstana, 0, 2.5))
	baikonur, saryarka := g.centreIDs()
	if near.CentreID != saryarka || far.CentreID != baikonur {
		g.t.Fatalf("volunteers placed in centres %d and %d, want Saryarka %d and Baikonur %d",
			near.CentreID, far.CentreID, saryarka, baikonur)
	}
	return near, far
}

func TestEngineStaysInTheTicketsCentre(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 3, StayInCentre: true})
	g.clock.now = engTuesday10
	near, far := g.borderVolunteers()
	tk := g.routedTicket()
	got := g.handle(g.engine(), tk.ID)
	if got.Status != dispatch.StatusOffered {
		t.Fatalf("ticket %s, want offered", got.Status)
	}
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{far.ID}) {
		t.Fatalf("offered to %v, want only %d of the ticket's centre (not %d across the border)", pend, far.ID, near.ID)
	}
	m := g.lastMatch(tk.ID)
	filtered := false
	for _, c := range m.Filtered {
		if c.VolunteerID == near.ID {
			filtered = c.Filtered == dispatch.FilterCentre
		}
	}
	if !filtered {
		t.Errorf("match %+v: want volunteer %d filtered as %q", m, near.ID, dispatch.FilterCentre)
	}
}

func TestEngineEscalatesWhenTheCentreHasNobody(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 3, StayInCentre: true})
	g.clock.now = engTuesday10
	g.volunteerAt("across the border", dispatch.Location{Lat: engAstana.Lat, Lon: engBorderLon - 0.005})
	tk := g.routedTicket()
	got := g.handle(g.engine(), tk.ID)
	if got.Status != dispatch.StatusEscalated {
		t.Fatalf("ticket %s, want escalated", got.Status)
	}
	if !strings.Contains(got.Reason, dispatch.FilterCentre+" 1") {
		t.Errorf("reason %q, want it to name the volunteer left out for their centre", got.Reason)
	}
	if n := len(g.offers(tk.ID)); n != 0 {
		t.Errorf("%d offers, want none", n)
	}
}

func TestEngineCrossesCentresWhenAllowed(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 3})
	g.clock.now = engTuesday10
	near, far := g.borderVolunteers()
	tk := g.routedTicket()
	if got := g.handle(g.engine(), tk.ID); got.Status != dispatch.StatusOffered {
		t.Fatalf("ticket %s, want offered", got.Status)
	}
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Contains(pend, near.ID) || !slices.Contains(pend, far.ID) {
		t.Fatalf("offered to %v, want both %d across the border and %d", pend, near.ID, far.ID)
	}
	for _, c := range g.lastMatch(tk.ID).Eligible {
		want := map[int64]float64{near.ID: 0, far.ID: 1}[c.VolunteerID]
		if c.Parts[dispatch.PartCentre] != want {
			t.Errorf("volunteer %d centre part %v, want %v", c.VolunteerID, c.Parts[dispatch.PartCentre], want)
		}
	}
}

func TestEngineAcrossCentresPrefersTheOwnAtEqualDistance(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 1})
	g.clock.now = engTuesday10
	// 0.3 km west and east of a ticket on the border: the same distance.
	at := dispatch.Location{Lat: engAstana.Lat, Lon: engBorderLon + 0.0001}
	west := g.volunteerAt("west", engOffset(at, 0, -0.3))
	east := g.volunteerAt("east", engOffset(at, 0, 0.3))
	baikonur, _ := g.centreIDs()
	if east.CentreID != baikonur || west.CentreID == baikonur {
		t.Fatalf("east in %d, west in %d: want east alone in Baikonur %d", east.CentreID, west.CentreID, baikonur)
	}
	tk := g.ticket(func(tk *dispatch.Ticket) { tk.Location = &at })
	if _, _, err := dispatch.NewRouter(g.store, nil).Route(g.ctx, tk.ID); err != nil {
		t.Fatal(err)
	}
	g.handle(g.engine(), tk.ID)
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{east.ID}) {
		t.Fatalf("offered to %v, want %d of the ticket's own centre first", pend, east.ID)
	}
}

// Staying in the centre costs no more candidates: with 1,100 volunteers of
// the neighbouring centre nearer than anyone of the ticket's own, the
// search still stops at a thousand hits and the ticket is escalated with
// the reason (the limit docs/matching.md names), none of them offered.
func TestEngineStayInCentreKeepsTheSearchBounded(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 3, StayInCentre: true})
	g.clock.now = engTuesday10
	rng := rand.New(rand.NewPCG(8, 8))
	vs := make([]*dispatch.Volunteer, 1100)
	for i := range vs {
		loc := dispatch.Location{Lat: engAstana.Lat + (rng.Float64()-0.5)*0.01, Lon: engBorderLon - 0.0005 - rng.Float64()*0.01}
		vs[i] = &dispatch.Volunteer{Name: "сосед", Phone: g.phone(), Languages: []dispatch.Lang{dispatch.LangRU},
			Location: &loc, Available: true, MaxTasks: 1}
	}
	if err := g.store.CreateVolunteers(g.ctx, vs); err != nil {
		t.Fatal(err)
	}
	index := map[int64]dispatch.Location{}
	for _, v := range vs {
		index[v.ID] = *v.Location
	}
	if err := g.geo.Rebuild(g.ctx, index); err != nil {
		t.Fatal(err)
	}
	tk := g.routedTicket()
	got := g.handle(g.engine(), tk.ID)
	if got.Status != dispatch.StatusEscalated || !strings.Contains(got.Reason, dispatch.FilterCentre) {
		t.Fatalf("ticket %s %q, want escalated for the centre", got.Status, got.Reason)
	}
	m := g.lastMatch(tk.ID)
	if len(m.Filtered) == 0 || len(m.Filtered) > 1000 || len(m.Eligible) != 0 {
		t.Fatalf("%d filtered, %d eligible: want at most a thousand read, none eligible", len(m.Filtered), len(m.Eligible))
	}
}
