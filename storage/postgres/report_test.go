package postgres_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// reportDB is a migrated database with a Store and a raw connection, so that
// the test can write rows with exactly the timestamps it needs.
func reportDB(t *testing.T) (*postgres.Store, *sql.DB) {
	t.Helper()
	url := storagetest.DatabaseURL(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return postgres.NewStore(db, nil), raw
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// seedReport writes the known data set the tests compute by hand:
//
//	ticket  created (UTC)     Almaty day  channel  category       area    assigned  completed  status
//	T1      11-01 04:00       11-01       sms      escort         Астана  +10m      +70m       completed (Айгерим)
//	T2      11-01 20:00       11-02       voice    shopping       Астана  +20m      +140m      completed (Болат)
//	T3      11-02 06:00       11-02       web      escort         Алматы  +30m      -          assigned (Айгерим)
//	T4      11-02 07:00       11-02       sms      home           ""      -         -          escalated
//	T5      11-03 05:00       11-03       sms      other          Алматы  +40m      +100m      completed (Айгерим), escalated once
//	T7      10-31 19:30       11-01       api      accessibility  ""      -         -          cancelled
//	T8      11-03 19:30       11-04 (out) sms      escort         Астана  +5m       +600m      completed (Болат)
//	T9      10-31 10:00       10-31 (out) sms      escort         Астана  -         -          new
func seedReport(t *testing.T, db *sql.DB) {
	t.Helper()
	mustExec(t, db, `INSERT INTO clients (id, phone, name) VALUES (1, '+77010000001', 'Client')`)
	mustExec(t, db, `INSERT INTO volunteers (id, phone, name, lat, lon, available, max_tasks, skills)
		VALUES (1, '+77020000001', 'Айгерим', 51.16, 71.44, true, 2, '{car}'),
		       (2, '+77020000002', 'Болат', 51.10, 71.40, false, 1, '{}')`)
	type tk struct {
		id                 int
		created            string
		channel, cat, addr string
		assignMin, doneMin int // 0: none
		status             string
		vol                int
		lat, lon           float64
	}
	rows := []tk{
		{1, "2026-11-01T04:00:00Z", "sms", "escort", "Астана, ул. Абая 1", 10, 70, "completed", 1, 51.1, 71.4},
		{2, "2026-11-01T20:00:00Z", "voice", "shopping", "Астана", 20, 140, "completed", 2, 0, 0},
		{3, "2026-11-02T06:00:00Z", "web", "escort", ` Алматы , "Центр", 5`, 30, 0, "assigned", 1, 43.25, 76.95},
		{4, "2026-11-02T07:00:00Z", "sms", "home", "", 0, 0, "escalated", 0, 0, 0},
		{5, "2026-11-03T05:00:00Z", "sms", "other", "Алматы", 40, 100, "completed", 1, 0, 0},
		{7, "2026-10-31T19:30:00Z", "api", "accessibility", "", 0, 0, "cancelled", 0, 0, 0},
		{8, "2026-11-03T19:30:00Z", "sms", "escort", "Астана", 5, 600, "completed", 2, 0, 0},
		{9, "2026-10-31T10:00:00Z", "sms", "escort", "Астана", 0, 0, "new", 0, 51.2, 71.5},
	}
	for _, r := range rows {
		created, _ := time.Parse(time.RFC3339, r.created)
		var assigned, done sql.NullTime
		if r.assignMin > 0 {
			assigned = sql.NullTime{Time: created.Add(time.Duration(r.assignMin) * time.Minute), Valid: true}
		}
		if r.doneMin > 0 {
			done = sql.NullTime{Time: created.Add(time.Duration(r.doneMin) * time.Minute), Valid: true}
		}
		var vol sql.NullInt64
		if r.vol > 0 {
			vol = sql.NullInt64{Int64: int64(r.vol), Valid: true}
		}
		var lat, lon sql.NullFloat64
		if r.lat != 0 {
			lat, lon = sql.NullFloat64{Float64: r.lat, Valid: true}, sql.NullFloat64{Float64: r.lon, Valid: true}
		}
		mustExec(t, db, `INSERT INTO tickets (id, code, channel, category, lang, address, status, client_id,
			volunteer_id, created_at, updated_at, assigned_at, completed_at, lat, lon)
			VALUES ($1::bigint, 'C'||$1::text, $2, $3, 'ru', $4, $5, 1, $6, $7, $7, $8, $9, $10, $11)`,
			r.id, r.channel, r.cat, r.addr, r.status, vol, created, assigned, done, lat, lon)
	}
	mustExec(t, db, `INSERT INTO ticket_events (ticket_id, from_status, to_status, kind, actor, channel)
		VALUES (5, 'queued', 'escalated', 'transition', 'system', 'system'),
		       (5, 'escalated', 'assigned', 'transition', 'user:anna', 'console')`)
}

func almatyPeriod(t *testing.T) dispatch.ReportFilter {
	zone, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return dispatch.ReportFilter{
		From: time.Date(2026, 11, 1, 0, 0, 0, 0, zone),
		To:   time.Date(2026, 11, 4, 0, 0, 0, 0, zone),
		Zone: zone,
	}
}

func TestReportNumbers(t *testing.T) {
	store, raw := reportDB(t)
	seedReport(t, raw)
	r, err := store.Report(context.Background(), almatyPeriod(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 6 {
		t.Errorf("Total = %d, want 6 (T8 and T9 are outside the period)", r.Total)
	}
	wantCounts(t, "PerDay", r.PerDay, counts("2026-11-01", 2, "2026-11-02", 3, "2026-11-03", 1))
	wantCounts(t, "ByChannel", r.ByChannel, counts("sms", 3, "api", 1, "voice", 1, "web", 1))
	wantCounts(t, "ByCategory", r.ByCategory, counts("escort", 2, "accessibility", 1, "home", 1, "other", 1, "shopping", 1))
	wantCounts(t, "ByArea", r.ByArea, counts("", 2, "Алматы", 2, "Астана", 2))
	if r.Completed != 3 || r.CompletionRate() != 0.5 {
		t.Errorf("Completed = %d (rate %v), want 3 (0.5)", r.Completed, r.CompletionRate())
	}
	if r.Escalated != 2 {
		t.Errorf("Escalated = %d, want 2 (T4 now, T5 in its timeline)", r.Escalated)
	}
	// Assignment: 10, 20, 30, 40 min. Median (20+30)/2 = 25; p90 at rank
	// 0.9*3 = 2.7: 30 + 0.7*10 = 37.
	wantDur(t, "ToAssign", r.ToAssign, 4, 25*time.Minute, 37*time.Minute)
	// Completion (completed only): 70, 100, 140 min. Median 100; p90 at rank
	// 0.9*2 = 1.8: 100 + 0.8*40 = 132.
	wantDur(t, "ToComplete", r.ToComplete, 3, 100*time.Minute, 132*time.Minute)
	// Hours: T1 1 h and T5 1 h for Айгерим, T2 2 h for Болат; T8 is out.
	if r.VolunteerHours != 4 {
		t.Errorf("VolunteerHours = %v, want 4", r.VolunteerHours)
	}
	want := []dispatch.VolunteerHours{{VolunteerID: 1, Name: "Айгерим", Tasks: 2, Hours: 2}, {VolunteerID: 2, Name: "Болат", Tasks: 1, Hours: 2}}
	if len(r.Volunteers) != len(want) {
		t.Fatalf("Volunteers = %+v, want %+v", r.Volunteers, want)
	}
	for i := range want {
		if r.Volunteers[i] != want[i] {
			t.Errorf("Volunteers[%d] = %+v, want %+v", i, r.Volunteers[i], want[i])
		}
	}
}

func TestReportEmptyPeriodHasZeroDays(t *testing.T) {
	store, _ := reportDB(t)
	f := almatyPeriod(t)
	r, err := store.Report(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, "PerDay", r.PerDay, counts("2026-11-01", 0, "2026-11-02", 0, "2026-11-03", 0))
	if r.Total != 0 || r.ToAssign != (dispatch.Durations{}) || r.CompletionRate() != 0 || len(r.ByChannel) != 0 {
		t.Errorf("empty report = %+v", r)
	}
}

func TestReportRejectsReversedPeriod(t *testing.T) {
	store, _ := reportDB(t)
	f := almatyPeriod(t)
	f.From, f.To = f.To, f.From
	_, err := store.Report(context.Background(), f)
	if !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Fatalf("err = %v, want EINVALID", err)
	}
}

func TestMapPoints(t *testing.T) {
	store, raw := reportDB(t)
	seedReport(t, raw)
	m, err := store.MapPoints(context.Background(), dispatch.CentreScope{})
	if err != nil {
		t.Fatal(err)
	}
	// Open: T3 (assigned, located), T4 (escalated, no location), T9 (new, located).
	if len(m.Tickets) != 2 || m.Tickets[0].ID != 9 || m.Tickets[1].ID != 3 {
		t.Errorf("Tickets = %+v, want T9 then T3 (oldest first)", m.Tickets)
	}
	if len(m.NoLocation) != 1 || m.NoLocation[0].ID != 4 {
		t.Errorf("NoLocation = %+v, want T4", m.NoLocation)
	}
	if len(m.Volunteers) != 1 {
		t.Fatalf("Volunteers = %+v, want only Айгерим (Болат is not available)", m.Volunteers)
	}
	v := m.Volunteers[0]
	if v.Name != "Айгерим" || v.ActiveTasks != 1 || v.MaxTasks != 2 || v.Location.Lat != 51.16 || len(v.Skills) != 1 {
		t.Errorf("volunteer = %+v", v)
	}
}

func wantCounts(t *testing.T, name string, got, want []dispatch.Count) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", name, got, want)
		return
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s = %v, want %v", name, got, want)
			return
		}
	}
}

