package api_test

import (
	"testing"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestClientLifecycle(t *testing.T) {
	g := newRig(t, api.Options{})
	D := dispatch.RoleDispatcher
	res := g.as(D, "POST", "/api/v1/clients", map[string]any{
		"phone": "+7 702 111 22 33", "name": "Гүлнар", "language": "kk", "needs": []string{"blind", "elderly"},
		"address": "Көкшетау, Абай к. 5", "location": map[string]float64{"lat": 53.28, "lon": 69.39}})
	if res.status != 201 {
		t.Fatalf("create: %s", res)
	}
	c := res.object(t)
	hasKeys(t, c, []string{"id", "phone", "name", "language", "location", "address", "needs", "notes", "opted_out"})
	if c["phone"] != "+77021112233" || c["language"] != "kk" || len(c["needs"].([]any)) != 2 {
		t.Fatalf("created %s", res.body)
	}
	path := "/api/v1/clients/" + itoa(int64(c["id"].(float64)))
	res = g.as(D, "PATCH", path, map[string]any{"notes": "звонить после 10:00", "location": nil})
	if p := res.object(t); res.status != 200 || p["notes"] != "звонить после 10:00" || p["location"] != nil || p["name"] != "Гүлнар" {
		t.Fatalf("patch: %s", res)
	}
	stored, err := g.store.ClientByPhone(g.ctx, "+77021112233")
	if err != nil || stored.Location != nil || stored.Notes != "звонить после 10:00" {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	res = g.as(D, "PUT", path, map[string]any{"phone": "+77021112233"})
	if p := res.object(t); res.status != 200 || p["name"] != "" || p["language"] != "ru" || len(p["needs"].([]any)) != 0 {
		t.Fatalf("put: %s", res)
	}
	var l struct {
		Items []struct{ Phone string }
		Total int
	}
	g.as(dispatch.RoleViewer, "GET", "/api/v1/clients?q=7021112", nil).decode(t, &l)
	if l.Total != 1 || l.Items[0].Phone != "+77021112233" {
		t.Fatalf("search: %+v", l)
	}
	wantError(t, g.as(D, "POST", "/api/v1/clients", map[string]any{"phone": "8 702 111 22 33"}), 409, dispatch.ECONFLICT)
	wantError(t, g.as(D, "POST", "/api/v1/clients", map[string]any{"phone": g.phone(), "needs": []string{"car"}}),
		422, dispatch.EUNPROCESSABLE, "needs")
	wantError(t, g.as(D, "POST", "/api/v1/clients", map[string]any{"phone": g.phone(), "language": "fr"}),
		422, dispatch.EUNPROCESSABLE, "language")
	wantError(t, g.as(D, "PATCH", "/api/v1/clients/777777", map[string]any{"name": "x"}), 404, dispatch.ENOTFOUND)
}
