package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

// Endpoint groups whose latencies are reported apart.
const (
	GroupSMS       = "sms"
	GroupVoice     = "voice"
	GroupWeb       = "web"
	GroupVolunteer = "volunteer"
)

// sample is one answered HTTP attempt.
type sample struct {
	at      time.Duration // since the load started
	latency time.Duration
	group   string
	status  int
}

// intake is one request for help as the outside world made it.
type intake struct {
	channel  string
	phone    string
	start    time.Time // when the request that makes the ticket was sent
	attempts int
	accepted bool
	code     string // known at once for the web share
}

// Runner is one load run against the service. Make it with NewRunner, then
// Run; the fake Twilio it serves must be the service's TWILIO_API_BASE_URL.
type Runner struct {
	cfg     Config
	fake    *FakeTwilio
	client  *http.Client
	rng     *mrand.Rand
	rngMu   sync.Mutex
	next    atomic.Int64 // round-robin over targets and tokens
	t0      time.Time
	closed  atomic.Bool
	onStart func()
	bg      sync.WaitGroup // volunteers' pending answers

	mu       sync.Mutex
	samples  []sample
	errs     map[string]int
	intakes  []*intake
	sent     []Sent
	offers   map[string]time.Time // code -> first offer handed to Twilio
	accepted map[string]time.Time // volunteer phone + code -> accept answered
	assigned map[string][]Sent    // code -> "it is yours" texts
	confirms map[string][]string  // client phone -> codes confirmed
	actions  map[string]int       // what the volunteers did
	created  map[string]time.Time // code -> ticket created, from the books
	codesOf  map[string][]string  // client phone -> ticket codes, oldest first, from the books
	lastSent time.Time
}

// OnStart sets a function run when the load starts (after seeding): the
// fault tests break things from there.
func (r *Runner) OnStart(fn func()) { r.onStart = fn }

// NewRunner checks cfg and prepares a run; fake receives the service's texts.
func NewRunner(cfg Config, fake *FakeTwilio) (*Runner, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConns: cfg.MaxInFlight, MaxIdleConnsPerHost: cfg.MaxInFlight,
		IdleConnTimeout: 30 * time.Second, DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext}
	r := &Runner{cfg: cfg, fake: fake, client: &http.Client{Transport: tr, Timeout: cfg.Timeout},
		rng: mrand.New(mrand.NewPCG(uint64(cfg.RunID), 7)), errs: map[string]int{},
		offers: map[string]time.Time{}, accepted: map[string]time.Time{}, assigned: map[string][]Sent{},
		confirms: map[string][]string{}, actions: map[string]int{}}
	fake.OnSent(r.onSent)
	return r, nil
}

func (r *Runner) float() float64 {
	r.rngMu.Lock()
	defer r.rngMu.Unlock()
	return r.rng.Float64()
}

func (r *Runner) target() string {
	return r.cfg.Targets[int(r.next.Add(1))%len(r.cfg.Targets)]
}

// Run seeds the volunteers, sends the load, waits for it to settle and
// checks the books. It returns the report even when the books do not
// balance; an error means the run itself could not be made.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	if err := r.seedVolunteers(ctx); err != nil {
		return nil, err
	}
	r.t0 = time.Now()
	if r.onStart != nil {
		r.onStart()
	}
	r.mu.Lock()
	r.lastSent = r.t0
	r.mu.Unlock()
	sendDur := r.drive(ctx)
	r.drain(ctx)
	r.closed.Store(true)
	r.bg.Wait()
	books, err := r.checkBooks(ctx)
	if err != nil {
		return nil, err
	}
	return r.report(sendDur, books), nil
}

// drive sends Rate requests per second for Duration, open loop: a request
// is due at its time whatever the previous ones are doing.
func (r *Runner) drive(ctx context.Context) time.Duration {
	total := int(math.Round(r.cfg.Rate * r.cfg.Duration.Seconds()))
	sem := make(chan struct{}, r.cfg.MaxInFlight)
	var wg sync.WaitGroup
	mix := r.cfg.MixSMS + r.cfg.MixVoice + r.cfg.MixWeb
	fmt.Fprintf(r.cfg.Log, "loadgen: %d requests at %.0f/s to %s\n", total, r.cfg.Rate, strings.Join(r.cfg.Targets, ", "))
	for i := 0; i < total; i++ {
		due := r.t0.Add(time.Duration(float64(i) / r.cfg.Rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				wg.Wait()
				return time.Since(r.t0)
			}
		}
		select {
		case sem <- struct{}{}:
		default:
			r.countErr("generator_saturated")
			continue
		}
		x := r.float() * mix
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			switch {
			case x < r.cfg.MixSMS:
				r.sms(ctx, i)
			case x < r.cfg.MixSMS+r.cfg.MixVoice:
				r.voice(ctx, i)
			default:
				r.web(ctx, i)
			}
		}()
	}
	wg.Wait()
	return time.Since(r.t0)
}

