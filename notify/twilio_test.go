package notify_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

func newTwilio(s *twiliotest.Server) *notify.Twilio {
	return notify.NewTwilio(notify.TwilioOptions{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		From: "+77000000000", PublicBaseURL: "https://hotline.example.kz/", APIBaseURL: s.URL()})
}

func TestTwilioSendsTheExactRequest(t *testing.T) {
	s := twiliotest.New(t)
	tw := newTwilio(s)
	n := &dispatch.Notification{ID: 7, Key: "offer:7", To: "+77011234567", Body: "Задача AKM-1234: 1 — принять", CreatedAt: time.Now()}
	sid, err := tw.Send(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages at the fake, want 1", len(msgs))
	}
	m := msgs[0]
	want := url.Values{"To": {"+77011234567"}, "From": {"+77000000000"}, "Body": {n.Body},
		"StatusCallback": {"https://hotline.example.kz/twilio/status"}}
	if m.Form.Encode() != want.Encode() {
		t.Errorf("form\n got %s\nwant %s", m.Form.Encode(), want.Encode())
	}
	if m.AccountSID != twiliotest.AccountSID || m.SID != sid || !strings.HasPrefix(sid, "SM") || len(sid) != 34 {
		t.Errorf("account %q sid %q (fake recorded %q)", m.AccountSID, sid, m.SID)
	}
}

func TestTwilioErrors(t *testing.T) {
	s := twiliotest.New(t)
	tw := newTwilio(s)
	ctx := context.Background()
	n := &dispatch.Notification{Key: "k", To: "+77011234567", Body: "hello", CreatedAt: time.Now()}
	tests := []struct {
		name  string
		setup func()
		to    string
		code  string
	}{
		{"rate limit", func() { s.FailNext(1, 429) }, "+77011234567", dispatch.ERATELIMIT},
		{"server error", func() { s.FailNext(1, 500) }, "+77011234567", dispatch.EUNAVAILABLE},
		{"bad gateway", func() { s.FailNext(1, 503) }, "+77011234567", dispatch.EUNAVAILABLE},
		{"invalid number", func() {}, "+7701", dispatch.EUNPROCESSABLE},
		{"unsubscribed", func() { s.Reject("+77019876543", 21610) }, "+77019876543", dispatch.EUNPROCESSABLE},
	}
	for _, tt := range tests {
		tt.setup()
		m := *n
		m.To = tt.to
		_, err := tw.Send(ctx, &m)
		if got := dispatch.ErrorCode(err); got != tt.code {
			t.Errorf("%s: code %q (%v), want %q", tt.name, got, err, tt.code)
		}
		if err != nil && strings.Contains(err.Error(), tt.to[1:]) {
			t.Errorf("%s: the error shows the number: %v", tt.name, err)
		}
	}
	bad := notify.NewTwilio(notify.TwilioOptions{AccountSID: twiliotest.AccountSID, AuthToken: "wrong",
		From: "+77000000000", APIBaseURL: s.URL()})
	if _, err := bad.Send(ctx, n); dispatch.ErrorCode(err) != dispatch.EUNAVAILABLE {
		t.Errorf("wrong token: %v", err)
	}
	down := notify.NewTwilio(notify.TwilioOptions{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		From: "+77000000000", APIBaseURL: "http://127.0.0.1:1"})
	if _, err := down.Send(ctx, n); dispatch.ErrorCode(err) != dispatch.EUNAVAILABLE {
		t.Errorf("unreachable: %v", err)
	}
}

func TestTwilioLookupFindsALostAnswer(t *testing.T) {
	s := twiliotest.New(t)
	tw := newTwilio(s)
	ctx := context.Background()
	n := &dispatch.Notification{ID: 1, Key: "k", To: "+77011234567", Body: "Сіздің кодыңыз AKM-1234", CreatedAt: time.Now()}
	if _, err := tw.Lookup(ctx, n); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("before sending: %v", err)
	}
	s.LoseNext(1)
	if _, err := tw.Send(ctx, n); dispatch.ErrorCode(err) != dispatch.EUNAVAILABLE {
		t.Fatalf("lost answer: %v", err)
	}
	sid, err := tw.Lookup(ctx, n)
	if err != nil || sid != s.Messages()[0].SID {
		t.Fatalf("Lookup = %q, %v; fake has %+v", sid, err, s.Messages())
	}
	other := *n
	other.Body = "another text"
	if _, err := tw.Lookup(ctx, &other); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("other body: %v", err)
	}
	later := *n
	later.CreatedAt = time.Now().Add(time.Hour)
	if _, err := tw.Lookup(ctx, &later); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("same words queued later: %v", err)
	}
}

func TestSimulator(t *testing.T) {
	sim := notify.NewSimulator()
	n := &dispatch.Notification{Key: "offer:1"}
	a, _ := sim.Send(context.Background(), n)
	b, _ := sim.Send(context.Background(), n)
	c, _ := sim.Send(context.Background(), &dispatch.Notification{Key: "offer:2"})
	if a != b || a == c || len(a) != 34 || !strings.HasPrefix(a, "SM") || !sim.Instant() {
		t.Fatalf("sids %q %q %q", a, b, c)
	}
}
