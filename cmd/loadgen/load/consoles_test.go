package load

import (
	"testing"
	"time"
)

// TestTallyCountsLostDuplicatedAndForeign proves the console accounting
// can say no: a stream that misses a note, one that gets a note twice and
// one that gets another centre's note are each caught, and the delays are
// those of first copies only.
func TestTallyCountsLostDuplicatedAndForeign(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	expected := map[int64]Expected{
		10: {Ticket: 1, Sent: at(0), Visible: true},
		11: {Ticket: 2, Sent: at(100), Visible: true},
		12: {Ticket: 3, Sent: at(1200), Visible: false}, // another centre's ticket
	}
	streams := [][]Arrival{
		{{EventID: 10, At: at(5)}, {EventID: 11, At: at(110)}},                              // clean
		{{EventID: 10, At: at(7)}},                                                          // lost 11
		{{EventID: 10, At: at(6)}, {EventID: 11, At: at(120)}, {EventID: 11, At: at(900)}},  // 11 twice
		{{EventID: 10, At: at(8)}, {EventID: 11, At: at(111)}, {EventID: 12, At: at(1201)}}, // leaked 12
		{{EventID: 10, At: at(9)}, {EventID: 11, At: at(112)}, {EventID: 99, At: at(50)}},   // 99: not this run's
	}
	got := Tally(expected, streams, t0)
	if got.Expected != 10 || got.Delivered != 9 {
		t.Errorf("expected %d delivered %d, want 10 and 9", got.Expected, got.Delivered)
	}
	if got.Lost != 1 || got.StreamsLosing != 1 || got.MostLost != 1 {
		t.Errorf("lost %d in %d streams (most %d), want 1 in 1", got.Lost, got.StreamsLosing, got.MostLost)
	}
	if got.Duplicated != 1 || got.StreamsDuplicating != 1 {
		t.Errorf("duplicated %d in %d streams, want 1 in 1", got.Duplicated, got.StreamsDuplicating)
	}
	if got.Foreign != 1 || got.Unknown != 1 {
		t.Errorf("other centre's %d, unknown %d, want 1 and 1", got.Foreign, got.Unknown)
	}
	if len(got.Delays) != 9 {
		t.Fatalf("%d delays, want 9 (first copies of visible notes)", len(got.Delays))
	}
	var maxD time.Duration
	for _, d := range got.Delays {
		maxD = max(maxD, d)
	}
	if maxD != 20*time.Millisecond { // the 900 ms copy is a duplicate, not a delay
		t.Errorf("largest delay %v, want 20ms", maxD)
	}
	if got.WorstStreamP99 != 20*time.Millisecond {
		t.Errorf("worst stream p99 %v, want 20ms", got.WorstStreamP99)
	}
	if len(got.Timeline) != 1 || got.Timeline[0].Sent != 9 {
		t.Errorf("timeline %+v, want one second with 9 deliveries", got.Timeline)
	}
}

// TestTallyCleanRun: every stream got every visible note once.
func TestTallyCleanRun(t *testing.T) {
	t0 := time.Now()
	expected := map[int64]Expected{1: {Sent: t0, Visible: true}, 2: {Sent: t0, Visible: false}}
	got := Tally(expected, [][]Arrival{{{EventID: 1, At: t0.Add(time.Millisecond)}}, {{EventID: 1, At: t0}}}, t0)
	rep := ConsoleReport{Expected: got.Expected, Lost: got.Lost, Duplicated: got.Duplicated, Foreign: got.Foreign}
	if !rep.Clean() || got.Delivered != 2 {
		t.Errorf("a clean run is not clean: %+v", got)
	}
	rep.Lost = 1
	if rep.Clean() {
		t.Error("a run that lost a note is clean")
	}
}

func TestStreamRecordKeepsNotesOnly(t *testing.T) {
	var s stream
	now := time.Now()
	n := s.record(5, []byte(`{"id":5,"ticket_id":3,"kind":"note"}`), now) +
		s.record(6, []byte(`{"id":6,"ticket_id":3,"kind":"offer"}`), now) +
		s.record(7, []byte(`not json`), now)
	if n != 1 || len(s.arrivals) != 1 || s.arrivals[0] != (Arrival{EventID: 5, Ticket: 3, At: now}) {
		t.Errorf("recorded %d: %+v", n, s.arrivals)
	}
}
