package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/kz-volunteers/dispatcher/configs"
)

// cmdServe runs the service until SIGINT or SIGTERM, then finishes in-flight
// requests and background work and returns nil (exit status 0).
func cmdServe(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noMigrate := fs.Bool("no-migrate", false, "do not migrate at start (overrides MIGRATE_ON_START)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := configs.Load(lookup)
	if err != nil {
		return err
	}
	if *noMigrate {
		cfg.MigrateOnStart = false
	}
	logger := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	m := NewMain(cfg, logger)
	if err := m.Open(ctx); err != nil {
		return err
	}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case runErr = <-m.Errors():
		logger.Error("stopping after a failure", "err", runErr)
	}
	if err := m.Close(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return runErr
}

// cmdSeed writes the demo data: about 200 volunteers and 50 clients around
// Astana, Kokshetau and Pavlodar, and a few open tickets.
func cmdSeed(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ifEmpty := fs.Bool("if-empty", false, "do nothing when there are volunteers already")
	vols := fs.Int("volunteers", 200, "how many volunteers")
	clients := fs.Int("clients", 50, "how many clients")
	tickets := fs.Int("tickets", 8, "how many open tickets")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := configs.Load(lookup)
	if err != nil {
		return err
	}
	m := NewMain(cfg, newLogger(stderr, cfg.LogFormat, cfg.LogLevel))
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.closeConns()
	if *ifEmpty {
		if _, n, err := m.Store.Volunteers(ctx, dispatchFilterOne()); err != nil {
			return err
		} else if n > 0 {
			fmt.Fprintf(stdout, "seed: %d volunteers exist already, nothing added\n", n)
			return nil
		}
	}
	if err := seed(ctx, m.Store, m.Intake, m.Geo, seedPlan{Volunteers: *vols, Clients: *clients, Tickets: *tickets}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seed: %d volunteers, %d clients, %d tickets\n", *vols, *clients, *tickets)
	return nil
}
