package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestUsersTokensSessions(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	u := &dispatch.User{Name: "anna", Role: dispatch.RoleDispatcher, PasswordHash: "$2a$10$abc"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByName(ctx, "anna")
	if err != nil || got.ID != u.ID || got.Role != u.Role || got.PasswordHash != u.PasswordHash || !got.CreatedAt.Equal(base) {
		t.Fatalf("UserByName = %+v, %v", got, err)
	}
	wantCode(t, s.CreateUser(ctx, &dispatch.User{Name: "anna", Role: "viewer", PasswordHash: "x"}), dispatch.ECONFLICT)
	wantCode(t, s.CreateUser(ctx, &dispatch.User{Name: "bob", Role: "root", PasswordHash: "x"}), dispatch.EINVALID)
	_, err = s.UserByName(ctx, "nobody")
	wantCode(t, err, dispatch.ENOTFOUND)

	tok := &dispatch.Token{Name: "partner", Role: dispatch.RoleViewer, Hash: "h1"}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	gt, err := s.TokenByHash(ctx, "h1")
	if err != nil || gt.ID != tok.ID || gt.Name != "partner" || gt.Role != dispatch.RoleViewer {
		t.Fatalf("TokenByHash = %+v, %v", gt, err)
	}
	_, err = s.TokenByHash(ctx, "h2")
	wantCode(t, err, dispatch.ENOTFOUND)
	wantCode(t, s.CreateToken(ctx, &dispatch.Token{Name: "x", Role: "viewer", Hash: "h1"}), dispatch.ECONFLICT)

	se := &dispatch.Session{IDHash: "s1", UserID: u.ID, CSRF: "c1", ExpiresAt: base.Add(time.Hour)}
	if err := s.CreateSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	gs, err := s.SessionByHash(ctx, "s1")
	if err != nil || gs.UserID != u.ID || gs.CSRF != "c1" || gs.User == nil || gs.User.Name != "anna" || !gs.ExpiresAt.Equal(se.ExpiresAt) {
		t.Fatalf("SessionByHash = %+v, %v", gs, err)
	}
	clk.add(2 * time.Hour)
	_, err = s.SessionByHash(ctx, "s1")
	wantCode(t, err, dispatch.ENOTFOUND)
	clk.add(-2 * time.Hour)
	if err := s.DeleteSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.SessionByHash(ctx, "s1")
	wantCode(t, err, dispatch.ENOTFOUND)
	if err := s.DeleteSession(ctx, "s1"); err != nil {
		t.Errorf("logging out twice: %v", err)
	}
	wantCode(t, s.CreateSession(ctx, &dispatch.Session{IDHash: "s2", UserID: u.ID + 9, CSRF: "c", ExpiresAt: base}), dispatch.EINVALID)
}
