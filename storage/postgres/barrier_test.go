package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

func TestSyncBarrierReports(t *testing.T) {
	db, s, clk := newStore(t)
	ctx := context.Background()
	c := mustClient(t, s)
	tk := mustTicket(t, s, c.ID, func(tk *dispatch.Ticket) {
		tk.Category = dispatch.CategoryAccessibility
		tk.Description = "лифт в поликлинике не работает"
		tk.Address = "Астана, ул. Иманова 3"
		tk.RecordingURL = "https://api.twilio.com/rec/RE9"
	})
	mustTicket(t, s, c.ID, nil) // shopping: no report
	if err := s.SaveInbound(ctx, &dispatch.InboundMessage{MessageSID: "MM1", From: c.Phone, Body: "фото",
		MediaURLs: []string{"https://api.twilio.com/media/ME1", "https://api.twilio.com/media/ME2"}, TicketID: &tk.ID}); err != nil {
		t.Fatal(err)
	}
	n, err := s.SyncBarrierReports(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sync = %d, %v; want 1", n, err)
	}
	if n, err := s.SyncBarrierReports(ctx); err != nil || n != 0 {
		t.Fatalf("second sync = %d, %v; want 0", n, err)
	}
	r, err := s.BarrierReport(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != tk.Code || r.PlaceKind != dispatch.PlaceLift || r.PlaceAddress != tk.Address || r.Status != dispatch.BarrierReported ||
		len(r.PhotoURLs) != 2 || r.RecordingURL != tk.RecordingURL || !r.ReportedAt.Equal(tk.CreatedAt) {
		t.Fatalf("report %+v", r)
	}
	if n := count(t, db, `SELECT count(*) FROM barrier_reports WHERE place_name LIKE '%поликлиник%' OR place_address LIKE '%лифт%'`); n != 0 {
		t.Fatal("the description leaked into the report")
	}
	// the volunteer's completed visit verifies it
	clk.add(time.Hour)
	tk.Status, tk.CompletedAt = dispatch.StatusCompleted, ptr(clk.now())
	if err := s.UpdateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncBarrierReports(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ = s.BarrierReport(ctx, tk.ID)
	if r.Status != dispatch.BarrierVerified || r.VerifiedAt == nil || !r.VerifiedAt.Equal(*tk.CompletedAt) {
		t.Fatalf("after the visit %+v", r)
	}
	// a sent report needs its body, by the table's check too
	r.Status = dispatch.BarrierSent
	r.SentAt = ptr(clk.now())
	wantCode(t, s.UpdateBarrierReport(ctx, r), dispatch.EINVALID)
	_, err = s.BarrierReport(ctx, 424242)
	wantCode(t, err, dispatch.ENOTFOUND)
	rs, total, err := s.BarrierReports(ctx, dispatch.BarrierFilter{Status: []dispatch.BarrierStatus{dispatch.BarrierVerified}})
	if err != nil || total != 1 || len(rs) != 1 {
		t.Fatalf("list: %d %d %v", total, len(rs), err)
	}
}

func TestHoursCorrectionsAreKept(t *testing.T) {
	db, s, _ := newStore(t)
	ctx := context.Background()
	v := mustVolunteer(t, s, nil)
	c := &dispatch.HoursCorrection{VolunteerID: v.ID, Month: "2026-02", Minutes: -30, Reason: "перерыв", Actor: "user:anna"}
	if err := s.AddHoursCorrection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.CreatedAt.IsZero() {
		t.Fatalf("correction %+v", c)
	}
	got, err := s.HoursCorrections(ctx, v.ID)
	if err != nil || len(got) != 1 || got[0].Month != "2026-02" || got[0].Minutes != -30 || got[0].TicketID != nil {
		t.Fatalf("corrections %+v %v", got, err)
	}
	// both a ticket and a month, or neither: refused by the table
	tk := int64(1)
	wantCode(t, s.AddHoursCorrection(ctx, &dispatch.HoursCorrection{VolunteerID: v.ID, Reason: "x", Actor: "a"}), dispatch.EINVALID)
	err = s.AddHoursCorrection(ctx, &dispatch.HoursCorrection{VolunteerID: v.ID, TicketID: &tk, Month: "2026-01", Reason: "x", Actor: "a"})
	if err == nil {
		t.Fatal("a correction of both a ticket and a month was stored")
	}
	// the audit cannot be rewritten
	if n := count(t, db, `SELECT count(*) FROM hours_corrections`); n != 1 {
		t.Fatalf("%d rows", n)
	}
	if _, err := rawExec(db, `UPDATE hours_corrections SET minutes = 0`); err == nil {
		t.Fatal("a correction was changed")
	}
}

func rawExec(db *postgres.DB, q string, a ...any) (int64, error) {
	res, err := postgres.RawDB(db).Exec(q, a...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
