package integration

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// engMatchEvent is the data of a "match" timeline event.
type engMatchEvent struct {
	RadiusKM float64              `json:"radius_km"`
	Eligible []dispatch.Candidate `json:"eligible"`
	Filtered []dispatch.Candidate `json:"filtered"`
	Counts   map[string]int       `json:"filtered_counts"`
}

func (g *engRig) lastMatch(id int64) engMatchEvent {
	g.t.Helper()
	evs := g.events(id, dispatch.EventMatch)
	if len(evs) == 0 {
		g.t.Fatal("no match event recorded")
	}
	var m engMatchEvent
	if err := json.Unmarshal([]byte(evs[len(evs)-1].Data), &m); err != nil {
		g.t.Fatal(err)
	}
	return m
}

func TestEngineNearestQualifiedGetsFirstOffer(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 1})
	g.clock.now = engTuesday10
	car := func(v *dispatch.Volunteer) { v.Skills = []dispatch.Skill{dispatch.SkillCar} }
	noCar := g.volunteer("no car", 0.2, nil)
	optedOut := g.volunteer("opted out", 0.3, func(v *dispatch.Volunteer) { car(v); v.OptedOut = true })
	english := g.volunteer("english only", 0.4, func(v *dispatch.Volunteer) { car(v); v.Languages = []dispatch.Lang{dispatch.LangEN} })
	busy := g.volunteer("busy", 0.5, car)
	wednesday := g.volunteer("wednesdays", 0.6, func(v *dispatch.Volunteer) {
		car(v)
		v.Windows = []dispatch.Window{{Day: time.Wednesday, Start: 0, End: 24 * 60}}
	})
	nearest := g.volunteer("nearest qualified", 1.5, func(v *dispatch.Volunteer) {
		car(v)
		v.Windows = []dispatch.Window{{Day: time.Tuesday, Start: 9 * 60, End: 18 * 60}}
	})
	farther := g.volunteer("farther qualified", 2.5, car)

	// busy has one task already, the most they take.
	other := g.ticket(func(tk *dispatch.Ticket) { tk.Status = dispatch.StatusAssigned; tk.VolunteerID = &busy.ID })
	_ = other

	e := g.engine()
	tk := g.ticket(func(tk *dispatch.Ticket) { tk.Needs = []dispatch.Skill{dispatch.SkillCar} })
	got := g.handle(e, tk.ID)
	if got.Status != dispatch.StatusOffered || got.Wave != 1 {
		t.Fatalf("ticket %s wave %d, want offered wave 1", got.Status, got.Wave)
	}
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{nearest.ID}) {
		t.Fatalf("pending offers to %v, want only the nearest qualified volunteer %d", pend, nearest.ID)
	}

	m := g.lastMatch(tk.ID)
	reasons := map[int64]string{}
	for _, c := range m.Filtered {
		reasons[c.VolunteerID] = c.Filtered
	}
	want := map[int64]string{noCar.ID: "skill:car", optedOut.ID: dispatch.FilterOptedOut,
		english.ID: dispatch.FilterLanguage, busy.ID: dispatch.FilterCapacity, wednesday.ID: dispatch.FilterWindow}
	for id, w := range want {
		if reasons[id] != w {
			t.Errorf("volunteer %d filtered as %q, want %q", id, reasons[id], w)
		}
	}
	if len(m.Eligible) != 2 || m.Eligible[0].VolunteerID != nearest.ID || m.Eligible[1].VolunteerID != farther.ID {
		t.Fatalf("eligible %+v, want nearest then farther", m.Eligible)
	}
	for _, part := range []string{dispatch.PartDistance, dispatch.PartLanguage, dispatch.PartFairness, dispatch.PartReliability} {
		if _, ok := m.Eligible[0].Parts[part]; !ok {
			t.Errorf("match event lacks score part %s", part)
		}
	}
	if m.Eligible[0].DistanceM < 1400 || m.Eligible[0].DistanceM > 1600 {
		t.Errorf("distance of the nearest %.0f m, want about 1500", m.Eligible[0].DistanceM)
	}
	if offers := g.notes(tk.ID, "volunteer.offer"); len(offers) != 1 || offers[0].To != nearest.Phone {
		t.Fatalf("offer messages %+v, want one to %s", offers, nearest.Phone)
	}

	// Suggest ranks without offering anything more.
	cands, err := e.Suggest(g.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cands[0].VolunteerID != farther.ID || cands[0].Filtered != "" {
		t.Errorf("suggestion %+v, want the farther volunteer first (the nearest has an offer already)", cands[0])
	}
	if n := len(g.offers(tk.ID)[dispatch.OfferPending]); n != 1 {
		t.Errorf("Suggest changed the offers: %d pending", n)
	}
}

