package dispatch

import (
	"testing"
	"time"
)

func TestRecurringNext(t *testing.T) {
	almaty := time.FixedZone("Asia/Almaty", 5*3600)
	sat := &Recurring{Day: time.Saturday, Start: 10 * 60, End: 12 * 60}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, almaty)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct{ now, want string }{
		{"2026-12-01 09:00", "2026-12-05 10:00"}, // Tuesday → this Saturday
		{"2026-12-05 09:59", "2026-12-05 10:00"}, // Saturday before the start
		{"2026-12-05 10:00", "2026-12-12 10:00"}, // started: next week
		{"2026-12-06 08:00", "2026-12-12 10:00"}, // Sunday
	}
	for _, tt := range tests {
		start, end := sat.Next(at(tt.now), almaty)
		if !start.Equal(at(tt.want)) || end.Sub(start) != 2*time.Hour {
			t.Errorf("Next(%s) = %s–%s, want %s for 2h", tt.now, start, end, tt.want)
		}
	}
	// The zone decides the day: Saturday 02:00 in Almaty is Friday in UTC.
	night := &Recurring{Day: time.Saturday, Start: 3 * 60, End: 4 * 60}
	fridayUTC := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC) // Saturday 02:00 in Almaty
	if start, _ := night.Next(fridayUTC, almaty); !start.Equal(at("2026-12-05 03:00")) {
		t.Errorf("across zones: %s, want Saturday 03:00 Almaty", start)
	}
}
