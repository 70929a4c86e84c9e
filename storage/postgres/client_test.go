package postgres_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestClientRoundTrip(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	c := &dispatch.Client{Phone: "+77172123456", Name: "Гүлнар Әбдіқызы", Lang: dispatch.LangKK,
		Location: &dispatch.Location{Lat: 51.128, Lon: 71.430}, Address: "Астана, Кенесары 40, кв. 12",
		Needs: []dispatch.Need{dispatch.NeedWheelchair, dispatch.NeedElderly}, Notes: "домофон не работает"}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || !c.CreatedAt.Equal(base) {
		t.Fatalf("CreateClient set ID %d, CreatedAt %v", c.ID, c.CreatedAt)
	}
	for name, get := range map[string]func() (*dispatch.Client, error){
		"Client":        func() (*dispatch.Client, error) { return s.Client(ctx, c.ID) },
		"ClientByPhone": func() (*dispatch.Client, error) { return s.ClientByPhone(ctx, c.Phone) },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameClient(t, got, c)
	}

	clk.add(time.Minute)
	c.Location, c.Needs, c.OptedOut, c.Lang = nil, nil, true, dispatch.LangRU
	if err := s.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Client(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameClient(t, got, c)
	if got.Location != nil || len(got.Needs) != 0 || !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("after update: %+v", got)
	}
}

func sameClient(t *testing.T, got, want *dispatch.Client) {
	t.Helper()
	g, w := *got, *want
	if !g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) {
		t.Errorf("times: got %v/%v, want %v/%v", g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt)
	}
	g.CreatedAt, g.UpdatedAt = w.CreatedAt, w.UpdatedAt
	if len(g.Needs) == 0 && len(w.Needs) == 0 {
		g.Needs, w.Needs = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %+v\nwant %+v", g, w)
	}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	c := mustClient(t, s)

	_, err := s.Client(ctx, c.ID+1)
	wantCode(t, err, dispatch.ENOTFOUND)
	_, err = s.ClientByPhone(ctx, "+77000000000")
	wantCode(t, err, dispatch.ENOTFOUND)
	wantCode(t, s.UpdateClient(ctx, &dispatch.Client{ID: c.ID + 1, Phone: phone(), Lang: "ru"}), dispatch.ENOTFOUND)

	err = s.CreateClient(ctx, &dispatch.Client{Phone: c.Phone})
	wantCode(t, err, dispatch.ECONFLICT)
	if !contains(dispatch.ErrorMessage(err), "phone") {
		t.Errorf("duplicate phone message %q does not say what was duplicated", dispatch.ErrorMessage(err))
	}
	if contains(err.Error(), c.Phone) {
		t.Errorf("error %q shows the phone number", err)
	}
	err = s.CreateClient(ctx, &dispatch.Client{Phone: "87011234567"})
	wantCode(t, err, dispatch.EINVALID)
	if !contains(dispatch.ErrorMessage(err), "E.164") {
		t.Errorf("bad phone message: %q", dispatch.ErrorMessage(err))
	}
	wantCode(t, s.CreateClient(ctx, &dispatch.Client{Phone: phone(), Lang: "de"}), dispatch.EINVALID)
}

func TestClientsList(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	names := []string{"Асель Жумабаева", "Мария Иванова", "Асхат Омаров", "100%_match"}
	for _, n := range names {
		if err := s.CreateClient(ctx, &dispatch.Client{Phone: phone(), Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		f     dispatch.ClientFilter
		n     int
		total int
	}{
		{dispatch.ClientFilter{}, 4, 4},
		{dispatch.ClientFilter{Query: "ас"}, 2, 2}, // case-insensitive, Cyrillic
		{dispatch.ClientFilter{Query: "%"}, 1, 1},  // a wildcard is a literal
		{dispatch.ClientFilter{Query: "_"}, 1, 1},
		{dispatch.ClientFilter{Limit: 3}, 3, 4},
		{dispatch.ClientFilter{Limit: 3, Offset: 3}, 1, 4},
		{dispatch.ClientFilter{Offset: 10}, 0, 4},
		{dispatch.ClientFilter{Query: "+7701"}, 4, 4},
	}
	for _, tt := range tests {
		got, total, err := s.Clients(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.n || total != tt.total {
			t.Errorf("Clients(%+v) = %d rows of %d, want %d of %d", tt.f, len(got), total, tt.n, tt.total)
		}
	}
	got, _, _ := s.Clients(ctx, dispatch.ClientFilter{})
	if got[0].Name != "100%_match" {
		t.Errorf("Clients not newest first: %s first", got[0].Name)
	}
}
