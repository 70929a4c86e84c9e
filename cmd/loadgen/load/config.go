// Package load drives a running Dispatcher Service the way its outside world
// does: signed Twilio SMS and voice webhooks, partner API requests, and a
// population of volunteers who answer the offers the service texts them
// through a fake Twilio. It measures what the service answered and how fast,
// and checks the books afterwards: every request became one ticket, no
// ticket went to two volunteers, no text left twice.
//
// cmd/loadgen is its command line; the fault tests in faults/ use it as a
// library while they break the service's processes and connections.
package load

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"
)

// Point is a place on the map.
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Astana is the default centre of the simulated city.
var Astana = Point{Lat: 51.1694, Lon: 71.4491}

// VolunteerConfig describes the simulated volunteers: how many are seeded
// through the API, where, and how they answer offers.
type VolunteerConfig struct {
	// Seed volunteers are created through the API before the load, with
	// phones from PhoneBase up; 0 relies on volunteers that exist
	// (`dispatcher seed`), who are answered for just the same, by the
	// number the offer went to.
	Seed      int
	PhoneBase int64 // first seeded number's last 7 digits, after +7705
	Centre    Point
	SpreadKM  float64
	// Accept and Decline are the chances an offer is accepted or declined;
	// the rest are left to expire.
	Accept, Decline float64
	// Mean delays of each answer (each drawn from half to one and a half
	// times the mean). A negative FinishDelay never reports the task done.
	AcceptDelay, DeclineDelay, FinishDelay time.Duration
	// AnswerTwice sends every accept and done a second time (a new text, a
	// new MessageSid), as a volunteer does who is not sure it arrived.
	AnswerTwice bool
}

// Config is one load run.
type Config struct {
	// Targets are the base URLs of the service's processes, used in turn.
	// Only loopback addresses are accepted: this tool is not for others'
	// servers.
	Targets []string
	// PublicBaseURL is the service's PUBLIC_BASE_URL, which signatures
	// cover; WebhookToken its Twilio (or development) auth token.
	PublicBaseURL, WebhookToken string
	// APITokens are bearer tokens with the dispatcher role for the web
	// share and for seeding. Several spread the API's per-token write limit,
	// as several partner organisations would.
	APITokens []string
	// ServiceNumber is the hotline's number (the To of incoming texts).
	ServiceNumber string

	Rate     float64 // new requests for help per second
	Duration time.Duration
	// Shares of SMS, voice and web (partner API) requests; normalised.
	MixSMS, MixVoice, MixWeb float64
	// ClientPhones are numbers of known clients with a home location (as
	// `dispatcher seed` makes them): texts and calls from them can be
	// matched at once. Each is used once; after them, and when empty, every
	// request comes from a new number, and texts and calls from a new
	// number, having no address, go to the dispatchers.
	ClientPhones []string
	// Centre and SpreadKM place web requests.
	Centre   Point
	SpreadKM float64

	Volunteers VolunteerConfig

	// MaxInFlight bounds concurrent requests; a request that finds no room
	// is counted as "generator_saturated" and not sent.
	MaxInFlight int
	// Retries is how many more times a webhook that got no answer or a 5xx
	// is sent (the same MessageSid/CallSid, to the next target), as Twilio
	// retries; RetryBackoff the pause before each.
	Retries      int
	RetryBackoff time.Duration
	Timeout      time.Duration // per request
	// Drain is the longest wait after the load for offers, answers and
	// texts to settle before the books are checked; Quiet ends it early
	// once nothing was sent for that long.
	Drain, Quiet time.Duration
	// RunID makes the numbers and ids of this run differ from earlier
	// runs against the same database.
	RunID int64
	Log   io.Writer
}

// Defaults fills the zero fields.
func (c *Config) Defaults() {
	if c.ServiceNumber == "" {
		c.ServiceNumber = "+77000000000"
	}
	if c.MixSMS+c.MixVoice+c.MixWeb == 0 {
		c.MixSMS, c.MixVoice, c.MixWeb = 0.7, 0.1, 0.2
	}
	if c.Centre == (Point{}) {
		c.Centre = Astana
	}
	if c.SpreadKM == 0 {
		c.SpreadKM = 8
	}
	if c.Volunteers.Centre == (Point{}) {
		c.Volunteers.Centre = c.Centre
	}
	if c.Volunteers.SpreadKM == 0 {
		c.Volunteers.SpreadKM = c.SpreadKM
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 512
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 200 * time.Millisecond
	}
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Second
	}
	if c.Drain == 0 {
		c.Drain = 30 * time.Second
	}
	if c.Quiet == 0 {
		c.Quiet = 3 * time.Second
	}
	if c.RunID == 0 {
		c.RunID = time.Now().Unix() % 100000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Validate names the first setting that is wrong.
func (c *Config) Validate() error {
	if len(c.Targets) == 0 {
		return errors.New("loadgen: no target URL")
	}
	for _, t := range c.Targets {
		if err := loopback(t); err != nil {
			return err
		}
	}
	switch {
	case c.Rate <= 0 || c.Rate > 20000:
		return fmt.Errorf("loadgen: rate %v must be above 0 and at most 20000 per second", c.Rate)
	case c.Duration <= 0 || c.Duration > time.Hour:
		return fmt.Errorf("loadgen: duration %v must be above 0 and at most an hour", c.Duration)
	case c.MixSMS < 0 || c.MixVoice < 0 || c.MixWeb < 0:
		return errors.New("loadgen: mix shares must not be negative")
	case len(c.APITokens) == 0:
		return errors.New("loadgen: an API token is needed for the web share, seeding and the books (dispatcher token create NAME --role dispatcher)")
	case c.Volunteers.Accept < 0 || c.Volunteers.Decline < 0 || c.Volunteers.Accept+c.Volunteers.Decline > 1:
		return errors.New("loadgen: accept and decline chances must be between 0 and 1 and add up to at most 1")
	case c.Volunteers.Seed > 1_000_000:
		return errors.New("loadgen: at most 1,000,000 volunteers")
	case c.PublicBaseURL == "" || c.WebhookToken == "":
		return errors.New("loadgen: the public base URL and the webhook token are needed to sign webhooks")
	}
	return nil
}

// loopback refuses a target that is not on this machine.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("loadgen: target %q is not a URL", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("loadgen: target %q is not a loopback address (127.0.0.1, ::1, localhost)", raw)
}
