package integration

import (
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// TestSMSVolunteerCommandsInEachLanguage walks a ticket from offer to done
// by texts in each language and script, declines a second one, and checks
// that notes reach the timeline and unknown text gets help.
func TestSMSVolunteerCommandsInEachLanguage(t *testing.T) {
	tests := []struct {
		lang                                  dispatch.Lang
		accept, onway, done, note, decline, x string
	}{
		{dispatch.LangKK, "Иә, 20 минутта", "Жолдамын", "Дайын, сөмкелерді көршіге қалдырдым", "сөмкелерді көршіге қалдырдым", "Жоқ", "сәлем"},
		{dispatch.LangKK, "iá", "joldamyn", "daiyn: bári jaqsy", "bári jaqsy", "joq", "qalaisyz"},
		{dispatch.LangRU, "ДА, буду через 20 минут", "выехал", "Готово, оставил пакеты у соседки", "оставил пакеты у соседки", "нет", "привет"},
		{dispatch.LangEN, "yes", "on my way", "done, left the bags with the neighbour", "left the bags with the neighbour", "No", "hello there"},
		{dispatch.LangEN, "1", "4", "3 all good", "all good", "2", "what?"},
	}
	for _, tt := range tests {
		t.Run(string(tt.lang)+" "+tt.accept, func(t *testing.T) {
			g := newSMSRig(t)
			tk, v := g.offered(tt.lang)
			g.text(v.Phone, tt.accept)
			if got := g.get(tk.ID); got.Status != dispatch.StatusAssigned || got.VolunteerID == nil || *got.VolunteerID != v.ID {
				t.Fatalf("after %q: %s", tt.accept, got.Status)
			}
			if n := g.notes(tk.ID, "volunteer.assigned"); len(n) != 1 || n[0].To != v.Phone || n[0].Lang != tt.lang {
				t.Fatalf("assigned message: %+v", n)
			}
			g.text(v.Phone, tt.onway)
			if got := g.get(tk.ID); got.Status != dispatch.StatusInProgress {
				t.Fatalf("after %q: %s", tt.onway, got.Status)
			}
			g.text(v.Phone, tt.done)
			if got := g.get(tk.ID); got.Status != dispatch.StatusCompleted {
				t.Fatalf("after %q: %s", tt.done, got.Status)
			}
			if !g.timeline(tk.ID, tt.note) {
				t.Errorf("the note %q is not on the timeline", tt.note)
			}
			if len(g.notes(tk.ID, "client.done")) != 1 {
				t.Errorf("the client was not asked to confirm")
			}

			// Nothing to do now: unknown text gets help in the language.
			sid := g.text(v.Phone, tt.x)
			if n := g.msg("reply:" + sid); n == nil || n.Template != "volunteer.help" || n.To != v.Phone {
				t.Errorf("reply to %q: %+v", tt.x, n)
			}

			// A second ticket, declined.
			tk2 := g.ticket(func(t *dispatch.Ticket) { t.Lang = tt.lang })
			if got := g.handle(g.eng, tk2.ID); got.Status != dispatch.StatusOffered {
				t.Fatalf("second ticket %s", got.Status)
			}
			g.text(v.Phone, tt.decline)
			if offers := g.offers(tk2.ID); len(offers[dispatch.OfferDeclined]) != 1 || offers[dispatch.OfferDeclined][0] != v.ID {
				t.Errorf("after %q the offers are %v", tt.decline, offers)
			}
		})
	}
}

func TestSMSSeveralOffersAskWhichCode(t *testing.T) {
	g := newSMSRig(t)
	v := g.volunteer("Данияр", 1, nil)
	a := g.ticket(nil)
	b := g.ticket(nil)
	g.handle(g.eng, a.ID)
	g.handle(g.eng, b.ID)
	a, b = g.get(a.ID), g.get(b.ID)
	if a.Status != dispatch.StatusOffered || b.Status != dispatch.StatusOffered {
		t.Fatalf("tickets %s %s, want both offered", a.Status, b.Status)
	}
	sid := g.text(v.Phone, "да")
	n := g.msg("reply:" + sid)
	if n == nil || n.Template != "volunteer.which_code" || !nfyContains(n.Body, a.Code) || !nfyContains(n.Body, b.Code) {
		t.Fatalf("reply to a bare yes with two offers: %+v", n)
	}
	if g.get(a.ID).Status != dispatch.StatusOffered || g.get(b.ID).Status != dispatch.StatusOffered {
		t.Fatal("a bare yes with two offers accepted one")
	}
	// The code as a person types it: Cyrillic look-alikes, no dash.
	g.text(v.Phone, "1 "+toCyrillicCode(b.Code))
	if got := g.get(b.ID); got.Status != dispatch.StatusAssigned {
		t.Fatalf("after 1 %s: %s", b.Code, got.Status)
	}
	// The other offer was withdrawn when the volunteer became full, or is
	// still open: either way accepting it now is refused, with a reply.
	sid = g.text(v.Phone, "1 "+a.Code)
	if got := g.get(a.ID); got.Status == dispatch.StatusAssigned {
		t.Fatal("a volunteer with one slot got two tasks")
	}
	if tpl := g.template("reply:" + sid); tpl != "volunteer.taken" {
		t.Errorf("reply to accepting a second task: %q", tpl)
	}
}

// toCyrillicCode writes a code's letters with their Cyrillic twins and
// drops the dash, as a volunteer on a Cyrillic keyboard would.
func toCyrillicCode(code string) string {
	tw := map[rune]rune{'A': 'а', 'E': 'е', 'K': 'к', 'M': 'м', 'H': 'н', 'O': 'о', 'P': 'р', 'C': 'с', 'T': 'т', 'X': 'х'}
	var out []rune
	for _, r := range code {
		if c, ok := tw[r]; ok {
			out = append(out, c)
		} else if r != '-' {
			out = append(out, r)
		}
	}
	return string(out)
}

func TestSMSRepeatedMessageSidDoesNothing(t *testing.T) {
	g := newSMSRig(t)
	tk, v := g.offered(dispatch.LangRU)
	m := &dispatch.InboundMessage{MessageSID: "SMretried", From: v.Phone, Body: "2"}
	for i := 0; i < 3; i++ {
		if err := g.conv.HandleSMS(g.ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if offers := g.offers(tk.ID); len(offers[dispatch.OfferDeclined]) != 1 {
		t.Fatalf("offers %v", offers)
	}
	if n := len(g.events(tk.ID, dispatch.EventOffer)); n == 0 {
		t.Fatal("no offer events")
	}
}

func TestSMSPauseAndResume(t *testing.T) {
	g := newSMSRig(t)
	v := g.volunteer("Асель", 1, nil)
	sid := g.text(v.Phone, "пауза")
	if got, _ := g.store.Volunteer(g.ctx, v.ID); got.Available {
		t.Fatal("still available after пауза")
	}
	if tpl := g.template("reply:" + sid); tpl != "volunteer.paused" {
		t.Fatalf("reply %q", tpl)
	}
	sid = g.text(v.Phone, "6")
	if got, _ := g.store.Volunteer(g.ctx, v.ID); !got.Available {
		t.Fatal("not available after 6")
	}
	if tpl := g.template("reply:" + sid); tpl != "volunteer.resumed" {
		t.Fatalf("reply %q", tpl)
	}
}

func TestSMSTwoTasksAskWhichCode(t *testing.T) {
	g := newSMSRig(t)
	v := g.volunteer("Ерлан", 1, func(v *dispatch.Volunteer) { v.MaxTasks = 2 })
	a, b := g.ticket(nil), g.ticket(nil)
	g.handle(g.eng, a.ID)
	g.handle(g.eng, b.ID)
	a, b = g.get(a.ID), g.get(b.ID)
	g.text(v.Phone, "да "+a.Code)
	g.text(v.Phone, "да "+b.Code)
	if g.get(a.ID).Status != dispatch.StatusAssigned || g.get(b.ID).Status != dispatch.StatusAssigned {
		t.Fatalf("tickets %s %s, want both assigned", g.get(a.ID).Status, g.get(b.ID).Status)
	}
	sid := g.text(v.Phone, "готово")
	if n := g.msg("reply:" + sid); n == nil || n.Template != "volunteer.which_code" || !nfyContains(n.Body, a.Code) {
		t.Fatalf("done with two tasks: %+v", n)
	}
	// Free text is not relayed either: with two tasks it has no one address.
	if g.msg("relay:"+sid) != nil {
		t.Fatal("relayed with two tasks")
	}
	g.text(v.Phone, "готово "+b.Code+", всё отдал")
	if g.get(b.ID).Status != dispatch.StatusCompleted || g.get(a.ID).Status != dispatch.StatusAssigned {
		t.Fatalf("after done %s: %s and %s", b.Code, g.get(b.ID).Status, g.get(a.ID).Status)
	}
	if !g.timeline(b.ID, "всё отдал") {
		t.Error("the note is not on the timeline")
	}
	sid = g.text(v.Phone, "где вы?")
	if n := g.msg("relay:" + sid); n == nil || n.Template != "relay.from_volunteer" {
		t.Fatalf("free text with one task left: %+v", n)
	}
}
