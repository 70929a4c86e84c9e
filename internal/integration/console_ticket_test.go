package integration

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Text from a caller is stored exactly and shown escaped: a <script> never
// runs in a dispatcher's browser and SQL in it is only text.
func TestConsoleEscapesTicketText(t *testing.T) {
	g := newConRig(t)
	const evil = `<script>alert("x")</script> '; DROP TABLE tickets; --`
	tk := g.ticket(evil)
	tk.Address = `<img src=x onerror=alert(1)>`
	if err := g.store.UpdateTicket(g.ctx, tk); err != nil {
		t.Fatal(err)
	}
	got, err := g.store.Ticket(g.ctx, tk.ID)
	if err != nil || got.Description != evil || got.Address != tk.Address {
		t.Fatalf("stored %q / %q, %v", got.Description, got.Address, err)
	}
	b := g.login(dispatch.RoleDispatcher)
	for _, path := range []string{"/console/tickets/" + strconv.FormatInt(tk.ID, 10), "/console", "/console/tickets/" + strconv.FormatInt(tk.ID, 10) + "/row"} {
		status, body := b.get(path)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", path, status)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s shows the text unescaped", path)
		}
		if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s does not show the address as text", path)
		}
		if path == "/console/tickets/"+strconv.FormatInt(tk.ID, 10) &&
			!strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &#39;; DROP TABLE tickets; --`) {
			t.Errorf("the ticket page does not show the description exactly, escaped")
		}
	}
}

// The ticket page's forms drive the real engine: escalate (a reason is
// required), de-escalate, edit, and assign to a chosen volunteer.
func TestConsoleTicketActions(t *testing.T) {
	g := newConRig(t)
	tk := g.ticket("нужны продукты")
	v := g.volunteer("Данияр")
	b := g.login(dispatch.RoleDispatcher)
	base := "/console/tickets/" + strconv.FormatInt(tk.ID, 10)

	status, body := b.form(base+"/escalate", url.Values{"reason": {""}})
	if status != http.StatusBadRequest || !strings.Contains(body, "reason") || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("escalate without a reason: %d", status)
	}
	if status, _ := b.form(base+"/escalate", url.Values{"reason": {"client asks for a call"}}); status != http.StatusSeeOther {
		t.Fatalf("escalate: %d", status)
	}
	if got, _ := g.store.Ticket(g.ctx, tk.ID); got.Status != dispatch.StatusEscalated {
		t.Fatalf("status %s, want escalated", got.Status)
	}
	// The queue names the reason in text, not by colour alone.
	if _, body := b.get("/console"); !strings.Contains(body, "client asks for a call") {
		t.Error("the queue does not show the escalation reason")
	}
	if status, _ := b.form(base+"/deescalate", nil); status != http.StatusSeeOther {
		t.Fatalf("deescalate: %d", status)
	}

	status, body = b.form(base+"/edit", url.Values{"lat": {"north"}, "lon": {"71.4"}, "category": {"shopping"}, "urgency": {"normal"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "latitude") || !strings.Contains(body, `value="north"`) {
		t.Fatalf("edit with a bad latitude: %d, want 400 naming it and keeping the typed value", status)
	}
	if status, _ := b.form(base+"/edit", url.Values{"address": {"пр. Абая 10"}, "lat": {"51.16"}, "lon": {"71.47"},
		"category": {"escort"}, "urgency": {"urgent"}}); status != http.StatusSeeOther {
		t.Fatalf("edit: %d", status)
	}
	got, _ := g.store.Ticket(g.ctx, tk.ID)
	if got.Address != "пр. Абая 10" || got.Category != dispatch.CategoryEscort || got.Urgency != dispatch.UrgencyUrgent ||
		got.Location == nil || got.Location.Lat != 51.16 {
		t.Fatalf("after edit: %+v", got)
	}

	if status, _ := b.form(base+"/assign", url.Values{"volunteer_other": {strconv.FormatInt(v.ID, 10)}}); status != http.StatusSeeOther {
		t.Fatalf("assign: %d", status)
	}
	got, _ = g.store.Ticket(g.ctx, tk.ID)
	if got.Status != dispatch.StatusAssigned || got.VolunteerID == nil || *got.VolunteerID != v.ID {
		t.Fatalf("after assign: status %s volunteer %v", got.Status, got.VolunteerID)
	}
	status, body = b.get(base + "?done=assign")
	if status != http.StatusOK || !strings.Contains(body, `id="timeline"`) || !strings.Contains(body, "Данияр") {
		t.Fatalf("ticket page after assign: %d", status)
	}
	// A closed ticket's row leaves the live queue.
	if status, _ := b.form(base+"/cancel", url.Values{"reason": {"test"}}); status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", status)
	}
	if status, _ := b.get(base + "/row"); status != http.StatusNoContent {
		t.Errorf("row of a cancelled ticket: %d, want 204", status)
	}
}
