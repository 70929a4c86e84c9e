package postgres_test

import (
	"context"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

// centreIDs maps migration 00031's centre keys to their IDs.
func centreIDs(t *testing.T, s *postgres.Store) map[string]int64 {
	t.Helper()
	areas, err := s.CentreAreas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, a := range areas {
		out[a.Centre] = a.CentreID
	}
	return out
}

var (
	inSaryarka = dispatch.Location{Lat: 51.2, Lon: 71.35}
	inBaikonur = dispatch.Location{Lat: 51.2, Lon: 71.47}
	inNoCentre = dispatch.Location{Lat: 43.24, Lon: 76.95} // Almaty city: no centre's district
)

// A volunteer is placed by their home on create, on every update that
// moves them, and in an import; a chosen centre stays where it was put.
func TestVolunteerPlacedInTheCentreOfTheirHome(t *testing.T) {
	ctx := context.Background()
	_, s, _ := newStore(t)
	ids := centreIDs(t, s)
	v := mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.Location = &inSaryarka })
	if got, _ := s.Volunteer(ctx, v.ID); got.CentreID != ids["astana-saryarka"] || v.CentreID != got.CentreID {
		t.Fatalf("created in Saryarka: centre %d (returned %d), want %d", got.CentreID, v.CentreID, ids["astana-saryarka"])
	}
	v.Location = &inBaikonur
	if err := s.UpdateVolunteer(ctx, v); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Volunteer(ctx, v.ID); got.CentreID != ids["astana-baikonur"] {
		t.Fatalf("moved to Baikonur: centre %d, want %d", got.CentreID, ids["astana-baikonur"])
	}
	v.Location = &inNoCentre
	if err := s.UpdateVolunteer(ctx, v); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Volunteer(ctx, v.ID); got.CentreID != 0 {
		t.Fatalf("moved out of every district: centre %d, want none", got.CentreID)
	}

	chosen := mustVolunteer(t, s, func(v *dispatch.Volunteer) {
		v.Location, v.CentreID, v.CentreChosen = &inSaryarka, ids["kokshetau"], true
	})
	chosen.Location = &inBaikonur
	if err := s.UpdateVolunteer(ctx, chosen); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Volunteer(ctx, chosen.ID); got.CentreID != ids["kokshetau"] || !got.CentreChosen {
		t.Fatalf("a chosen centre: %d (chosen %v), want %d kept", got.CentreID, got.CentreChosen, ids["kokshetau"])
	}

	batch := []*dispatch.Volunteer{
		{Phone: phone(), Name: "a", Location: &inBaikonur, Available: true},
		{Phone: phone(), Name: "b", Location: &inNoCentre, Available: true},
		{Phone: phone(), Name: "c", Available: true},
	}
	if err := s.CreateVolunteers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{ids["astana-baikonur"], 0, 0} {
		if got, _ := s.Volunteer(ctx, batch[i].ID); got.CentreID != want {
			t.Errorf("imported %s: centre %d, want %d", batch[i].Name, got.CentreID, want)
		}
	}
	vs, _, err := s.Volunteers(ctx, dispatch.VolunteerFilter{CentreID: ids["astana-baikonur"], NoCentre: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 4 { // v (no centre now), batch a, b, c
		t.Errorf("Baikonur's and centreless volunteers: %d, want 4", len(vs))
	}
}

// The backfill places volunteers written before centres (centre_id NULL)
// and leaves chosen centres alone; a second run changes nothing.
func TestPlaceVolunteersBackfills(t *testing.T) {
	ctx := context.Background()
	db, s, _ := newStore(t)
	ids := centreIDs(t, s)
	old := mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.Location = &inSaryarka })
	chosen := mustVolunteer(t, s, func(v *dispatch.Volunteer) {
		v.Location, v.CentreID, v.CentreChosen = &inSaryarka, ids["pavlodar"], true
	})
	none := mustVolunteer(t, s, func(v *dispatch.Volunteer) { v.Location = nil })
	if _, err := postgres.RawDB(db).ExecContext(ctx, `UPDATE volunteers SET centre_id = NULL WHERE id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	n, err := s.PlaceVolunteers(ctx)
	if err != nil || n != 1 {
		t.Fatalf("first run placed %d (%v), want 1", n, err)
	}
	for id, want := range map[int64]int64{old.ID: ids["astana-saryarka"], chosen.ID: ids["pavlodar"], none.ID: 0} {
		if got, _ := s.Volunteer(ctx, id); got.CentreID != want {
			t.Errorf("volunteer %d: centre %d, want %d", id, got.CentreID, want)
		}
	}
	if n, err := s.PlaceVolunteers(ctx); err != nil || n != 0 {
		t.Fatalf("second run placed %d (%v), want 0", n, err)
	}
}