func wantDur(t *testing.T, name string, got dispatch.Durations, n int, median, p90 time.Duration) {
	t.Helper()
	if got.N != n || got.Median != median || got.P90 != p90 {
		t.Errorf("%s = {N:%d Median:%v P90:%v}, want {N:%d Median:%v P90:%v}", name, got.N, got.Median, got.P90, n, median, p90)
	}
}

// counts builds a breakdown from key, n pairs.
func counts(kv ...any) []dispatch.Count {
	var out []dispatch.Count
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, dispatch.Count{Key: kv[i].(string), N: kv[i+1].(int)})
	}
	return out
}

// Areas: a located ticket counts in the district whose radius holds it, even
// when the city's centre is nearer (priority), then in the city; tickets
// outside every area, or without a location, count by their address.
func TestReportAreas(t *testing.T) {
	store, raw := reportDB(t)
	seedReport(t, raw)
	f := almatyPeriod(t)
	f.Areas = []dispatch.AreaCentre{
		{Name: "Астана", Location: dispatch.Location{Lat: 51.105, Lon: 71.405}, RadiusKM: 25, Priority: 1},
		{Name: "Астана · Есиль", Location: dispatch.Location{Lat: 51.08, Lon: 71.38}, RadiusKM: 5},
		{Name: "Алматы · Медеу", Location: dispatch.Location{Lat: 43.24, Lon: 76.97}, RadiusKM: 5},
		{Name: "Алматы · Далеко", Location: dispatch.Location{Lat: 43.40, Lon: 77.30}, RadiusKM: 5},
	}
	r, err := store.Report(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	// T1 (51.1, 71.4): 0.6 km from the city centre, 2.6 km from Есиль's:
	// Есиль. T3 (43.25, 76.95): 2 km from Медеу's centre. T2 and T5 have no
	// location and count by address; T4 and T7 have neither.
	wantCounts(t, "ByArea", r.ByArea, counts("", 2, "Алматы", 1, "Алматы · Медеу", 1, "Астана", 1, "Астана · Есиль", 1))
}
