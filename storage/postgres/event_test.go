package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

func TestEventsRoundTripAndOrder(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	cl := mustClient(t, s)
	t1, t2 := mustTicket(t, s, cl.ID, nil), mustTicket(t, s, cl.ID, nil)
	var added []*dispatch.TicketEvent
	for i, tk := range []*dispatch.Ticket{t1, t2, t1, t2, t1} {
		clk.add(time.Second)
		e := &dispatch.TicketEvent{TicketID: tk.ID, Kind: dispatch.EventNote, Actor: "system",
			Channel: dispatch.ChannelSystem}
		if i == 0 {
			e.From, e.To, e.Kind, e.Reason = "new", "queued", dispatch.EventTransition, "принято"
			e.Data = `{"candidates": [{"id": 7, "score": 0.82}]}`
		}
		if err := s.AddEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || !e.At.Equal(clk.now()) {
			t.Fatalf("AddEvent set ID %d, At %v", e.ID, e.At)
		}
		added = append(added, e)
	}

	got, err := s.Events(ctx, t1.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []*dispatch.TicketEvent{added[0], added[2], added[4]}
	if len(got) != len(want) {
		t.Fatalf("Events = %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		sameEvent(t, got[i], want[i])
	}

	all, err := s.EventsAfter(ctx, 0, 100)
	if err != nil || len(all) != 5 {
		t.Fatalf("EventsAfter(0) = %d, %v", len(all), err)
	}
	for i := range added {
		sameEvent(t, all[i], added[i])
	}
	page, err := s.EventsAfter(ctx, added[1].ID, 2)
	if err != nil || len(page) != 2 || page[0].ID != added[2].ID || page[1].ID != added[3].ID {
		t.Fatalf("EventsAfter(%d, 2) = %v, %v", added[1].ID, page, err)
	}
	rest, err := s.EventsAfter(ctx, added[4].ID, 10)
	if err != nil || len(rest) != 0 {
		t.Fatalf("EventsAfter(last) = %v, %v", rest, err)
	}
}

func sameEvent(t *testing.T, got, want *dispatch.TicketEvent) {
	t.Helper()
	if got.ID != want.ID || got.TicketID != want.TicketID || got.From != want.From || got.To != want.To ||
		got.Kind != want.Kind || got.Actor != want.Actor || got.Channel != want.Channel ||
		got.Reason != want.Reason || !got.At.Equal(want.At) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// jsonb normalises the text; compare what it means.
	if (got.Data == "") != (want.Data == "") {
		t.Errorf("data: got %q, want %q", got.Data, want.Data)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	db, s, _ := newStore(t)
	ctx := context.Background()
	tk := mustTicket(t, s, mustClient(t, s).ID, nil)
	e := &dispatch.TicketEvent{TicketID: tk.ID, Kind: dispatch.EventNote, Actor: "system", Channel: "system"}
	if err := s.AddEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	raw := postgres.RawDB(db)
	if _, err := raw.Exec(`UPDATE ticket_events SET reason = 'rewritten' WHERE id = $1`, e.ID); err == nil {
		t.Error("UPDATE of an audit row succeeded")
	}
	if _, err := raw.Exec(`DELETE FROM ticket_events WHERE id = $1`, e.ID); err == nil {
		t.Error("DELETE of an audit row succeeded")
	}
	if n := count(t, db, `SELECT count(*) FROM ticket_events WHERE id = $1 AND reason = ''`, e.ID); n != 1 {
		t.Error("the audit row changed")
	}
}

func TestAddEventErrors(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	tk := mustTicket(t, s, mustClient(t, s).ID, nil)
	err := s.AddEvent(ctx, &dispatch.TicketEvent{TicketID: tk.ID, Kind: "note", Actor: "system", Channel: "system", Data: "{not json"})
	wantCode(t, err, dispatch.EINVALID)
	err = s.AddEvent(ctx, &dispatch.TicketEvent{TicketID: tk.ID + 5, Kind: "note", Actor: "system", Channel: "system"})
	wantCode(t, err, dispatch.EINVALID)
}
