package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

// closed makes a completed ticket of c with personal data everywhere: the
// ticket, its timeline, its messages both ways and its call.
func closedWithData(t *testing.T, db *postgres.DB, s *postgres.Store, c *dispatch.Client) *dispatch.Ticket {
	t.Helper()
	ctx := context.Background()
	tk := mustTicket(t, s, c.ID, func(tk *dispatch.Ticket) {
		tk.Description = "мой адрес и диагноз"
		tk.Address = "ул. Абая 10, кв. 5"
		tk.Location = &dispatch.Location{Lat: 51.123456, Lon: 71.456789}
		tk.RecordingURL = "https://api.twilio.com/rec/RE1"
	})
	if err := s.AddEvent(ctx, &dispatch.TicketEvent{TicketID: tk.ID, Kind: dispatch.EventMessage, Actor: "client",
		Channel: dispatch.ChannelSMS, Reason: "client wrote", Data: `{"text":"я дома, код домофона 45"}`}); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, &dispatch.Notification{Key: "k" + tk.Code, TicketID: &tk.ID, To: c.Phone,
		Body: "Волонтёр Ерлан приедет", Lang: dispatch.LangRU, Status: dispatch.NotifyDelivered}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveInbound(ctx, &dispatch.InboundMessage{MessageSID: "SM" + tk.Code, From: c.Phone,
		Body: "я дома", TicketID: &tk.ID}); err != nil {
		t.Fatal(err)
	}
	tk.Status = dispatch.StatusCompleted
	if err := s.UpdateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestRetentionRedactsOldClosedTickets(t *testing.T) {
	db, s, clk := newStore(t)
	ctx := context.Background()
	c := mustClient(t, s)
	old := closedWithData(t, db, s, c)
	other := mustClient(t, s)
	open := mustTicket(t, s, other.ID, func(tk *dispatch.Ticket) { tk.Description = "still open" })

	// an append-only timeline still refuses an ordinary update
	if _, err := postgres.RawDB(db).Exec(`UPDATE ticket_events SET reason = '' WHERE ticket_id = $1`, old.ID); err == nil ||
		!strings.Contains(err.Error(), "append-only") {
		t.Fatalf("plain update of ticket_events: %v", err)
	}
	if _, err := postgres.RawDB(db).Exec(`DELETE FROM ticket_events WHERE ticket_id = $1`, old.ID); err == nil {
		t.Fatal("delete of ticket_events allowed")
	}

	// a text from someone who is no client, on no ticket
	if err := s.SaveInbound(ctx, &dispatch.InboundMessage{MessageSID: "SMstray", From: phone(), Body: "кто это?"}); err != nil {
		t.Fatal(err)
	}
	clk.add(400 * 24 * time.Hour)
	r := dispatch.NewRetention(s, dispatch.RetentionOptions{Period: 365 * 24 * time.Hour, Now: clk.now, Batch: 1})
	res, err := r.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tickets != 1 || res.Clients != 1 || res.Messages != 1 {
		t.Fatalf("sweep = %+v, want 1 ticket (the open one stays) and 1 client", res)
	}
	got, err := s.Ticket(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "" || got.Address != "" || got.RecordingURL != "" ||
		got.Location == nil || got.Location.Lat != 51.12 || got.Location.Lon != 71.46 {
		t.Fatalf("redacted ticket: %+v %+v", got, got.Location)
	}
	if got.Status != dispatch.StatusCompleted || got.Category != old.Category {
		t.Fatalf("redaction changed what reports count: %+v", got)
	}
	for _, q := range []string{
		`SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND (reason <> '' OR data IS NOT NULL)`,
		`SELECT count(*) FROM notifications WHERE ticket_id = $1 AND body <> ''`,
		`SELECT count(*) FROM inbound_messages WHERE ticket_id = $1 AND body <> ''`,
	} {
		if n := count(t, db, q, old.ID); n != 0 {
			t.Errorf("%s: %d rows keep text", q, n)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM ticket_events WHERE ticket_id = $1`, old.ID); n == 0 {
		t.Fatal("the timeline's rows are gone; only their text should be")
	}
	if o, _ := s.Ticket(ctx, open.ID); o.Description != "still open" {
		t.Fatalf("open ticket redacted: %q", o.Description)
	}
	cl, err := s.Client(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cl.Name != "" || cl.Phone != dispatch.ClientPlaceholderPhone(c.ID) || strings.Contains(cl.Phone, c.Phone[2:]) {
		t.Fatalf("client not anonymised: %+v", cl)
	}
	if n := count(t, db, `SELECT count(*) FROM notifications WHERE to_phone = $1`, c.Phone) +
		count(t, db, `SELECT count(*) FROM inbound_messages WHERE from_phone = $1`, c.Phone); n != 0 {
		t.Fatalf("%d messages keep the phone", n)
	}
	if n := count(t, db, `SELECT count(*) FROM clients WHERE id = $1 AND name <> ''`, other.ID); n != 1 {
		t.Fatal("a client with an open ticket was anonymised")
	}
	// a second sweep finds nothing
	if res, err := r.Sweep(ctx); err != nil || res != (dispatch.SweepResult{}) {
		t.Fatalf("second sweep = %+v, %v", res, err)
	}
}

func TestEraseRefusedWhileOpen(t *testing.T) {
	db, s, _ := newStore(t)
	ctx := context.Background()
	c := mustClient(t, s)
	done := closedWithData(t, db, s, c)
	open := mustTicket(t, s, c.ID, nil)
	r := dispatch.NewRetention(s, dispatch.RetentionOptions{})
	wantCode(t, r.Erase(ctx, c.ID, "user:anna"), dispatch.ECONFLICT)
	if n := count(t, db, `SELECT count(*) FROM tickets WHERE id = $1 AND redacted_at IS NULL`, done.ID); n != 1 {
		t.Fatal("a refused erasure redacted a ticket")
	}
	open.Status = dispatch.StatusCancelled
	if err := s.UpdateTicket(ctx, open); err != nil {
		t.Fatal(err)
	}
	if err := r.Erase(ctx, c.ID, "user:anna"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM tickets WHERE client_id = $1 AND redacted_at IS NULL`, c.ID); n != 0 {
		t.Fatalf("%d tickets not redacted", n)
	}
	evs, err := s.Events(ctx, done.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != dispatch.EventErasure || last.Reason != "erased by user:anna" || last.Actor != "user:anna" {
		t.Fatalf("last event %+v", last)
	}
	wantCode(t, r.Erase(ctx, 999999, "user:anna"), dispatch.ENOTFOUND)
}

func TestConsentRecordedWithFirstTicket(t *testing.T) {
	db, s, _ := newStore(t)
	c := mustClient(t, s)
	if n := count(t, db, `SELECT count(*) FROM clients WHERE id = $1 AND consent_at IS NULL`, c.ID); n != 1 {
		t.Fatal("consent before any request")
	}
	tk := mustTicket(t, s, c.ID, func(tk *dispatch.Ticket) { tk.Channel = dispatch.ChannelWeb })
	mustTicket(t, s, c.ID, func(tk *dispatch.Ticket) { tk.Channel = dispatch.ChannelVoice })
	if n := count(t, db, `SELECT count(*) FROM clients WHERE id = $1 AND consent_channel = 'web' AND consent_at = $2`,
		c.ID, tk.CreatedAt); n != 1 {
		t.Fatal("consent not recorded from the first ticket's channel and time")
	}
}