func TestEngineRadiusWidens(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{Batch: 2})
	at8 := g.volunteer("8 km", 8, nil)
	at20 := g.volunteer("20 km", 20, nil)
	g.volunteer("40 km", 40, nil)
	e := g.engine()

	tk := g.ticket(nil)
	g.handle(e, tk.ID)
	if m := g.lastMatch(tk.ID); m.RadiusKM != 25 {
		t.Errorf("searched %g km, want 25 (two needed, the second is 20 km away)", m.RadiusKM)
	}
	if pend := g.offers(tk.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{at8.ID, at20.ID}) {
		t.Errorf("offers to %v, want %d and %d, not the one 40 km away", pend, at8.ID, at20.ID)
	}

	g2 := newEngRig(t, true, dispatch.EngineOptions{Batch: 1})
	only := g2.volunteer("8 km", 8, nil)
	tk2 := g2.ticket(nil)
	g2.handle(g2.engine(), tk2.ID)
	if m := g2.lastMatch(tk2.ID); m.RadiusKM != 10 {
		t.Errorf("searched %g km, want to stop at 10", m.RadiusKM)
	}
	if pend := g2.offers(tk2.ID)[dispatch.OfferPending]; !slices.Equal(pend, []int64{only.ID}) {
		t.Errorf("offers to %v, want %d", pend, only.ID)
	}
}

func TestEngineEscalatesWhenNobodyQualifies(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{})
	g.volunteer("no car", 1, nil)
	g.volunteer("far away with a car", 60, func(v *dispatch.Volunteer) { v.Skills = []dispatch.Skill{dispatch.SkillCar} })
	tk := g.ticket(func(tk *dispatch.Ticket) { tk.Needs = []dispatch.Skill{dispatch.SkillCar} })
	got := g.handle(g.engine(), tk.ID)
	if got.Status != dispatch.StatusEscalated {
		t.Fatalf("status %s, want escalated", got.Status)
	}
	if want := "no volunteer within 25 km with skill car"; !strings.HasPrefix(got.Reason, want) {
		t.Errorf("reason %q, want it to start with %q", got.Reason, want)
	}
	if got.DueAt != nil {
		t.Errorf("an escalated ticket is due at %v; the engine has nothing more to do", got.DueAt)
	}

	noLoc := g.ticket(func(tk *dispatch.Ticket) { tk.Location = nil })
	if got := g.handle(g.engine(), noLoc.ID); got.Status != dispatch.StatusEscalated || got.Reason != "needs location" {
		t.Errorf("ticket without a location: %s %q, want escalated \"needs location\"", got.Status, got.Reason)
	}
}

func TestEngineEscalatesAPlaceTheIndexCannotSearch(t *testing.T) {
	g := newEngRig(t, true, dispatch.EngineOptions{})
	g.volunteer("v", 1, nil)
	pole := dispatch.Location{Lat: 89.9, Lon: 10}
	tk := g.ticket(func(tk *dispatch.Ticket) { tk.Location = &pole })
	got := g.handle(g.engine(), tk.ID)
	if got.Status != dispatch.StatusEscalated || !strings.HasPrefix(got.Reason, "location cannot be searched") {
		t.Fatalf("%s %q, want escalated for the location", got.Status, got.Reason)
	}
}
