package integration

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// A dispatcher adds a volunteer (a bad phone is refused, keeping what was
// typed), finds them by search and filters, edits and pauses them, and sees
// their current task and the hours they served.
func TestConsoleVolunteers(t *testing.T) {
	g := newConRig(t)
	b := g.login(dispatch.RoleDispatcher)
	form := url.Values{"name": {"Нұржан <Test>"}, "phone": {"call me"}, "languages": {"kk", "ru"},
		"skills": {"car"}, "max_tasks": {"2"}, "lat": {"51.18"}, "lon": {"71.42"}, "available": {"yes"}}
	status, body := b.form("/console/volunteers", form)
	if status != http.StatusBadRequest || !strings.Contains(body, "phone") || !strings.Contains(body, `value="Нұржан &lt;Test&gt;"`) {
		t.Fatalf("bad phone: %d, want 400 naming the phone and keeping the name", status)
	}
	form.Set("phone", "+77071112233")
	if status, _ := b.form("/console/volunteers", form); status != http.StatusSeeOther {
		t.Fatalf("create: %d", status)
	}
	v, err := g.store.VolunteerByPhone(g.ctx, "+77071112233")
	if err != nil || v.Name != "Нұржан <Test>" || v.MaxTasks != 2 || !v.HasSkill(dispatch.SkillCar) || !v.SpeaksAny(dispatch.LangKK) ||
		v.Location == nil || !v.Available {
		t.Fatalf("created %+v, %v", v, err)
	}
	other := g.volunteer("Ольга")

	for q, want := range map[string]bool{"?q=Нұржан": true, "?skill=car": true, "?skill=medical": false,
		"?language=kk": true, "?available=no": false, "?q=7071112233": true} {
		_, body := b.get("/console/volunteers" + q)
		if got := strings.Contains(body, "Нұржан &lt;Test&gt;"); got != want {
			t.Errorf("volunteers%s lists him: %v, want %v", q, got, want)
		}
	}
	if _, body := b.get("/console/volunteers?q=Ольга"); !strings.Contains(body, `id="volunteers"`) || !strings.Contains(body, "Ольга") {
		t.Error("search by name does not find Ольга")
	}

	base := "/console/volunteers/" + strconv.FormatInt(v.ID, 10)
	form.Set("name", "Нұржан")
	form.Set("max_tasks", "30")
	if status, body := b.form(base, form); status != http.StatusBadRequest || !strings.Contains(body, "max tasks") {
		t.Fatalf("max_tasks 30: %d", status)
	}
	form.Set("max_tasks", "3")
	if status, _ := b.form(base, form); status != http.StatusSeeOther {
		t.Fatalf("edit: %d", status)
	}
	if status, _ := b.form(base+"/pause", nil); status != http.StatusSeeOther {
		t.Fatalf("pause: %d", status)
	}
	v, _ = g.store.Volunteer(g.ctx, v.ID)
	if v.Name != "Нұржан" || v.MaxTasks != 3 || v.Available {
		t.Fatalf("after edit and pause: %+v", v)
	}

	// One completed task of 90 minutes and one current task.
	done := g.ticket("shopping")
	assigned := time.Now().Add(-3 * time.Hour)
	completed := assigned.Add(90 * time.Minute)
	done.Status, done.VolunteerID, done.AssignedAt, done.CompletedAt = dispatch.StatusCompleted, &v.ID, &assigned, &completed
	now := g.ticket("escort")
	now.Status, now.VolunteerID, now.AssignedAt = dispatch.StatusAssigned, &v.ID, &assigned
	for _, tk := range []*dispatch.Ticket{done, now} {
		if err := g.store.UpdateTicket(g.ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	_, body = b.get(base + "?lang=en")
	if !strings.Contains(body, `<dd id="volunteer-hours">1.5 (1 tasks completed)</dd>`) {
		t.Errorf("hours served missing or wrong")
	}
	if !strings.Contains(body, now.Code) || strings.Contains(body, ">"+done.Code+"<") {
		t.Errorf("current tasks should list %s only", now.Code)
	}
	if !strings.Contains(body, "paused") {
		t.Error("the pause is not shown in words")
	}
	if status, _ := b.form(base+"/resume", nil); status != http.StatusSeeOther {
		t.Fatalf("resume: %d", status)
	}
	if v, _ = g.store.Volunteer(g.ctx, v.ID); !v.Available {
		t.Error("resume did not make the volunteer available")
	}
	_ = other
}

func TestConsoleClients(t *testing.T) {
	g := newConRig(t)
	tk := g.ticket("help")
	b := g.login(dispatch.RoleDispatcher)
	if _, body := b.get("/console/clients?q=Айгерим"); !strings.Contains(body, `id="clients"`) || !strings.Contains(body, "Айгерим") {
		t.Fatal("the client is not listed")
	}
	base := "/console/clients/" + strconv.FormatInt(tk.ClientID, 10)
	if status, body := b.form(base, url.Values{"name": {"Айгерим С."}, "language": {"xx"}}); status != http.StatusBadRequest || !strings.Contains(body, "language") {
		t.Fatalf("bad language: %d", status)
	}
	if status, _ := b.form(base, url.Values{"name": {"Айгерим С."}, "language": {"kk"}, "needs": {"wheelchair", "elderly"},
		"address": {"ул. Сарыарка 5"}, "notes": {"звонить после 10"}}); status != http.StatusSeeOther {
		t.Fatalf("edit: %d", status)
	}
	c, _ := g.store.Client(g.ctx, tk.ClientID)
	if c.Name != "Айгерим С." || c.Lang != dispatch.LangKK || len(c.Needs) != 2 || c.Notes != "звонить после 10" {
		t.Fatalf("after edit: %+v", c)
	}
	if _, body := b.get(base); !strings.Contains(body, tk.Code) {
		t.Error("the client's page does not list their ticket")
	}
}
