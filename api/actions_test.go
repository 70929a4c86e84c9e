package api_test

import (
	"net/http"
	"testing"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/dispatch"
)

func (g *rig) volunteerNear(t *testing.T, name string) int64 {
	t.Helper()
	res := g.as(dispatch.RoleDispatcher, "POST", "/api/v1/volunteers", map[string]any{
		"name": name, "phone": g.phone(), "languages": []string{"ru", "kk"}, "skills": []string{"wheelchair", "car"},
		"location": map[string]float64{"lat": 51.17, "lon": 71.45}, "max_tasks": 2})
	if res.status != 201 {
		t.Fatalf("volunteer: %s", res)
	}
	var v struct{ ID int64 }
	res.decode(t, &v)
	return v.ID
}

func TestTicketActions(t *testing.T) {
	g := newRig(t, api.Options{})
	D := dispatch.RoleDispatcher
	vid := g.volunteerNear(t, "Марат")
	tk := g.createTicket(t, contractTicket(g.phone(), "до поликлиники"))
	path := "/api/v1/tickets/" + itoa(tk.ID)
	act := func(action string, body any) (ticketT, response) {
		t.Helper()
		res := g.as(D, "POST", path+"/"+action, body)
		var out ticketT
		if res.status == 200 {
			res.decode(t, &out)
		}
		return out, res
	}

	// the matcher's view, without offering anything
	res := g.as(dispatch.RoleViewer, "GET", path+"/suggestions", nil)
	var sug struct {
		Items []struct {
			VolunteerID int64   `json:"volunteer_id"`
			Filtered    string  `json:"filtered"`
			DistanceM   float64 `json:"distance_m"`
		}
	}
	res.decode(t, &sug)
	if res.status != 200 || len(sug.Items) != 1 || sug.Items[0].VolunteerID != vid || sug.Items[0].Filtered != "" {
		t.Fatalf("suggestions: %s", res)
	}

	// escalate needs a reason; then back to the engine
	wantError(t, g.as(D, "POST", path+"/escalate", nil), 422, dispatch.EUNPROCESSABLE, "reason")
	if got, res := act("escalate", map[string]string{"reason": "caller is confused"}); got.Status != "escalated" || got.Reason != "caller is confused" {
		t.Fatalf("escalate: %s", res)
	}
	if got, res := act("deescalate", nil); got.Status != "queued" {
		t.Fatalf("deescalate: %s", res)
	}

	// edit, then assign to the volunteer the dispatcher chose
	res = g.as(D, "PATCH", path, map[string]any{"urgency": "normal", "category": "home"})
	var edited ticketT
	res.decode(t, &edited)
	if res.status != 200 || edited.Urgency != "normal" || edited.Category != "home" {
		t.Fatalf("edit: %s", res)
	}
	wantError(t, g.as(D, "PATCH", path, map[string]any{"urgency": "whenever"}), 422, dispatch.EUNPROCESSABLE, "urgency")
	wantError(t, g.as(D, "POST", path+"/assign", map[string]any{}), 422, dispatch.EUNPROCESSABLE, "volunteer_id")
	wantError(t, g.as(D, "POST", path+"/assign", map[string]any{"volunteer_id": 987654}), 404, dispatch.ENOTFOUND)
	got, res := act("assign", map[string]any{"volunteer_id": vid, "reason": "knows the client"})
	if got.Status != "assigned" || got.VolunteerID == nil || *got.VolunteerID != vid {
		t.Fatalf("assign: %s", res)
	}
	// a second assign is an illegal transition: 409
	wantError(t, g.as(D, "POST", path+"/assign", map[string]any{"volunteer_id": vid}), http.StatusConflict, dispatch.ECONFLICT)

	// notes and texts go on the timeline
	if res := g.as(D, "POST", path+"/notes", map[string]string{"text": "<b>позвонить</b> заранее"}); res.status != 204 {
		t.Fatalf("note: %s", res)
	}
	wantError(t, g.as(D, "POST", path+"/notes", map[string]string{"text": "  "}), 422, dispatch.EUNPROCESSABLE, "text")
	if res := g.as(D, "POST", path+"/messages", map[string]string{"text": "Волонтёр едет"}); res.status != 204 {
		t.Fatalf("message: %s", res)
	}

	// redispatch takes it back from the volunteer; cancel ends it
	if got, res := act("redispatch", map[string]string{"reason": "volunteer ill"}); got.Status != "queued" || got.VolunteerID != nil {
		t.Fatalf("redispatch: %s", res)
	}
	if got, res := act("cancel", map[string]string{"reason": "client found a taxi"}); got.Status != "cancelled" {
		t.Fatalf("cancel: %s", res)
	}
	wantError(t, g.as(D, "POST", path+"/cancel", nil), 409, dispatch.ECONFLICT, "cancelled")
	wantError(t, g.as(D, "PATCH", path, map[string]any{"urgency": "urgent"}), 409, dispatch.ECONFLICT)

	// the whole story is in the audit timeline, with who did it
	var detail ticketT
	g.as(dispatch.RoleViewer, "GET", path, nil).decode(t, &detail)
	var transitions []string
	notes := 0
	for _, e := range detail.Events {
		if e.Kind == dispatch.EventTransition {
			transitions = append(transitions, e.To)
			if e.Actor != "system" && e.Actor != "token:dispatcher-partner" {
				t.Errorf("event %+v: actor", e)
			}
		}
		if e.Kind == dispatch.EventNote && e.Reason == "<b>позвонить</b> заранее" {
			notes++
		}
	}
	want := []string{"escalated", "queued", "assigned", "queued", "cancelled"}
	if !endsWith(transitions, want) || notes != 1 {
		t.Fatalf("timeline transitions %v (want to end with %v), notes %d", transitions, want, notes)
	}
}

