package integration

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// consultation creates a consultation as intake leaves it: escalated for a
// consultant, with no location.
func (g *conRig) consultation(cat dispatch.Category, desc string) *dispatch.Ticket {
	g.t.Helper()
	c := &dispatch.Client{Phone: g.phone(), Name: "Гүлнар", Lang: dispatch.LangKK}
	if err := g.store.CreateClient(g.ctx, c); err != nil {
		g.t.Fatal(err)
	}
	tk := &dispatch.Ticket{Channel: dispatch.ChannelWeb, Category: cat, Description: desc, Lang: dispatch.LangKK,
		Urgency: dispatch.UrgencyNormal, Status: dispatch.StatusEscalated, Reason: dispatch.ReasonConsultation, ClientID: c.ID}
	if err := g.store.CreateTicket(g.ctx, tk); err != nil {
		g.t.Fatal(err)
	}
	return tk
}

func completePath(id int64) string {
	return "/console/consultations/" + strconv.FormatInt(id, 10) + "/complete"
}

// The consultants' page lists open consultations, oldest first, and no
// volunteer task, even an escalated one; a viewer sees it without the
// answer form.
func TestConsoleConsultationsListOnlyConsultations(t *testing.T) {
	g := newConRig(t)
	first := g.consultation(dispatch.CategoryLegal, "мұрагерлік туралы сұрақ")
	second := g.consultation(dispatch.CategoryBenefits, "жәрдемақы қалай алуға болады")
	normal := g.ticket("нужны продукты")
	if _, err := g.engine.Escalate(g.ctx, normal.ID, "user:admin", "no volunteer nearby"); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"kk", "ru", "en"} {
		vw := g.login(dispatch.RoleViewer)
		status, body := vw.get("/console/consultations?lang=" + lang)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", lang, status)
		}
		i, j := strings.Index(body, first.Code), strings.Index(body, second.Code)
		if i < 0 || j < 0 || i > j {
			t.Fatalf("%s: consultations missing or not oldest first (%d, %d)", lang, i, j)
		}
		if strings.Contains(body, normal.Code) || strings.Contains(body, "нужны продукты") {
			t.Fatalf("%s: a volunteer task is listed as a consultation", lang)
		}
		if !strings.Contains(body, "/console/tickets/"+strconv.FormatInt(first.ID, 10)) || strings.Contains(body, completePath(first.ID)) {
			t.Fatalf("%s: no link to the ticket, or a viewer is offered the answer form", lang)
		}
		if strings.Contains(body, "consult.") {
			t.Fatalf("%s: an untranslated key on the page", lang)
		}
	}
}

// A dispatcher marks a consultation answered: the ticket is completed with
// an audit event naming the consultant, and it leaves the list. A viewer
// cannot (403), and a volunteer task cannot be completed this way (409).
func TestConsoleConsultationCompleted(t *testing.T) {
	g := newConRig(t)
	tk := g.consultation(dispatch.CategoryHousing, "пәтер кезегі")
	vw := g.login(dispatch.RoleViewer)
	if status, _ := vw.form(completePath(tk.ID), nil); status != http.StatusForbidden {
		t.Fatalf("viewer completes: %d, want 403", status)
	}
	d := g.login(dispatch.RoleDispatcher)
	normal := g.ticket("нужны продукты")
	if status, _ := d.form(completePath(normal.ID), nil); status != http.StatusConflict {
		t.Fatalf("completing a volunteer task here: %d, want 409", status)
	}
	if got, _ := g.store.Ticket(g.ctx, normal.ID); got.Status != dispatch.StatusQueued {
		t.Fatalf("the volunteer task moved to %s", got.Status)
	}

	status, body := d.form(completePath(tk.ID), map[string][]string{"note": {"кеңес берілді"}})
	if status != http.StatusSeeOther {
		t.Fatalf("complete: %d\n%s", status, body)
	}
	got, err := g.store.Ticket(g.ctx, tk.ID)
	if err != nil || got.Status != dispatch.StatusCompleted || got.CompletedAt == nil {
		t.Fatalf("after answering: %+v (%v)", got, err)
	}
	evs, err := g.store.Events(g.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var transition, note bool
	for _, e := range evs {
		if e.Kind == dispatch.EventTransition && e.To == dispatch.StatusCompleted && e.From == dispatch.StatusEscalated &&
			e.Actor == "user:dispatcher" && e.Reason == "answered by consultant user:dispatcher" {
			transition = true
		}
		if e.Kind == dispatch.EventNote && e.Reason == "кеңес берілді" {
			note = true
		}
	}
	if !transition || !note {
		t.Fatalf("audit events %+v lack the answer (transition %v, note %v)", evs, transition, note)
	}
	if _, body := d.get("/console/consultations"); strings.Contains(body, tk.Code) {
		t.Fatal("an answered consultation is still listed")
	}
	// Answered twice (a second tab): the state machine refuses.
	if status, _ := d.form(completePath(tk.ID), nil); status != http.StatusConflict {
		t.Fatalf("completing twice: %d, want 409", status)
	}
}
