package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/api"
	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestEraseClient(t *testing.T) {
	g := newRig(t, api.Options{})
	ctx := context.Background()
	cl := &dispatch.Client{Phone: g.phone(), Name: "Гүлнар Асқарқызы", Lang: dispatch.LangKK, Address: "Абай 5"}
	if err := g.store.CreateClient(ctx, cl); err != nil {
		t.Fatal(err)
	}
	tk := &dispatch.Ticket{Channel: dispatch.ChannelAPI, Category: dispatch.CategoryHome, Description: "менің үйім",
		Lang: dispatch.LangKK, ClientID: cl.ID, Status: dispatch.StatusQueued, Urgency: dispatch.UrgencyNormal}
	if err := g.store.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/clients/" + itoa(cl.ID) + "/erase"

	wantError(t, g.as(dispatch.RoleDispatcher, http.MethodPost, path, nil), http.StatusConflict, dispatch.ECONFLICT, tk.Code)
	if got, _ := g.store.Client(ctx, cl.ID); got.Name != cl.Name {
		t.Fatal("a refused erasure changed the client")
	}
	tk.Status = dispatch.StatusCancelled
	if err := g.store.UpdateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	res := g.as(dispatch.RoleDispatcher, http.MethodPost, path, nil)
	if res.status != http.StatusOK {
		t.Fatalf("erase: %s", res)
	}
	out := res.object(t)
	if out["name"] != "" || out["phone"] != dispatch.ClientPlaceholderPhone(cl.ID) || strings.Contains(string(res.body), cl.Phone) {
		t.Fatalf("erased client: %s", res)
	}
	got, err := g.store.Ticket(ctx, tk.ID)
	if err != nil || got.Description != "" {
		t.Fatalf("ticket after erasure: %+v %v", got, err)
	}
	evs, _ := g.store.Events(ctx, tk.ID)
	if last := evs[len(evs)-1]; last.Kind != dispatch.EventErasure || !strings.HasPrefix(last.Reason, "erased by token:") {
		t.Fatalf("last event %+v", last)
	}
	wantError(t, g.as(dispatch.RoleDispatcher, http.MethodPost, "/api/v1/clients/999999/erase", nil), http.StatusNotFound, dispatch.ENOTFOUND)
}
