package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// TwilioOptions configure the Twilio driver.
type TwilioOptions struct {
	AccountSID string
	AuthToken  string
	From       string // TWILIO_FROM_NUMBER, E.164
	// PublicBaseURL is where Twilio reaches this service: status callbacks
	// go to PublicBaseURL + "/twilio/status".
	PublicBaseURL string
	// APIBaseURL replaces https://api.twilio.com (TWILIO_API_BASE_URL: a
	// proxy, or a fake in tests). Empty: Twilio itself.
	APIBaseURL string
	// Timeout bounds one call to Twilio (15s). twilio-go takes no context,
	// so this is what stops a hung call.
	Timeout time.Duration
	// Transport carries the requests (http.DefaultTransport).
	Transport http.RoundTripper
}

// Twilio sends messages through Twilio's Messages API with twilio-go.
type Twilio struct {
	rc   *twilio.RestClient
	opts TwilioOptions
}

var _ dispatch.Sender = (*Twilio)(nil)

// NewTwilio returns a driver for the account in opts. It checks nothing
// until the first message: credentials are Twilio's to judge.
func NewTwilio(opts TwilioOptions) *Twilio {
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	tr := opts.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	if opts.APIBaseURL != "" {
		if base, err := url.Parse(strings.TrimRight(opts.APIBaseURL, "/")); err == nil && base.Host != "" {
			tr = &rebase{base: base, next: tr}
		}
	}
	c := &twclient.Client{Credentials: twclient.NewCredentials(opts.AccountSID, opts.AuthToken),
		HTTPClient: &http.Client{Transport: tr, Timeout: opts.Timeout}}
	c.SetAccountSid(opts.AccountSID)
	return &Twilio{rc: twilio.NewRestClientWithParams(twilio.ClientParams{Client: c}), opts: opts}
}

// rebase sends requests for Twilio's hosts to another base URL instead:
// twilio-go has no setting for it, but it lets us give it the HTTP client.
type rebase struct {
	base *url.URL
	next http.RoundTripper
}

func (r *rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	if h := req.URL.Hostname(); h != "twilio.com" && !strings.HasSuffix(h, ".twilio.com") {
		return r.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.base.Scheme, r.base.Host
	req.URL.Path = r.base.Path + req.URL.Path
	if req.URL.RawPath != "" {
		req.URL.RawPath = r.base.Path + req.URL.RawPath
	}
	req.Host = ""
	return r.next.RoundTrip(req)
}

// Send creates the message, asking Twilio to report its delivery to
// /twilio/status, and returns its SID.
func (t *Twilio) Send(ctx context.Context, n *dispatch.Notification) (string, error) {
	const op = "notify.Twilio.Send"
	p := &api.CreateMessageParams{}
	p.SetTo(n.To).SetFrom(t.opts.From).SetBody(n.Body)
	if t.opts.PublicBaseURL != "" {
		p.SetStatusCallback(strings.TrimRight(t.opts.PublicBaseURL, "/") + "/twilio/status")
	}
	m, err := t.rc.Api.CreateMessage(p)
	if err != nil {
		return "", dispatch.E(op, classify(err))
	}
	if m.Sid == nil || *m.Sid == "" {
		return "", dispatch.E(op, dispatch.Errorf(dispatch.EUNAVAILABLE, "twilio answered without a message SID"))
	}
	return *m.Sid, nil
}

// Lookup finds a message sent to n.To from our number since n was queued
// with n's exact body: the one a crash kept us from recording. ENOTFOUND
// when there is none, which makes sending it safe.
func (t *Twilio) Lookup(ctx context.Context, n *dispatch.Notification) (string, error) {
	const op = "notify.Twilio.Lookup"
	since := n.CreatedAt.Add(-2 * time.Minute)
	p := &api.ListMessageParams{}
	// Twilio filters by the day the message was sent; the exact time is
	// checked below.
	p.SetTo(n.To).SetFrom(t.opts.From).SetDateSentAfter(since.UTC().Truncate(24 * time.Hour)).SetPageSize(100).SetLimit(500)
	list, err := t.rc.Api.ListMessage(p)
	if err != nil {
		return "", dispatch.E(op, classify(err))
	}
	for _, m := range list {
		if m.Sid == nil || m.Body == nil || *m.Body != n.Body {
			continue
		}
		if m.DateCreated != nil && !n.CreatedAt.IsZero() {
			if at, err := time.Parse(time.RFC1123Z, *m.DateCreated); err == nil && at.Before(since) {
				continue // the same words, sent for an earlier message
			}
		}
		return *m.Sid, nil
	}
	return "", dispatch.E(op, dispatch.Errorf(dispatch.ENOTFOUND, "no message like notification %d at Twilio", n.ID))
}

// permanentCodes are Twilio errors about the recipient: sending again will
// not help.
var permanentCodes = map[int]bool{21211: true, 21214: true, 21610: true, 21612: true, 21614: true, 21408: true, 21606: true, 21602: true, 21617: true}

// classify turns a twilio-go error into the dispatch code the outbox acts
// on: ERATELIMIT and EUNAVAILABLE are retried, the rest are final. The
// message names Twilio's code but never the number, which Twilio's own text
// may contain.
func classify(err error) error {
	status, code := 0, 0
	var te *twclient.TwilioRestError
	var v1 *twclient.RestErrorV1
	switch {
	case errors.As(err, &te):
		status, code = te.Status, te.Code
	case errors.As(err, &v1):
		status, code = v1.HttpStatusCode, v1.Code
	default:
		// A network error, a timeout, or an answer that was not Twilio's JSON
		// (a proxy's 502 page): Twilio may or may not have the message.
		return dispatch.Errorf(dispatch.EUNAVAILABLE, "twilio unreachable: %s", scrub(err.Error()))
	}
	msg := fmt.Sprintf("twilio HTTP %d, error %d: %s", status, code, dispatch.TwilioErrorText(fmt.Sprint(code)))
	switch {
	case status == http.StatusTooManyRequests || code == 20429:
		return dispatch.Errorf(dispatch.ERATELIMIT, "%s", msg)
	case status >= 500 || status == 0:
		return dispatch.Errorf(dispatch.EUNAVAILABLE, "%s", msg)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// Wrong or rotated credentials: the messages wait for a fix.
		return dispatch.Errorf(dispatch.EUNAVAILABLE, "%s (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)", msg)
	case permanentCodes[code]:
		return dispatch.Errorf(dispatch.EUNPROCESSABLE, "%s", msg)
	}
	return dispatch.Errorf(dispatch.EINVALID, "%s", msg)
}

// scrub removes digit runs long enough to be a phone number.
func scrub(s string) string {
	var b strings.Builder
	run := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			run++
			if run > 6 {
				continue
			}
		} else {
			run = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}