// clientPhone is the number request i comes from: each known client once
// (a client's second text would be taken as a message for the volunteer
// helping them, not as a new request), then new numbers.
func (r *Runner) clientPhone(i int) string {
	if i < len(r.cfg.ClientPhones) {
		return r.cfg.ClientPhones[i]
	}
	return fmt.Sprintf("+7707%07d", (r.cfg.RunID*100003+int64(i))%10000000)
}

var descriptions = []string{
	"Здравствуйте, нужно проводить маму в поликлинику завтра утром",
	"Сәлеметсіз бе, дәріханадан дәрі алып келу керек",
	"Salemetsiz be, dariqanadan dari alyp kelu kerek",
	"Hello, I need help carrying groceries up to the 5th floor",
	"Нужна помощь по дому: поменять лампочку, вынести мусор",
	"Емханаға апарып жіберу керек, мүгедектер арбасы бар",
}

func (r *Runner) newIntake(channel, phone string) *intake {
	in := &intake{channel: channel, phone: phone}
	r.mu.Lock()
	r.intakes = append(r.intakes, in)
	r.mu.Unlock()
	return in
}

func (r *Runner) sms(ctx context.Context, i int) {
	in := r.newIntake(GroupSMS, r.clientPhone(i))
	form := url.Values{"MessageSid": {"SM" + randHex(16)}, "AccountSid": {twiliotest.AccountSID},
		"From": {in.phone}, "To": {r.cfg.ServiceNumber}, "Body": {descriptions[i%len(descriptions)]}, "NumMedia": {"0"}}
	in.start = time.Now()
	st, n := r.webhook(ctx, GroupSMS, "/twilio/sms", form)
	r.mu.Lock()
	in.attempts, in.accepted = n, st/100 == 2
	r.mu.Unlock()
}

// voice walks one call through the keypad menu: language, kind of help,
// recorded description, which makes the ticket; then Twilio's report that
// the call ended, which makes it if the call could not.
func (r *Runner) voice(ctx context.Context, i int) {
	in := r.newIntake(GroupVoice, r.clientPhone(i))
	sid := "CA" + randHex(16)
	base := url.Values{"CallSid": {sid}, "AccountSid": {twiliotest.AccountSID}, "From": {in.phone},
		"To": {r.cfg.ServiceNumber}, "Direction": {"inbound"}, "CallStatus": {"in-progress"}}
	steps := []struct {
		path  string
		extra url.Values
	}{
		{"/twilio/voice", url.Values{"CallStatus": {"ringing"}}},
		{"/twilio/voice/lang", url.Values{"Digits": {"2"}}},
		{"/twilio/voice/category", url.Values{"Digits": {"1"}}},
		{"/twilio/voice/recorded", url.Values{"RecordingUrl": {"https://api.twilio.com/2010-04-01/Accounts/" +
			twiliotest.AccountSID + "/Recordings/RE" + randHex(16)}, "RecordingDuration": {"12"}, "Digits": {"hangup"}}},
		// The call's end, which Twilio reports whatever happened: the
		// service's second chance to make a ticket it could not make
		// during the call.
		{"/twilio/voice/status", url.Values{"CallStatus": {"completed"}, "CallDuration": {"40"}}},
	}
	for k, s := range steps {
		form := url.Values{}
		for key, v := range base {
			form[key] = v
		}
		for key, v := range s.extra {
			form[key] = v
		}
		const recorded = 3 // the step that makes the ticket
		if k == recorded {
			in.start = time.Now()
		}
		st, n := r.webhook(ctx, GroupVoice, s.path, form)
		if st/100 != 2 && k < recorded {
			r.mu.Lock()
			in.attempts = n
			r.mu.Unlock()
			return // the caller hung up on an error
		}
		r.mu.Lock()
		switch {
		case k == recorded:
			in.attempts, in.accepted = n, st/100 == 2
		case k > recorded && st/100 != 2:
			in.accepted = false // the end of the call was refused too
		}
		r.mu.Unlock()
	}
}

