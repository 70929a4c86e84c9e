package integration

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

const smsHotline = "+77000000000"

// sendAll runs an outbox on the rig's database through a fake Twilio until
// the test ends.
func (g *smsRig) sendAll() *twiliotest.Server {
	g.t.Helper()
	fake := twiliotest.New(g.t)
	tw := notify.NewTwilio(notify.TwilioOptions{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		From: smsHotline, PublicBaseURL: "https://hotline.example.kz", APIBaseURL: fake.URL()})
	o := dispatch.NewOutbox(g.store, tw, nil, dispatch.OutboxOptions{Workers: 2, Tick: 10 * time.Millisecond,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(g.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = o.Run(ctx)
	}()
	g.t.Cleanup(func() { cancel(); wg.Wait() })
	return fake
}

// settled waits for the message with key to leave the queue and returns it.
func (g *smsRig) settled(key string) *dispatch.Notification {
	g.t.Helper()
	var n *dispatch.Notification
	g.eventually("message "+key+" sent or suppressed", func() bool {
		n = g.msg(key)
		return n != nil && n.Status != dispatch.NotifyQueued && n.Status != dispatch.NotifySending
	})
	return n
}

func TestSMSRelayBothWaysWithoutNumbers(t *testing.T) {
	g := newSMSRig(t)
	fake := g.sendAll()
	tk, v := g.offered(dispatch.LangRU)
	cl, err := g.store.Client(g.ctx, tk.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	g.text(v.Phone, "1")
	if got := g.get(tk.ID); got.Status != dispatch.StatusAssigned {
		t.Fatalf("not assigned: %s", got.Status)
	}
	noNumbers := func(n *dispatch.Notification) {
		t.Helper()
		if strings.Contains(n.Body, cl.Phone) || strings.Contains(n.Body, v.Phone) ||
			strings.Contains(n.Body, cl.Phone[1:]) || strings.Contains(n.Body, v.Phone[1:]) {
			t.Errorf("relayed text shows a number: %q", n.Body)
		}
	}

	sid := g.text(cl.Phone, "Подъезд 3, домофон 12")
	n := g.settled("relay:" + sid)
	if n.To != v.Phone || n.Template != "relay.from_client" || !strings.Contains(n.Body, "домофон 12") || !strings.Contains(n.Body, tk.Code) {
		t.Fatalf("client to volunteer: %+v", n)
	}
	noNumbers(n)

	for _, body := range []string{"Буду через 10 минут", "да, синяя дверь?"} {
		sid = g.text(v.Phone, body)
		n = g.settled("relay:" + sid)
		if n.To != cl.Phone || n.Template != "relay.from_volunteer" || !strings.Contains(n.Body, body) {
			t.Fatalf("volunteer to client (%q): %+v", body, n)
		}
		noNumbers(n)
	}
	if !g.timeline(tk.ID, "домофон 12") || !g.timeline(tk.ID, "Буду через 10 минут") {
		t.Error("relayed texts are not on the timeline")
	}
	// What the phones received came from the hotline's number. (The
	// volunteer.assigned text gives the volunteer the client's number on
	// purpose; the relay never does, either way.)
	relayed := 0
	for _, m := range fake.Messages() {
		if m.From != smsHotline {
			t.Errorf("message to %s sent from %s", dispatch.MaskPhone(m.To), m.From)
		}
		if nfyContains(m.Body, "домофон", "Буду", "синяя") {
			relayed++
			if nfyContains(m.Body, cl.Phone, v.Phone, cl.Phone[1:], v.Phone[1:]) {
				t.Errorf("a relayed text shows a number: %q", m.Body)
			}
		}
	}
	if relayed != 3 {
		t.Errorf("%d relayed texts reached the phones, want 3", relayed)
	}

	// Done, rated, and the relay is closed.
	g.text(v.Phone, "3")
	if got := g.get(tk.ID); got.Status != dispatch.StatusCompleted {
		t.Fatalf("not completed: %s", got.Status)
	}
	sid = g.text(cl.Phone, "5")
	if tpl := g.template("reply:" + sid); tpl != "client.thanks" {
		t.Errorf("reply to a rating: %q", tpl)
	}
	if evs := g.events(tk.ID, "rating"); len(evs) != 1 || !strings.Contains(strings.ReplaceAll(evs[0].Data, " ", ""), `"rating":5`) {
		t.Errorf("rating events %+v", evs)
	}
	sid = g.text(cl.Phone, "Спасибо большое, передайте ей привет")
	if n := g.msg("reply:" + sid); n == nil || n.Template != "relay.closed" || n.To != cl.Phone {
		t.Errorf("client's text after the end: %+v", n)
	}
	if g.msg("relay:"+sid) != nil {
		t.Error("a text after the end was relayed")
	}
	sid = g.text(v.Phone, "как всё прошло?")
	if g.msg("relay:"+sid) != nil || g.template("reply:"+sid) != "volunteer.help" {
		t.Errorf("volunteer's text after the end: relay %+v, reply %q", g.msg("relay:"+sid), g.template("reply:"+sid))
	}

	// The relay told them once; the next text is a new request.
	g.text(cl.Phone, "Нужна помощь с продуктами в пятницу")
	ts, _, err := g.store.Tickets(g.ctx, dispatch.TicketFilter{ClientID: &cl.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Channel != dispatch.ChannelSMS || !strings.Contains(ts[0].Description, "продуктами") {
		t.Fatalf("client's tickets after a new request: %d", len(ts))
	}
}

func TestSMSStopSuppressesEverythingUntilStart(t *testing.T) {
	g := newSMSRig(t)
	fake := g.sendAll()
	tk, v := g.offered(dispatch.LangKK)
	g.settled(g.notes(tk.ID, "volunteer.offer")[0].Key)
	cl, err := g.store.Client(g.ctx, tk.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []struct {
		phone, stop, start, role string
	}{{v.Phone, "STOP", "START", "volunteer"}, {cl.Phone, "стоп", "Старт", "client"}} {
		sid := g.text(who.phone, who.stop)
		if n := g.settled("reply:" + sid); n.Template != who.role+".stopped" || n.Status != dispatch.NotifySent {
			t.Fatalf("%s STOP confirmation: %+v", who.role, n)
		}
		before := len(fake.MessagesTo(who.phone))
		id := tk.ID
		for _, key := range []string{"after-stop-1:" + who.role, "after-stop-2:" + who.role} {
			if err := dispatch.QueueMessage(g.ctx, g.store, g.msgs, key, who.phone, dispatch.LangKK, &id, "client.help", nil); err != nil {
				t.Fatal(err)
			}
			if n := g.settled(key); n.Status != dispatch.NotifySuppressed {
				t.Errorf("%s: message after STOP is %s", who.role, n.Status)
			}
		}
		// Texts they send are still read: HELP answers nothing either.
		sid = g.text(who.phone, "HELP")
		if n := g.settled("reply:" + sid); n.Status != dispatch.NotifySuppressed {
			t.Errorf("%s: HELP reply after STOP is %s", who.role, n.Status)
		}
		if after := len(fake.MessagesTo(who.phone)); after != before {
			t.Errorf("%s: %d messages reached the phone after STOP", who.role, after-before)
		}
		sid = g.text(who.phone, who.start)
		if n := g.settled("reply:" + sid); n.Template != who.role+".started" || n.Status != dispatch.NotifySent {
			t.Fatalf("%s START confirmation: %+v", who.role, n)
		}
		key := "after-start:" + who.role
		if err := dispatch.QueueMessage(g.ctx, g.store, g.msgs, key, who.phone, dispatch.LangKK, &id, "client.help", nil); err != nil {
			t.Fatal(err)
		}
		if n := g.settled(key); n.Status != dispatch.NotifySent {
			t.Errorf("%s: message after START is %s", who.role, n.Status)
		}
	}
	if got, _ := g.store.Volunteer(g.ctx, v.ID); got.OptedOut {
		t.Error("volunteer still opted out after START")
	}
	suppressed := 0
	for _, ev := range g.events(tk.ID, dispatch.EventDelivery) {
		if strings.Contains(ev.Reason, "suppressed") {
			suppressed++
		}
	}
	if suppressed != 4 {
		t.Errorf("%d suppressed messages on the ticket's timeline, want 4", suppressed)
	}
}

func TestSMSStrangerStopIsKept(t *testing.T) {
	g := newSMSRig(t)
	fake := g.sendAll()
	stranger := g.phone()
	sid := g.text(stranger, "Stop")
	if n := g.settled("reply:" + sid); n.Template != "client.stopped" || n.Status != dispatch.NotifySent {
		t.Fatalf("STOP confirmation: %+v", n)
	}
	cl, err := g.store.ClientByPhone(g.ctx, stranger)
	if err != nil || !cl.OptedOut {
		t.Fatalf("stranger after STOP: %+v, %v", cl, err)
	}
	// Their later request is taken, but nothing is texted until START.
	g.text(stranger, "Нужна помощь донести продукты")
	ts, _, err := g.store.Tickets(g.ctx, dispatch.TicketFilter{ClientID: &cl.ID})
	if err != nil || len(ts) != 1 {
		t.Fatalf("tickets %d, %v", len(ts), err)
	}
	received := g.notes(ts[0].ID, "client.received")
	if len(received) != 1 || g.settled(received[0].Key).Status != dispatch.NotifySuppressed {
		t.Fatalf("client.received after STOP: %+v", received)
	}
	if n := len(fake.MessagesTo(stranger)); n != 1 {
		t.Errorf("%d messages reached the stranger, want only the STOP confirmation", n)
	}
	// A sender that is no phone number (a short code) is answered, not kept.
	g.text("INFO", "STOP")
	if _, err := g.store.ClientByPhone(g.ctx, "INFO"); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Errorf("a short code became a client: %v", err)
	}
}
