package postgres_test

import (
	"context"
	"database/sql"
	"math"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// routeReport puts seedReport's tickets in centres, as the Router would:
// T1 and T2 in Saryarka's district, T5 in a second district of Saryarka,
// T3 in Baikonur; T4 and T7 stay unrouted. It returns the two centres' IDs.
func routeReport(t *testing.T, db *sql.DB) (saryarka, baikonur int64) {
	t.Helper()
	if err := db.QueryRow(`SELECT id FROM centres WHERE key = 'astana-saryarka'`).Scan(&saryarka); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT id FROM centres WHERE key = 'astana-baikonur'`).Scan(&baikonur); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `INSERT INTO centre_districts (centre_id, name, polygon) VALUES ($1, 'Другой', '[]')`, saryarka)
	mustExec(t, db, `UPDATE tickets SET centre_id = $1, district = 'Сарыарка' WHERE id IN (1, 2)`, saryarka)
	mustExec(t, db, `UPDATE tickets SET centre_id = $1, district = 'Другой' WHERE id = 5`, saryarka)
	mustExec(t, db, `UPDATE tickets SET centre_id = $1, district = 'Байконур' WHERE id IN (3, 8)`, baikonur)
	return saryarka, baikonur
}

// wantSplitsAddUp checks that the rows of a split add up to the report's
// totals: every ticket is in exactly one row.
func wantSplitsAddUp(t *testing.T, name string, r *dispatch.Report, rows []dispatch.Split) {
	t.Helper()
	var sum dispatch.Split
	for _, s := range rows {
		sum.Total += s.Total
		sum.Completed += s.Completed
		sum.Escalated += s.Escalated
		sum.ToAssign.N += s.ToAssign.N
		sum.ToComplete.N += s.ToComplete.N
		sum.VolunteerHours += s.VolunteerHours
	}
	if sum.Total != r.Total || sum.Completed != r.Completed || sum.Escalated != r.Escalated ||
		sum.ToAssign.N != r.ToAssign.N || sum.ToComplete.N != r.ToComplete.N ||
		math.Abs(sum.VolunteerHours-r.VolunteerHours) > 1e-9 {
		t.Errorf("%s adds up to %+v; the report has total %d, completed %d, escalated %d, assigned %d, done %d, hours %v",
			name, sum, r.Total, r.Completed, r.Escalated, r.ToAssign.N, r.ToComplete.N, r.VolunteerHours)
	}
}

func TestReportSplitByCentreAndDistrict(t *testing.T) {
	store, raw := reportDB(t)
	seedReport(t, raw)
	saryarka, baikonur := routeReport(t, raw)
	r, err := store.Report(context.Background(), almatyPeriod(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 6 {
		t.Fatalf("Total = %d, want 6: routing must not change the totals", r.Total)
	}
	wantSplitsAddUp(t, "ByCentre", r, r.ByCentre)
	wantSplitsAddUp(t, "ByDistrict", r, r.ByDistrict)

	type row struct {
		centre                      int64
		district                    string
		total, completed, escalated int
		hours                       float64
	}
	got := func(rows []dispatch.Split) []row {
		var out []row
		for _, s := range rows {
			out = append(out, row{s.CentreID, s.District, s.Total, s.Completed, s.Escalated, s.VolunteerHours})
		}
		return out
	}
	// Rows are ordered by centre key ("" for none first), then district.
	wantCentre := []row{{0, "", 2, 0, 1, 0}, {baikonur, "", 1, 0, 0, 0}, {saryarka, "", 3, 3, 1, 4}}
	wantDistrict := []row{{0, "", 2, 0, 1, 0}, {baikonur, "Байконур", 1, 0, 0, 0},
		{saryarka, "Другой", 1, 1, 1, 1}, {saryarka, "Сарыарка", 2, 2, 0, 3}}
	if g := got(r.ByCentre); !equalRows(g, wantCentre) {
		t.Errorf("ByCentre = %+v, want %+v", g, wantCentre)
	}
	if g := got(r.ByDistrict); !equalRows(g, wantDistrict) {
		t.Errorf("ByDistrict = %+v, want %+v", g, wantDistrict)
	}
	for _, s := range r.ByCentre {
		if s.CentreID == saryarka && (s.Centre != "astana-saryarka" || s.ToComplete.Median == 0) {
			t.Errorf("Saryarka's row = %+v, want its key and a completion median", s)
		}
	}
}

func equalRows[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A centre's dispatcher's report counts their centre's and the unrouted
// tickets in every section; a coordinator's choice of one centre, that
// centre's alone.
func TestReportCentreScope(t *testing.T) {
	store, raw := reportDB(t)
	seedReport(t, raw)
	saryarka, baikonur := routeReport(t, raw)
	sum := func(cs []dispatch.Count) int {
		n := 0
		for _, c := range cs {
			n += c.N
		}
		return n
	}
	for _, tc := range []struct {
		name              string
		scope             dispatch.CentreScope
		total, hoursTotal int
		centres           []int64
	}{
		{"Saryarka's dispatcher", dispatch.ScopeFor(dispatch.RoleDispatcher, saryarka, baikonur), 5, 4, []int64{0, saryarka}},
		{"a coordinator's choice of Baikonur", dispatch.ScopeFor(dispatch.RoleCoordinator, saryarka, baikonur), 1, 0, []int64{baikonur}},
		{"a coordinator's whole region", dispatch.ScopeFor(dispatch.RoleCoordinator, saryarka, 0), 6, 4, []int64{0, baikonur, saryarka}},
	} {
		f := almatyPeriod(t)
		f.Centre = tc.scope
		r, err := store.Report(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != tc.total || sum(r.PerDay) != tc.total || sum(r.ByChannel) != tc.total ||
			sum(r.ByCategory) != tc.total || sum(r.ByArea) != tc.total {
			t.Errorf("%s: total %d, per day %d, by channel %d, category %d, area %d; want %d in each",
				tc.name, r.Total, sum(r.PerDay), sum(r.ByChannel), sum(r.ByCategory), sum(r.ByArea), tc.total)
		}
		if r.VolunteerHours != float64(tc.hoursTotal) {
			t.Errorf("%s: hours %v, want %d", tc.name, r.VolunteerHours, tc.hoursTotal)
		}
		var centres []int64
		for _, s := range r.ByCentre {
			centres = append(centres, s.CentreID)
		}
		if !equalRows(centres, tc.centres) {
			t.Errorf("%s: centres %v, want %v", tc.name, centres, tc.centres)
		}
		wantSplitsAddUp(t, tc.name, r, r.ByDistrict)
	}
}

// The map shows the open tickets and the available volunteers of the
// scope: a centre's dispatcher their centre's and those in no centre.
func TestMapPointsCentreScope(t *testing.T) {
	store, raw := reportDB(t)
	seedReport(t, raw)
	saryarka, baikonur := routeReport(t, raw)
	mustExec(t, raw, `INSERT INTO volunteers (id, phone, name, lat, lon, available, max_tasks, skills, centre_id)
		VALUES (3, '+77020000003', 'Сарыаркинец', 51.2, 71.4, true, 1, '{}', $1),
		       (4, '+77020000004', 'Ничей', 51.2, 71.45, true, 1, '{}', NULL)`, saryarka)
	mustExec(t, raw, `UPDATE volunteers SET centre_id = $1 WHERE id = 1`, baikonur)
	ids := func(m *dispatch.MapData) (tickets, noLoc, vols []int64) {
		for _, x := range m.Tickets {
			tickets = append(tickets, x.ID)
		}
		for _, x := range m.NoLocation {
			noLoc = append(noLoc, x.ID)
		}
		for _, v := range m.Volunteers {
			vols = append(vols, v.ID)
		}
		return
	}
	for _, tc := range []struct {
		name                 string
		scope                dispatch.CentreScope
		tickets, noLoc, vols []int64
	}{
		// Open, oldest first: T9 (none, placed), T3 (Baikonur, placed), T4
		// (none, no place).
		{"Saryarka's dispatcher", dispatch.ScopeFor(dispatch.RoleDispatcher, saryarka, 0), []int64{9}, []int64{4}, []int64{4, 3}},
		{"Baikonur's dispatcher", dispatch.ScopeFor(dispatch.RoleDispatcher, baikonur, 0), []int64{9, 3}, []int64{4}, []int64{1, 4}},
		{"a coordinator's choice of Baikonur", dispatch.ScopeFor(dispatch.RoleCoordinator, 0, baikonur), []int64{3}, nil, []int64{1}},
		{"a coordinator", dispatch.ScopeFor(dispatch.RoleCoordinator, 0, 0), []int64{9, 3}, []int64{4}, []int64{1, 4, 3}},
	} {
		m, err := store.MapPoints(context.Background(), tc.scope)
		if err != nil {
			t.Fatal(err)
		}
		tk, nl, vs := ids(m)
		if !equalRows(tk, tc.tickets) || !equalRows(nl, tc.noLoc) || !equalRows(vs, tc.vols) {
			t.Errorf("%s: tickets %v, without place %v, volunteers %v; want %v, %v, %v",
				tc.name, tk, nl, vs, tc.tickets, tc.noLoc, tc.vols)
		}
	}
}
