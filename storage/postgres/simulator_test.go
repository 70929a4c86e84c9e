package postgres_test

import (
	"context"
	"testing"
)

// The simulator lists every outgoing message, newest first, whatever its
// state, with the ticket it belongs to; and every received text.
func TestRecentMessages(t *testing.T) {
	store, raw := reportDB(t)
	seedReport(t, raw)
	mustExec(t, raw, `INSERT INTO notifications (key, ticket_id, to_phone, body, template, lang, status, provider_sid)
		VALUES ('a', 1, '+77010000001', 'first', 'ticket.created', 'ru', 'sent', 'SIM1'),
		       ('b', NULL, '+77020000001', 'second <b>', 'offer', 'kk', 'queued', NULL),
		       ('c', 3, '+77010000001', 'third', 'assigned', 'en', 'failed', NULL)`)
	mustExec(t, raw, `INSERT INTO inbound_messages (message_sid, from_phone, body, ticket_id)
		VALUES ('SM1', '+77010000001', 'help', 1), ('SM2', '+77020000001', 'YES', NULL)`)
	ctx := context.Background()
	out, err := store.RecentNotifications(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Key != "c" || out[1].Key != "b" {
		t.Fatalf("notifications %+v, want c then b (newest first, limit 2)", out)
	}
	if out[0].TicketID == nil || *out[0].TicketID != 3 || out[0].Status != "failed" || out[0].Lang != "en" {
		t.Errorf("c = %+v", out[0])
	}
	if out[1].TicketID != nil || out[1].Body != "second <b>" || out[1].Template != "offer" || out[1].ProviderSID != "" {
		t.Errorf("b = %+v", out[1])
	}
	in, err := store.RecentInbound(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 || in[0].MessageSID != "SM2" || in[0].TicketID != nil || in[1].TicketID == nil || *in[1].TicketID != 1 {
		t.Errorf("inbound %+v", in)
	}
}
