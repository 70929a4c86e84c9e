package twiliotest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
	"github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

func TestSignKnownVector(t *testing.T) {
	// The example of twilio-go's own validator tests.
	params := url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}}
	got := twiliotest.Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
	if want := "vOEb5UThFn24KEfnOFLQY2AE5FY="; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestSignAcceptedByRequestValidator(t *testing.T) {
	u := "https://hotline.example.kz/twilio/sms"
	params := url.Values{"MessageSid": {"SM1"}, "From": {"+77011234567"}, "Body": {"Иә, 20 минутта"}, "To": {"+77000000000"}}
	sig := twiliotest.Sign("secret", u, params)
	v := twclient.NewRequestValidator("secret")
	if !v.ValidateBody(u, []byte(params.Encode()), sig) {
		t.Fatal("twilio-go's validator refuses the signature")
	}
	if v.ValidateBody(u+"x", []byte(params.Encode()), sig) {
		t.Fatal("validator accepts the signature for another URL: the test proves nothing")
	}
}

// rewrite sends api.twilio.com requests to the fake.
type rewrite struct{ base *url.URL }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.base.Scheme, r.base.Host
	return http.DefaultTransport.RoundTrip(req)
}

func newClient(t *testing.T, s *twiliotest.Server, sid, token string) *twilio.RestClient {
	base, _ := url.Parse(s.URL())
	c := &twclient.Client{Credentials: twclient.NewCredentials(sid, token), HTTPClient: &http.Client{Transport: rewrite{base}}}
	c.SetAccountSid(sid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

func TestServerWithRealClient(t *testing.T) {
	s := twiliotest.New(t)
	c := newClient(t, s, twiliotest.AccountSID, twiliotest.AuthToken)
	p := &api.CreateMessageParams{}
	p.SetTo("+77011234567").SetFrom("+77000000000").SetBody("Сәлем").SetStatusCallback("http://x/twilio/status")
	m, err := c.Api.CreateMessage(p)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Messages()
	if len(got) != 1 || got[0].SID != *m.Sid || got[0].Body != "Сәлем" || got[0].AccountSID != twiliotest.AccountSID ||
		got[0].Form.Get("StatusCallback") != "http://x/twilio/status" {
		t.Fatalf("recorded %+v, client got sid %s", got, *m.Sid)
	}
	list, err := c.Api.ListMessage((&api.ListMessageParams{}).SetTo("+77011234567"))
	if err != nil || len(list) != 1 || *list[0].Sid != *m.Sid {
		t.Fatalf("list = %v, %v", list, err)
	}
	list, err = c.Api.ListMessage((&api.ListMessageParams{}).SetTo("+77019999999"))
	if err != nil || len(list) != 0 {
		t.Fatalf("list for another number = %v, %v", list, err)
	}
}

func TestServerFailures(t *testing.T) {
	s := twiliotest.New(t)
	c := newClient(t, s, twiliotest.AccountSID, twiliotest.AuthToken)
	send := func(to string) error {
		_, err := c.Api.CreateMessage((&api.CreateMessageParams{}).SetTo(to).SetFrom("+77000000000").SetBody("hi"))
		return err
	}
	status := func(err error) int {
		var te *twclient.TwilioRestError
		if errors.As(err, &te) {
			return te.Status
		}
		return 0
	}
	s.FailNext(2, 429)
	if err := send("+77011234567"); status(err) != 429 {
		t.Fatalf("first send: %v", err)
	}
	if err := send("+77011234567"); status(err) != 429 {
		t.Fatalf("second send: %v", err)
	}
	if err := send("+77011234567"); err != nil {
		t.Fatalf("third send: %v", err)
	}
	s.Reject("+77010000000", 21610)
	var te *twclient.TwilioRestError
	if err := send("+77010000000"); !errors.As(err, &te) || te.Code != 21610 {
		t.Fatalf("rejected send: %v", err)
	}
	if err := send("not-a-number"); !errors.As(err, &te) || te.Code != 21211 {
		t.Fatalf("invalid number: %v", err)
	}
	s.LoseNext(1)
	if err := send("+77012222222"); status(err) != 500 {
		t.Fatalf("lost answer: %v", err)
	}
	if n := len(s.MessagesTo("+77012222222")); n != 1 {
		t.Fatalf("lost answer recorded %d messages, want 1", n)
	}
	if n := len(s.Messages()); n != 2 {
		t.Fatalf("%d messages recorded, want 2", n)
	}
	bad := newClient(t, s, twiliotest.AccountSID, "wrongtoken")
	if _, err := bad.Api.CreateMessage((&api.CreateMessageParams{}).SetTo("+77011234567").SetFrom("+7700").SetBody("x")); status(err) != 401 {
		t.Fatalf("wrong token: %v", err)
	}
}

func TestServerConcurrent(t *testing.T) {
	s := twiliotest.New(t)
	c := newClient(t, s, twiliotest.AccountSID, twiliotest.AuthToken)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Api.CreateMessage((&api.CreateMessageParams{}).SetTo("+77011234567").SetFrom("+77000000000").SetBody("x"))
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, m := range s.Messages() {
		seen[m.SID] = true
	}
	if len(seen) != 20 {
		t.Fatalf("%d distinct messages, want 20", len(seen))
	}
}

func TestSendStatus(t *testing.T) {
	s := twiliotest.New(t)
	got := make(chan url.Values, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		v := twclient.NewRequestValidator(twiliotest.AuthToken)
		if !v.Validate("http://"+r.Host+r.URL.Path, flat(r.PostForm), r.Header.Get("X-Twilio-Signature")) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		got <- r.PostForm
	}))
	defer hook.Close()
	c := newClient(t, s, twiliotest.AccountSID, twiliotest.AuthToken)
	m, err := c.Api.CreateMessage((&api.CreateMessageParams{}).SetTo("+77011234567").SetFrom("+77000000000").
		SetBody("x").SetStatusCallback(hook.URL + "/twilio/status"))
	if err != nil {
		t.Fatal(err)
	}
	code, err := s.SendStatus(context.Background(), *m.Sid, "undelivered", "30003")
	if err != nil || code != 200 {
		t.Fatalf("SendStatus = %d, %v", code, err)
	}
	f := <-got
	if f.Get("MessageStatus") != "undelivered" || f.Get("ErrorCode") != "30003" || f.Get("MessageSid") != *m.Sid {
		t.Fatalf("callback form %v", f)
	}
}

func flat(v url.Values) map[string]string {
	out := map[string]string{}
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}
