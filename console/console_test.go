package console

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestSortQueue(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	mk := func(code string, s dispatch.Status, u dispatch.Urgency, ageMin int) *dispatch.Ticket {
		return &dispatch.Ticket{Code: code, Status: s, Urgency: u, CreatedAt: t0.Add(-time.Duration(ageMin) * time.Minute)}
	}
	ts := []*dispatch.Ticket{
		mk("old-normal", dispatch.StatusQueued, dispatch.UrgencyNormal, 60),
		mk("new-urgent", dispatch.StatusQueued, dispatch.UrgencyUrgent, 1),
		mk("escalated", dispatch.StatusEscalated, dispatch.UrgencyNormal, 5),
		mk("escalated-urgent", dispatch.StatusEscalated, dispatch.UrgencyUrgent, 2),
		mk("new-normal", dispatch.StatusOffered, dispatch.UrgencyNormal, 2),
	}
	sortQueue(ts)
	want := []string{"escalated-urgent", "escalated", "new-urgent", "old-normal", "new-normal"}
	for i, w := range want {
		if ts[i].Code != w {
			t.Fatalf("position %d: %s, want %s", i, ts[i].Code, w)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/console/tickets/5": "/console/tickets/5", "//evil.example/console": "", "https://evil.example": "",
		"/request": "", "/console\\@evil": "", "": "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	for in, want := range map[string]dispatch.Lang{
		"kk-KZ,kk;q=0.9,ru;q=0.8": dispatch.LangKK, "en-US,en": dispatch.LangEN, "de-DE,ru;q=0.5": dispatch.LangRU,
		"": dispatch.LangRU, "fr": dispatch.LangRU,
	} {
		if got := acceptLanguage(in); got != want {
			t.Errorf("acceptLanguage(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestLastEventID(t *testing.T) {
	r := httptest.NewRequest("GET", "/console/events?after=7", nil)
	if got := lastEventID(r); got != 7 {
		t.Errorf("?after=7: %d", got)
	}
	r.Header.Set("Last-Event-ID", "42")
	if got := lastEventID(r); got != 42 {
		t.Errorf("Last-Event-ID 42: %d (the header wins)", got)
	}
	r.Header.Set("Last-Event-ID", "junk")
	r.URL.RawQuery = ""
	if got := lastEventID(r); got != 0 {
		t.Errorf("junk: %d", got)
	}
}

// The fallback limiter allows limit attempts per window and a fresh window
// after it.
func TestLocalLimiter(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	l := newLocalLimiter(func() time.Time { return now })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow(ctx, "k", 3, time.Minute); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if ok, _ := l.Allow(ctx, "k", 3, time.Minute); ok {
		t.Fatal("attempt 4 allowed")
	}
	if ok, _ := l.Allow(ctx, "other", 3, time.Minute); !ok {
		t.Fatal("another key is limited too")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow(ctx, "k", 3, time.Minute); !ok {
		t.Fatal("a new window is still limited")
	}
}
