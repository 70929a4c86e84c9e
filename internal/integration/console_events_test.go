package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// stream opens /console/events (resuming after lastID when it is > 0) and
// returns a reader of its lines once the server has subscribed.
func (b *browser) stream(lastID int64) (*bufio.Reader, func()) {
	b.g.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.g.srv.URL+"/console/events", nil)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	res := b.do(req)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b.g.t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(res.Body)
	// The handler writes retry: only after Redis confirmed the subscription.
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		b.g.t.Fatalf("first line %q, %v", line, err)
	}
	return r, func() { res.Body.Close() }
}

// next reads the next event's id and data, skipping comments.
func next(t *testing.T, r *bufio.Reader) (int64, dispatch.Event) {
	t.Helper()
	var id int64
	var ev dispatch.Event
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "id: "):
			id, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &ev); err != nil {
				t.Fatalf("data %q: %v", line, err)
			}
		case line == "" && ev.TicketID != 0:
			return id, ev
		}
	}
}

// An event published on the bus (as by any process) reaches an open
// console; a console that reconnects with Last-Event-ID gets what it missed
// from PostgreSQL, then the live events, without duplicates; and Close
// ends every stream.
func TestConsoleEventsLiveAndResume(t *testing.T) {
	g := newConRig(t)
	tk := g.ticket("help")
	b := g.login(dispatch.RoleViewer)

	r, done := b.stream(0)
	defer done()
	if err := g.bus.Publish(g.ctx, dispatch.Event{ID: 777, TicketID: tk.ID, Kind: "transition", Status: dispatch.StatusOffered}); err != nil {
		t.Fatal(err)
	}
	id, ev := next(t, r)
	if id != 777 || ev.TicketID != tk.ID || ev.Status != dispatch.StatusOffered {
		t.Fatalf("live event: id %d %+v", id, ev)
	}

	// Three audit rows written while the console was away.
	var ids []int64
	for i := 0; i < 3; i++ {
		e := &dispatch.TicketEvent{TicketID: tk.ID, Kind: dispatch.EventNote, Actor: "user:anna",
			Channel: dispatch.ChannelConsole, Reason: fmt.Sprint("note ", i)}
		if err := g.store.AddEvent(g.ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	// The queue page tells its stream where to start: after the newest
	// event it had seen.
	if _, body := b.get("/console"); !strings.Contains(body, `data-after="`+strconv.FormatInt(ids[2], 10)+`"`) {
		t.Errorf("the queue page does not carry the newest event id %d", ids[2])
	}
	r2, done2 := b.stream(ids[0])
	defer done2()
	for _, want := range ids[1:] {
		if id, ev := next(t, r2); id != want || ev.TicketID != tk.ID || ev.Kind != dispatch.EventNote {
			t.Fatalf("replay: id %d %+v, want id %d", id, ev, want)
		}
	}
	// A live copy of a replayed event is dropped; the next new one comes.
	for _, id := range []int64{ids[2], ids[2] + 1000} {
		if err := g.bus.Publish(g.ctx, dispatch.Event{ID: id, TicketID: tk.ID, Kind: dispatch.EventNote}); err != nil {
			t.Fatal(err)
		}
	}
	if id, _ := next(t, r2); id != ids[2]+1000 {
		t.Fatalf("after replay got id %d, want %d (the replayed one skipped)", id, ids[2]+1000)
	}

	g.con.Close()
	for _, rd := range []*bufio.Reader{r, r2} {
		for {
			if _, err := rd.ReadString('\n'); err != nil {
				break // the server ended the stream
			}
		}
	}
}
