package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/dispatch"
)

// contractTicket is POST /api/v1/tickets' body as contract.md gives it.
func contractTicket(phone, description string) map[string]any {
	return map[string]any{
		"phone": phone, "name": "Болат", "category": "escort", "description": description, "language": "ru",
		"location": map[string]float64{"lat": 51.1694, "lon": 71.4491}, "address": "Астана, пр. Абая 10",
		"urgency": "urgent", "needs": []string{"wheelchair"},
	}
}

// ticketT is what the tests read of a ticket.
type ticketT struct {
	ID          int64    `json:"id"`
	Code        string   `json:"code"`
	Status      string   `json:"status"`
	Channel     string   `json:"channel"`
	Description string   `json:"description"`
	VolunteerID *int64   `json:"volunteer_id"`
	Urgency     string   `json:"urgency"`
	Category    string   `json:"category"`
	Needs       []string `json:"needs"`
	Reason      string   `json:"reason"`
	Events      []struct {
		Kind, Actor, From, To, Reason string
	} `json:"events"`
}

func (g *rig) createTicket(t *testing.T, body map[string]any, hdr ...string) ticketT {
	t.Helper()
	res := g.as(dispatch.RoleDispatcher, "POST", "/api/v1/tickets", body, hdr...)
	if res.status != http.StatusCreated {
		t.Fatalf("create ticket: %s", res)
	}
	var tk ticketT
	res.decode(t, &tk)
	return tk
}

func TestCreateAndGetTicket(t *testing.T) {
	g := newRig(t, api.Options{})
	// text that must come back exactly as it went in: markup and SQL are
	// data here, stored by parameter and never interpreted
	nasty := `<script>alert("x")</script> '; DROP TABLE tickets; -- Мен мүгедекпін, көмек керек`
	res := g.as(dispatch.RoleDispatcher, "POST", "/api/v1/tickets", contractTicket("+7 701 444 55 66", nasty))
	if res.status != http.StatusCreated {
		t.Fatalf("create: %s", res)
	}
	hasKeys(t, res.object(t), []string{"id", "code", "status", "volunteer_id", "description", "language", "location", "needs", "urgency", "category"})
	var tk ticketT
	res.decode(t, &tk)
	if tk.ID == 0 || tk.Code == "" || tk.Status == "" || tk.Channel != "api" || tk.Urgency != "urgent" || tk.Description != nasty {
		t.Fatalf("created %s", res.body)
	}
	if loc := res.header.Get("Location"); loc != "/api/v1/tickets/"+itoa(tk.ID) {
		t.Fatalf("Location %q", loc)
	}
	stored, err := g.store.Ticket(g.ctx, tk.ID)
	if err != nil || stored.Description != nasty {
		t.Fatalf("stored description %q, %v", stored.Description, err)
	}
	client, err := g.store.Client(g.ctx, stored.ClientID)
	if err != nil || client.Phone != "+77014445566" || client.Name != "Болат" {
		t.Fatalf("client %+v, %v", client, err)
	}
	if _, _, err := g.store.Tickets(g.ctx, dispatch.TicketFilter{Limit: 1}); err != nil {
		t.Fatalf("the tickets table is not there any more: %v", err)
	}

	res = g.as(dispatch.RoleViewer, "GET", "/api/v1/tickets/"+itoa(tk.ID), nil)
	if res.status != 200 {
		t.Fatalf("get: %s", res)
	}
	m := res.object(t)
	hasKeys(t, m, []string{"id", "code", "status", "volunteer_id", "events", "offers"})
	if m["volunteer_id"] != nil {
		t.Fatalf("volunteer_id %v before any assignment", m["volunteer_id"])
	}
	var got ticketT
	res.decode(t, &got)
	if got.Description != nasty || len(got.Events) == 0 || got.Events[0].Kind != dispatch.EventTransition ||
		got.Events[0].Actor != "token:dispatcher-partner" {
		t.Fatalf("got %s", res.body)
	}
	if !strings.Contains(string(res.body), `\u003cscript\u003e`) {
		t.Fatalf("JSON should escape markup for HTML contexts: %s", res.body)
	}
	wantError(t, g.as(dispatch.RoleViewer, "GET", "/api/v1/tickets/999999", nil), 404, dispatch.ENOTFOUND)
}

