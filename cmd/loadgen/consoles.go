package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kz-volunteers/dispatcher/cmd/loadgen/load"
)

// consoles is `loadgen consoles`: N live consoles of one dispatcher follow
// /console/events while notes are added to tickets through the API, and
// the report says how long each note took to reach each console and
// whether any was lost, doubled or shown to another centre's dispatcher.
//
//	loadgen consoles -target http://127.0.0.1:8080 -api-token @tokens \
//	  -user bench -password-file pw -centre 1 -consoles 1000 -console-rate 20
//
// The exit status is 1 when a stream lost, doubled or leaked a note.
func consoles(args []string) error {
	fs := flag.NewFlagSet("loadgen consoles", flag.ContinueOnError)
	var c load.ConsoleConfig
	targets := fs.String("target", "http://127.0.0.1:8080", "the service's base URL(s), comma separated; loopback only")
	tokens := fs.String("api-token", "", "API bearer token(s) with the dispatcher role, comma separated (or @file, one a line); each may write 600 times a minute")
	fs.StringVar(&c.User, "user", "", "console user (dispatcher user add NAME --role dispatcher [--centre ID])")
	pwFile := fs.String("password-file", "", "file whose first line is the user's password")
	fs.Int64Var(&c.Centre, "centre", 0, "the user's centre id (0: the user sees every centre)")
	fs.IntVar(&c.Streams, "consoles", 100, "open console streams")
	fs.Float64Var(&c.Rate, "console-rate", 20, "ticket changes (notes) per second")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to make changes")
	fs.IntVar(&c.Tickets, "tickets", 0, "tickets the notes go round (0: twice the rate, at least 10)")
	places := fs.String("places", "51.20,71.37;51.12,71.40", "where the tickets are, lat,lon;lat,lon (default: two Astana centres)")
	fs.DurationVar(&c.Drain, "drain", 10*time.Second, "longest wait for the last notes to arrive")
	out := fs.String("out", "", "report directory (report.json, report.md, latency.svg)")
	label := fs.String("label", "", "title of the report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.Targets = strings.Split(*targets, ",")
	var err error
	if c.APITokens, err = readTokens(*tokens); err != nil {
		return err
	}
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("loadgen: -password-file: %w", err)
		}
		c.Password = strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r")
	}
	for _, p := range strings.Split(*places, ";") {
		pt, err := parsePoint(p)
		if err != nil {
			return err
		}
		c.Places = append(c.Places, pt)
	}
	c.Log = os.Stderr
	r, err := load.NewConsoleRunner(c)
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
	if !rep.Clean() {
		os.Exit(1)
	}
	return nil
}
