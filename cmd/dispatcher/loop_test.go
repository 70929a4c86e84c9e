package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// TestWholeLoopBySMS drives the wired service as Twilio would: a text from a
// stranger becomes a ticket, the nearest volunteer is offered it by SMS (the
// simulator driver), accepts by texting 1, gets the client's details only
// then, and reports done with 3.
func TestWholeLoopBySMS(t *testing.T) {
	m := startMain(t, map[string]string{"OFFER_BATCH": "1"})
	ctx := context.Background()

	astana := dispatch.Location{Lat: 51.1694, Lon: 71.4491}
	near := &dispatch.Volunteer{Name: "Айгерим Нурланова", Phone: "+77015550001", Languages: []dispatch.Lang{dispatch.LangKK, dispatch.LangRU},
		Location: &dispatch.Location{Lat: astana.Lat + 0.005, Lon: astana.Lon}, Available: true, MaxTasks: 1}
	far := &dispatch.Volunteer{Name: "Сергей Петров", Phone: "+77015550002", Languages: []dispatch.Lang{dispatch.LangRU},
		Location: &dispatch.Location{Lat: astana.Lat + 0.05, Lon: astana.Lon}, Available: true, MaxTasks: 1}
	for _, v := range []*dispatch.Volunteer{near, far} {
		if err := m.Store.CreateVolunteer(ctx, v); err != nil {
			t.Fatal(err)
		}
		if err := m.Engine.SetAvailable(ctx, v.ID, true, dispatch.ActorSystem); err != nil {
			t.Fatal(err)
		}
	}
	client := &dispatch.Client{Phone: "+77025550009", Name: "Мария Иванова", Lang: dispatch.LangRU, Location: &astana,
		Address: "Астана, ул. Абая, 10"}
	if err := m.Store.CreateClient(ctx, client); err != nil {
		t.Fatal(err)
	}

	sms := func(from, body, sid string) {
		resp := postTwilio(t, m, "/twilio/sms", url.Values{"From": {from}, "To": {m.Config.TwilioFromNumber}, "Body": {body}, "MessageSid": {sid}})
		if resp.StatusCode != 200 {
			t.Fatalf("sms %q: status %d", body, resp.StatusCode)
		}
	}
	sms(client.Phone, "Нужно купить продукты и лекарства", "SM00000000000000000000000000000001")

	var ticket *dispatch.Ticket
	defer func() {
		if t.Failed() && ticket != nil {
			evs, _ := m.Store.Events(ctx, ticket.ID)
			t.Logf("ticket %d is %s (%s): %s", ticket.ID, ticket.Status, ticket.Reason, dumpEvents(evs))
		}
	}()
	eventually(t, "the ticket offered", func() bool {
		ts, _, err := m.Store.Tickets(ctx, dispatch.TicketFilter{ClientID: &client.ID})
		if err != nil || len(ts) != 1 {
			return false
		}
		ticket = ts[0]
		return ticket.Status == dispatch.StatusOffered
	})
	sentTo := func(phone string) []*dispatch.Notification {
		ns, err := m.Store.Notifications(ctx, ticket.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []*dispatch.Notification
		for _, n := range ns {
			if n.To == phone {
				out = append(out, n)
			}
		}
		return out
	}
	eventually(t, "the offer sent to the nearest volunteer", func() bool {
		for _, n := range sentTo(near.Phone) {
			if n.Template == "volunteer.offer" && n.Status == dispatch.NotifyDelivered {
				return true
			}
		}
		return false
	})
	if got := sentTo(far.Phone); len(got) != 0 {
		t.Fatalf("the farther volunteer was offered too with OFFER_BATCH=1: %+v", got)
	}
	for _, n := range sentTo(near.Phone) {
		for _, secret := range []string{client.Name, client.Phone, "Абая"} {
			if strings.Contains(n.Body, secret) {
				t.Fatalf("offer leaks %q before acceptance: %s", secret, n.Body)
			}
		}
	}

	sms(near.Phone, "1 буду через 20 минут", "SM00000000000000000000000000000002")
	eventually(t, "the ticket assigned", func() bool {
		tk, err := m.Store.Ticket(ctx, ticket.ID)
		return err == nil && tk.Status == dispatch.StatusAssigned && tk.VolunteerID != nil && *tk.VolunteerID == near.ID
	})
	eventually(t, "the volunteer told the client's details, and the client told who comes", func() bool {
		gotDetails := false
		for _, n := range sentTo(near.Phone) {
			if n.Template == "volunteer.assigned" && strings.Contains(n.Body, client.Phone) {
				gotDetails = true
			}
		}
		gotClient := false
		for _, n := range sentTo(client.Phone) {
			if n.Template == "client.assigned" {
				gotClient = true
			}
		}
		return gotDetails && gotClient
	})
	evs, err := m.Store.Events(ctx, ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !hasEventText(evs, "буду через 20 минут") {
		t.Errorf("the note after the command is not on the timeline: %s", dumpEvents(evs))
	}

	sms(near.Phone, "3", "SM00000000000000000000000000000003")
	eventually(t, "the ticket completed", func() bool {
		tk, err := m.Store.Ticket(ctx, ticket.ID)
		return err == nil && tk.Status == dispatch.StatusCompleted
	})
}

func hasEventText(evs []*dispatch.TicketEvent, s string) bool {
	for _, e := range evs {
		if strings.Contains(e.Reason, s) || strings.Contains(e.Data, s) {
			return true
		}
	}
	return false
}

func dumpEvents(evs []*dispatch.TicketEvent) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  %s %s→%s %s %q %s", e.Kind, e.From, e.To, e.Actor, e.Reason, e.Data)
	}
	return b.String()
}