func TestTicketIdempotencyKey(t *testing.T) {
	g := newRig(t, api.Options{})
	body := contractTicket(g.phone(), "нужна помощь")
	first := g.createTicket(t, body, "Idempotency-Key", "partner-req-1")
	res := g.as(dispatch.RoleDispatcher, "POST", "/api/v1/tickets", body, "Idempotency-Key", "partner-req-1")
	var again ticketT
	res.decode(t, &again)
	if res.status != 201 || again.ID != first.ID || res.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a retry made %d (first %d): %s %v", again.ID, first.ID, res, res.header)
	}
	// the same key from another token is another request
	other := g.token("other-partner", dispatch.RoleDispatcher)
	res = g.call("POST", "/api/v1/tickets", other, body, "Idempotency-Key", "partner-req-1")
	var third ticketT
	res.decode(t, &third)
	if res.status != 201 || third.ID == first.ID {
		t.Fatalf("another token's key joined the first ticket: %s", res)
	}
	wantError(t, g.as(dispatch.RoleDispatcher, "POST", "/api/v1/tickets", body, "Idempotency-Key", strings.Repeat("k", 300)),
		400, dispatch.EINVALID, "Idempotency-Key")
}

func TestTicketValidation(t *testing.T) {
	g := newRig(t, api.Options{})
	with := func(k string, v any) map[string]any {
		b := contractTicket(g.phone(), "help")
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name    string
		body    any
		status  int
		mention string
	}{
		{"no phone", with("phone", nil), 422, "phone"},
		{"bad phone", with("phone", "+7 123"), 422, "phone"},
		{"bad category", with("category", "taxi"), 422, "category"},
		{"bad language", with("language", "de"), 422, "language"},
		{"bad urgency", with("urgency", "asap"), 422, "urgency"},
		{"bad need", with("needs", []string{"teleport"}), 422, "needs"},
		{"location range", with("location", map[string]float64{"lat": 51, "lon": 200}), 422, "location"},
		{"location type", with("location", "Astana"), 400, "location"},
		{"unknown field", with("priority", 1), 400, "priority"},
		{"description type", with("description", 5), 400, "description"},
		{"long description", with("description", strings.Repeat("я", 4001)), 422, "description"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := g.as(dispatch.RoleDispatcher, "POST", "/api/v1/tickets", tc.body)
			code := dispatch.EUNPROCESSABLE
			if tc.status == 400 {
				code = dispatch.EINVALID
			}
			wantError(t, res, tc.status, code, tc.mention)
		})
	}
	var l struct{ Total int }
	g.as(dispatch.RoleViewer, "GET", "/api/v1/tickets", nil).decode(t, &l)
	if l.Total != 0 {
		t.Fatalf("bad requests made %d tickets", l.Total)
	}
}

// TestPartnerRequest: the web form's request as JSON becomes a web ticket,
// with the form's "when" as the window's start.
func TestPartnerRequest(t *testing.T) {
	g := newRig(t, api.Options{})
	body := contractTicket(g.phone(), "Қарт адамға дәріхана")
	body["language"] = "kk"
	body["needs"] = []string{"car", "blind"}
	body["when"] = "2026-12-24T10:00:00+05:00"
	res := g.as(dispatch.RoleDispatcher, "POST", "/api/v1/requests", body)
	var tk ticketT
	res.decode(t, &tk)
	if res.status != 201 || tk.Channel != "web" || tk.Code == "" {
		t.Fatalf("request: %s", res)
	}
	stored, err := g.store.Ticket(g.ctx, tk.ID)
	if err != nil || stored.WindowStart == nil || stored.WindowStart.UTC().Hour() != 5 || !stored.NeedsSkill(dispatch.SkillCar) {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	c, _ := g.store.Client(g.ctx, stored.ClientID)
	if len(c.Needs) != 1 || c.Needs[0] != dispatch.NeedBlind {
		t.Fatalf("client needs %v: blind is the person's, not a volunteer's skill", c.Needs)
	}
	wantError(t, g.as(dispatch.RoleViewer, "POST", "/api/v1/requests", body), 403, dispatch.EFORBIDDEN)
}
