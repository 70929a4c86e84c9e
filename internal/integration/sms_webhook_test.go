package integration

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// TestSMSWholeLoopOverHTTP runs the loop as Twilio sees it: the offer goes
// to the fake Twilio with a status callback URL, the volunteer's signed
// reply comes to /twilio/sms, and the fake's signed status callbacks come
// to /twilio/status and update the messages, a failure showing on the
// ticket.
func TestSMSWholeLoopOverHTTP(t *testing.T) {
	g := newSMSRig(t)
	fake := twiliotest.New(t)
	e := echo.New()
	srv := httptest.NewUnstartedServer(e)
	base := "http://" + srv.Listener.Addr().String()
	tw := notify.NewTwilio(notify.TwilioOptions{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		From: smsHotline, PublicBaseURL: base, APIBaseURL: fake.URL()})
	o := dispatch.NewOutbox(g.store, tw, nil, dispatch.OutboxOptions{Workers: 1, Tick: 10 * time.Millisecond})
	h, err := intake.New(intake.Options{Intake: dispatch.NewIntake(g.store, g.queue, redis.NewBus(g.rc), intake.Phones{}, nil, g.msgs, dispatch.IntakeOptions{}),
		Calls: g.store, Clients: g.store, SMS: g.conv, Status: o, Limiter: redis.NewLimiter(g.rc), Files: configs.Files,
		AudioDir: t.TempDir(), PublicBaseURL: base, AuthToken: twiliotest.AuthToken, DispatcherHours: "00:00-23:59",
		CSRFSecret: []byte("sms-test-csrf-secret-of-32-bytes")})
	if err != nil {
		t.Fatal(err)
	}
	h.Register(e)
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(g.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = o.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })

	tk, v := g.offered(dispatch.LangKK)
	offer := g.settled(g.notes(tk.ID, "volunteer.offer")[0].Key)
	sent := fake.MessagesTo(v.Phone)
	if len(sent) != 1 || sent[0].StatusCallback != base+"/twilio/status" || sent[0].Body != offer.Body {
		t.Fatalf("offer at Twilio: %+v", sent)
	}

	form := url.Values{"MessageSid": {"SMvolunteerreply0000000000000001"}, "AccountSid": {twiliotest.AccountSID},
		"From": {v.Phone}, "To": {smsHotline}, "Body": {"Иә, 15 минутта"}, "NumMedia": {"0"}}
	if code := smsPost(t, base+"/twilio/sms", form, "wrong signature"); code != http.StatusForbidden {
		t.Fatalf("badly signed text: HTTP %d", code)
	}
	if got := g.get(tk.ID); got.Status != dispatch.StatusOffered {
		t.Fatalf("a badly signed text moved the ticket to %s", got.Status)
	}
	if code := smsPost(t, base+"/twilio/sms", form, twiliotest.Sign(twiliotest.AuthToken, base+"/twilio/sms", form)); code != http.StatusOK {
		t.Fatalf("signed text: HTTP %d", code)
	}
	if got := g.get(tk.ID); got.Status != dispatch.StatusAssigned {
		t.Fatalf("after the signed yes: %s", got.Status)
	}

	assigned := g.settled(g.notes(tk.ID, "volunteer.assigned")[0].Key)
	toClient := g.settled(g.notes(tk.ID, "client.assigned")[0].Key)
	if code, err := fake.SendStatus(g.ctx, assigned.ProviderSID, "delivered", ""); err != nil || code/100 != 2 {
		t.Fatalf("delivered callback: %d %v", code, err)
	}
	if code, err := fake.SendStatus(g.ctx, toClient.ProviderSID, "undelivered", "30003"); err != nil || code/100 != 2 {
		t.Fatalf("undelivered callback: %d %v", code, err)
	}
	if n := g.msg(assigned.Key); n.Status != dispatch.NotifyDelivered {
		t.Errorf("volunteer.assigned is %s after the delivered callback", n.Status)
	}
	if n := g.msg(toClient.Key); n.Status != dispatch.NotifyUndelivered {
		t.Errorf("client.assigned is %s after the undelivered callback", n.Status)
	}
	evs := g.events(tk.ID, dispatch.EventDelivery)
	if len(evs) != 1 || !strings.Contains(evs[0].Reason, "client.assigned") || !strings.Contains(evs[0].Reason, "30003") {
		t.Fatalf("delivery events: %+v", evs)
	}
}

func smsPost(t *testing.T, u string, form url.Values, sig string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