// web submits a partner organisation's request with a location, so that it
// is matched at once.
func (r *Runner) web(ctx context.Context, i int) {
	in := r.newIntake(GroupWeb, r.clientPhone(i))
	loc := jitter(r.float(), r.float(), r.cfg.Centre, r.cfg.SpreadKM)
	body, _ := json.Marshal(map[string]any{"phone": in.phone, "name": "Нагрузочный тест", "category": "shopping",
		"description": descriptions[i%len(descriptions)], "language": "ru", "location": loc, "urgency": "normal"})
	tok := r.cfg.APITokens[i%len(r.cfg.APITokens)]
	key := "loadgen-" + randHex(12)
	in.start = time.Now()
	var code string
	st, n := r.attempt(ctx, GroupWeb, func(base string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/requests", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", key)
		return req, nil
	}, func(b []byte) {
		var t struct {
			Code string `json:"code"`
		}
		if json.Unmarshal(b, &t) == nil {
			code = t.Code
		}
	})
	r.mu.Lock()
	in.attempts, in.accepted, in.code = n, st/100 == 2, code
	r.mu.Unlock()
}

// webhook posts a signed Twilio webhook, again on failure.
func (r *Runner) webhook(ctx context.Context, group, path string, form url.Values) (status, attempts int) {
	enc := form.Encode()
	sig := twiliotest.Sign(r.cfg.WebhookToken, strings.TrimRight(r.cfg.PublicBaseURL, "/")+path, form)
	return r.attempt(ctx, group, func(base string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(enc))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		return req, nil
	}, nil)
}

// attempt sends a request made by mk to the targets in turn until one
// answers below 500 or the retries run out. It returns the last status (0:
// no answer) and how many times it was sent.
func (r *Runner) attempt(ctx context.Context, group string, mk func(base string) (*http.Request, error), read func([]byte)) (int, int) {
	status, n := 0, 0
	for try := 0; try <= r.cfg.Retries; try++ {
		if try > 0 {
			select {
			case <-time.After(r.cfg.RetryBackoff):
			case <-ctx.Done():
				return status, n
			}
		}
		req, err := mk(r.target())
		if err != nil {
			r.countErr("request_build")
			return 0, n
		}
		n++
		start := time.Now()
		resp, err := r.client.Do(req)
		if err != nil {
			r.countErr(errKind(err))
			status = 0
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lat := time.Since(start)
		status = resp.StatusCode
		r.mu.Lock()
		r.samples = append(r.samples, sample{at: start.Sub(r.t0), latency: lat, group: group, status: status})
		r.mu.Unlock()
		if status/100 != 2 {
			r.countErr(fmt.Sprintf("%s_http_%d", group, status))
		}
		if status < 500 {
			if status/100 == 2 && read != nil {
				read(b)
			}
			return status, n
		}
	}
	return status, n
}

func (r *Runner) countErr(kind string) {
	r.mu.Lock()
	r.errs[kind]++
	r.mu.Unlock()
}

// errKind names a transport failure without its addresses.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection_reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "transport_other"
}

// drain waits until every accepted request's confirmation went out and
// then nothing was sent for Quiet, or until Drain passes.
func (r *Runner) drain(ctx context.Context) {
	end := time.Now()
	deadline := end.Add(r.cfg.Drain)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		last, confirmed, accepted := r.lastSent, 0, 0
		for _, cs := range r.confirms {
			confirmed += len(cs)
		}
		for _, in := range r.intakes {
			if in.accepted {
				accepted++
			}
		}
		r.mu.Unlock()
		if last.Before(end) {
			last = end
		}
		quiet := time.Since(last) > r.cfg.Quiet
		if quiet && confirmed < accepted {
			// Texts whose answer Twilio "lost" never passed the front;
			// the fake holds them.
			confirmed = r.confirmedByTwilio()
		}
		if quiet && confirmed >= accepted {
			return
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
	fmt.Fprintf(r.cfg.Log, "loadgen: texts still flowing after the drain of %v\n", r.cfg.Drain)
}

// confirmedByTwilio counts the distinct tickets confirmed in every text the
// fake Twilio holds.
func (r *Runner) confirmedByTwilio() int {
	seen := map[string]bool{}
	for _, m := range r.fake.Messages() {
		if kind, code := r.fake.classify.Classify(m.Body); kind == KindReceived || kind == KindCallback {
			seen[code] = true
		}
	}
	return len(seen)
}

func jitter(a, b float64, c Point, km float64) Point {
	return Point{Lat: c.Lat + (a*2-1)*km/111.0, Lon: c.Lon + (b*2-1)*km/(111.0*math.Cos(c.Lat*math.Pi/180))}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