func endsWith(got, want []string) bool {
	if len(got) < len(want) {
		return false
	}
	got = got[len(got)-len(want):]
	for i := range want {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestListTicketsByStatus(t *testing.T) {
	g := newRig(t, api.Options{})
	a := g.createTicket(t, contractTicket(g.phone(), "one"))
	b := g.createTicket(t, contractTicket(g.phone(), "two"))
	if res := g.as(dispatch.RoleDispatcher, "POST", "/api/v1/tickets/"+itoa(b.ID)+"/cancel", nil); res.status != 200 {
		t.Fatalf("cancel: %s", res)
	}
	list := func(q string) []int64 {
		t.Helper()
		res := g.as(dispatch.RoleViewer, "GET", "/api/v1/tickets"+q, nil)
		var l struct{ Items []ticketT }
		res.decode(t, &l)
		if res.status != 200 {
			t.Fatalf("%s: %s", q, res)
		}
		var ids []int64
		for _, tk := range l.Items {
			ids = append(ids, tk.ID)
		}
		return ids
	}
	if ids := list("?status=cancelled"); len(ids) != 1 || ids[0] != b.ID {
		t.Fatalf("cancelled: %v", ids)
	}
	if ids := list("?status=" + a.Status); len(ids) != 1 || ids[0] != a.ID {
		t.Fatalf("%s: %v", a.Status, ids)
	}
	if ids := list("?status=cancelled," + a.Status); len(ids) != 2 {
		t.Fatalf("both: %v", ids)
	}
	if ids := list("?open=true"); len(ids) != 1 || ids[0] != a.ID {
		t.Fatalf("open: %v", ids)
	}
	wantError(t, g.as(dispatch.RoleViewer, "GET", "/api/v1/tickets?status=lost", nil), 400, dispatch.EINVALID, "status")
	wantError(t, g.as(dispatch.RoleViewer, "GET", "/api/v1/tickets?client_id=x", nil), 400, dispatch.EINVALID, "client_id")
}

func TestWriteRateLimit(t *testing.T) {
	g := newRig(t, api.Options{WritesPerMinute: 2})
	for i := 0; i < 2; i++ {
		if res := g.as(dispatch.RoleAdmin, "POST", "/api/v1/clients", map[string]any{"phone": g.phone()}); res.status != 201 {
			t.Fatalf("write %d: %s", i, res)
		}
	}
	res := g.as(dispatch.RoleAdmin, "POST", "/api/v1/clients", map[string]any{"phone": g.phone()})
	wantError(t, res, http.StatusTooManyRequests, dispatch.ERATELIMIT)
	if res.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// reads are not limited, and other tokens have their own budget
	if res := g.as(dispatch.RoleAdmin, "GET", "/api/v1/clients", nil); res.status != 200 {
		t.Fatalf("read: %s", res)
	}
	if res := g.as(dispatch.RoleDispatcher, "POST", "/api/v1/clients", map[string]any{"phone": g.phone()}); res.status != 201 {
		t.Fatalf("another token: %s", res)
	}
}
