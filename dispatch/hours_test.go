package dispatch_test

import (
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestSumHoursByMonthOfCompletion(t *testing.T) {
	almaty := time.FixedZone("Asia/Almaty", 5*3600)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, almaty)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	task := func(id int64, from, to string) dispatch.HoursTask {
		m := dispatch.TaskMinutes(at(from), at(to))
		return dispatch.HoursTask{TicketID: id, AssignedAt: at(from), CompletedAt: at(to), Minutes: m, Measured: m}
	}
	tasks := []dispatch.HoursTask{
		task(1, "2026-01-10 10:00", "2026-01-10 11:30"), // 90 min, January
		// spans midnight at the month's edge: counts in February
		task(2, "2026-01-31 23:30", "2026-02-01 00:30"),
		task(3, "2026-02-03 09:00", "2026-02-03 09:20"),
		// 03:00 on 1 March in Almaty is still February in UTC: the zone decides
		task(4, "2026-03-01 02:00", "2026-03-01 03:00"),
	}
	t2, t3 := int64(2), int64(3)
	cs := []*dispatch.HoursCorrection{
		{TicketID: &t3, Minutes: 40, Absolute: true, Reason: "forgot to text DONE"},
		{TicketID: &t3, Minutes: 5, Reason: "walk back"},
		{TicketID: &t2, Minutes: -100, Reason: "not that long"}, // floors at 0
		{Month: "2026-01", Minutes: 30, Reason: "training session"},
		{Month: "2026-04", Minutes: 120, Absolute: true, Reason: "event without tickets"},
	}
	got := dispatch.SumHours(tasks, cs, almaty)
	want := map[string]int{"2026-01": 90 + 30, "2026-02": 0 + 45, "2026-03": 60, "2026-04": 120}
	if len(got) != len(want) {
		t.Fatalf("months %+v", got)
	}
	for i, m := range got {
		if m.Minutes != want[m.Month] {
			t.Errorf("%s: %d min, want %d", m.Month, m.Minutes, want[m.Month])
		}
		if i > 0 && got[i-1].Month >= m.Month {
			t.Errorf("months out of order: %s after %s", m.Month, got[i-1].Month)
		}
	}
	if feb := got[1]; len(feb.Tasks) != 2 || !feb.Tasks[1].Corrected || feb.Tasks[1].Measured != 20 || feb.Tasks[1].Minutes != 45 {
		t.Fatalf("February's tasks %+v", feb.Tasks)
	}
	// in UTC the second task is January's and the fourth February's
	utc := dispatch.SumHours(tasks, nil, time.UTC)
	if len(utc) != 2 || utc[0].Minutes != 90+60 || utc[1].Month != "2026-02" || utc[1].Minutes != 20+60 {
		t.Fatalf("UTC months %+v", utc)
	}
}

func TestTaskMinutesNeverNegative(t *testing.T) {
	now := time.Now()
	if m := dispatch.TaskMinutes(now, now.Add(-time.Hour)); m != 0 {
		t.Fatalf("backwards = %d", m)
	}
	if m := dispatch.TaskMinutes(now, now.Add(89*time.Second)); m != 1 {
		t.Fatalf("89 s = %d min", m)
	}
}

func TestClientPlaceholderPhone(t *testing.T) {
	for _, id := range []int64{1, 123456, 99999999999} {
		p := dispatch.ClientPlaceholderPhone(id)
		if len(p) != 15 || p[:4] != "+999" {
			t.Fatalf("%d: %q", id, p)
		}
	}
	if dispatch.ClientPlaceholderPhone(1) == dispatch.ClientPlaceholderPhone(10) {
		t.Fatal("placeholders collide")
	}
}
