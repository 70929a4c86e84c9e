package integration

import (
	"bufio"
	"fmt"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Many live consoles of two users share the process's one bus
// subscription: every Baikonur dispatcher's stream gets each note on a
// ticket of Baikonur or of no centre exactly once and none of Saryarka's;
// every coordinator's stream gets them all once. The last note is on
// Baikonur's ticket, so reading up to it proves what came before; no clock.
// A stream that reconnects with Last-Event-ID is replayed what it missed.
func TestConsoleEventsManyStreamsScoped(t *testing.T) {
	g := newScopeRig(t)
	const n = 12
	type open struct {
		r     *bufio.Reader
		coord bool
	}
	var streams []open
	disp, coord := g.loginAs("baikonur"), g.loginAs("coord")
	for i := range 2 * n {
		b := disp
		if i%2 == 1 {
			b = coord
		}
		r, done := b.stream(0)
		t.Cleanup(done)
		streams = append(streams, open{r, i%2 == 1})
	}
	order := []*dispatch.Ticket{g.theirs, g.mine, g.none, g.theirs, g.mine}
	for i, tk := range order {
		if err := g.engine.AddNote(g.ctx, tk.ID, "user:test", fmt.Sprint("заметка ", i)); err != nil {
			t.Fatal(err)
		}
	}
	var want, wantCoord []int64
	for _, tk := range order {
		wantCoord = append(wantCoord, tk.ID)
		if tk != g.theirs {
			want = append(want, tk.ID)
		}
	}
	var lastID int64
	for i, s := range streams {
		w := want
		if s.coord {
			w = wantCoord
		}
		for k, tid := range w {
			id, ev := next(t, s.r)
			if ev.TicketID != tid || ev.Kind != dispatch.EventNote {
				t.Fatalf("stream %d (coordinator %v), event %d: ticket %d %s, want ticket %d", i, s.coord, k, ev.TicketID, ev.Kind, tid)
			}
			lastID = id
		}
	}
	// Away and back: two more notes, one of them Saryarka's, then a
	// reconnect after the last event seen.
	for _, tk := range []*dispatch.Ticket{g.theirs, g.mine} {
		if err := g.engine.AddNote(g.ctx, tk.ID, "user:test", "после"); err != nil {
			t.Fatal(err)
		}
	}
	r, done := disp.stream(lastID)
	defer done()
	if _, ev := next(t, r); ev.TicketID != g.mine.ID {
		t.Fatalf("replay after %d: ticket %d, want Baikonur's %d (Saryarka's skipped)", lastID, ev.TicketID, g.mine.ID)
	}
}
