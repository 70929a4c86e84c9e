// Command loadgen drives a running Dispatcher Service on this machine with
// signed Twilio webhooks and partner API requests, plays its volunteers
// through a fake Twilio it serves itself, and writes what it measured and
// whether the books balance into a report directory.
//
//	loadgen -fake-twilio 127.0.0.1:18099 -target http://127.0.0.1:8080 \
//	  -api-token "$(dispatcher token create load --role dispatcher)" \
//	  -rate 300 -duration 20s -out reports/run1
//
// `loadgen consoles` measures the live console instead (consoles.go), and
// `loadgen summary` turns reports into the tables of docs/performance.md.
//
// The service must run with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN of
// notify/twiliotest (AC000...0001 / 0123...cdef), TWILIO_API_BASE_URL set to
// the fake's URL and a short SMS_JOIN_WINDOW (1ms), so that every text is a request;
// scripts/bench.sh does all of it. The exit status is 1 when the books do
// not balance.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kz-volunteers/dispatcher/cmd/loadgen/load"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "summary" {
		return summary(args[1:], os.Stdout)
	}
	if len(args) > 0 && args[0] == "consoles" {
		return consoles(args[1:])
	}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	var c load.Config
	targets := fs.String("target", "http://127.0.0.1:8080", "the service's base URL(s), comma separated; loopback only")
	fs.StringVar(&c.PublicBaseURL, "public-base-url", "", "the service's PUBLIC_BASE_URL (default: the first target)")
	fs.StringVar(&c.WebhookToken, "auth-token", twiliotest.AuthToken, "the service's TWILIO_AUTH_TOKEN, which signs webhooks")
	tokens := fs.String("api-token", "", "API bearer token(s) with the dispatcher role, comma separated (or @file, one a line)")
	fs.Float64Var(&c.Rate, "rate", 100, "new requests for help per second")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to send")
	mix := fs.String("mix", "sms=0.7,voice=0.1,web=0.2", "shares of sms, voice and web requests")
	clients := fs.Int("clients", 0, "use the N clients `dispatcher seed --clients N` made (located, +77022000000 up); 0: a new number per request")
	centre := fs.String("centre", "51.1694,71.4491", "centre of the city (lat,lon) for web requests and seeded volunteers")
	fs.Float64Var(&c.SpreadKM, "spread-km", 8, "how far from the centre requests and volunteers are")
	fs.IntVar(&c.Volunteers.Seed, "volunteers", 0, "volunteers to create through the API first (+7705... numbers); 0: answer for those that exist")
	fs.Float64Var(&c.Volunteers.Accept, "accept", 0.7, "chance a volunteer accepts an offer")
	fs.Float64Var(&c.Volunteers.Decline, "decline", 0.2, "chance a volunteer declines (the rest let it expire)")
	fs.DurationVar(&c.Volunteers.AcceptDelay, "accept-delay", 0, "mean time before accepting")
	fs.DurationVar(&c.Volunteers.DeclineDelay, "decline-delay", 0, "mean time before declining")
	fs.DurationVar(&c.Volunteers.FinishDelay, "finish-delay", 2*time.Second, "mean time from assignment to \"3\" (done); negative: never")
	fs.BoolVar(&c.Volunteers.AnswerTwice, "answer-twice", false, "volunteers send every accept and done twice")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", 512, "most requests open at once")
	fs.IntVar(&c.Retries, "retries", 3, "resends of a webhook that got a 5xx or no answer, as Twilio retries")
	fs.DurationVar(&c.Drain, "drain", 30*time.Second, "longest wait for texts to settle before the books are checked")
	fakeAddr := fs.String("fake-twilio", "127.0.0.1:18099", "address the fake Twilio REST API listens on (the service's TWILIO_API_BASE_URL)")
	out := fs.String("out", "", "report directory (report.json, report.md, latency.svg); empty: print the table only")
	label := fs.String("label", "", "title of the report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.Targets = strings.Split(*targets, ",")
	if c.PublicBaseURL == "" {
		c.PublicBaseURL = c.Targets[0]
	}
	var err error
	if c.APITokens, err = readTokens(*tokens); err != nil {
		return err
	}
	if c.MixSMS, c.MixVoice, c.MixWeb, err = parseMix(*mix); err != nil {
		return err
	}
	if c.Centre, err = parsePoint(*centre); err != nil {
		return err
	}
	for i := 0; i < *clients; i++ {
		c.ClientPhones = append(c.ClientPhones, fmt.Sprintf("+7702%07d", 2000000+i))
	}
	c.Log = os.Stderr
	cls, err := load.NewClassifier()
	if err != nil {
		return err
	}
	fake, err := load.NewFakeTwilio(*fakeAddr, cls)
	if err != nil {
		return fmt.Errorf("loadgen: fake Twilio on %s: %w", *fakeAddr, err)
	}
	defer fake.Close()
	r, err := load.NewRunner(c, fake)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := r.Run(ctx)
	if err != nil {
		return err
	}
	rep.Label = *label
	fmt.Print(rep.Markdown())
	if *out != "" {
		if err := rep.Write(*out); err != nil {
			return err
		}
	}
	if !rep.Books.Balanced {
		fake.Close()
		os.Exit(1)
	}
	return nil
}

func readTokens(s string) ([]string, error) {
	if strings.HasPrefix(s, "@") {
		b, err := os.ReadFile(s[1:])
		if err != nil {
			return nil, fmt.Errorf("loadgen: -api-token: %w", err)
		}
		s = strings.ReplaceAll(string(b), "\n", ",")
	}
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out, nil
}

func parseMix(s string) (sms, voice, web float64, err error) {
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		f, perr := strconv.ParseFloat(v, 64)
		if !ok || perr != nil {
			return 0, 0, 0, fmt.Errorf("loadgen: -mix %q: write kind=share, for example sms=0.7,voice=0.1,web=0.2", s)
		}
		switch k {
		case "sms":
			sms = f
		case "voice":
			voice = f
		case "web":
			web = f
		default:
			return 0, 0, 0, fmt.Errorf("loadgen: -mix: unknown kind %q (sms, voice, web)", k)
		}
	}
	return sms, voice, web, nil
}

func parsePoint(s string) (load.Point, error) {
	a, b, ok := strings.Cut(s, ",")
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if !ok || err1 != nil || err2 != nil {
		return load.Point{}, fmt.Errorf("loadgen: %q is not lat,lon", s)
	}
	return load.Point{Lat: lat, Lon: lon}, nil
}
