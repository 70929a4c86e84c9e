package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/console"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

// openStore loads the settings and opens PostgreSQL, for the commands that
// need only the database.
func openStore(ctx context.Context, lookup func(string) (string, bool)) (*configs.Config, *postgres.DB, *postgres.Store, error) {
	cfg, err := configs.Load(lookup)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, db, postgres.NewStore(db, time.Now), nil
}

func cmdMigrate(ctx context.Context, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	_, db, store, err := openStore(ctx, lookup)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	// After the schema: volunteers entered before centres existed, or
	// before a centre's districts were redrawn, are placed by their home.
	// Idempotent, like the migrations, so every deploy may run it.
	n, err := store.PlaceVolunteers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "volunteers placed in centres: %d\n", n)
	return nil
}

// parseFlags parses flags that may come after positional arguments
// ("user add anna --role admin"), which the flag package alone does not.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) > 0 {
			pos = append(pos, args[0])
			args = args[1:]
		}
	}
	return pos, nil
}

func cmdUser(ctx context.Context, args []string, lookup func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return fmt.Errorf("usage: dispatcher user add NAME --role admin|coordinator|dispatcher|viewer [--centre ID] (password on stdin)")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "admin, coordinator, dispatcher or viewer")
	ifMissing := fs.Bool("if-missing", false, "do nothing when the user exists")
	centre := fs.Int64("centre", 0, "the centre (id) whose tickets the user sees; 0: every centre")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return fmt.Errorf("user add: give exactly one NAME")
	}
	r, err := dispatch.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("user add: --role: %s", dispatch.ErrorMessage(err))
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("user add: reading the password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if len([]rune(pw)) < 10 {
		return fmt.Errorf("user add: the password (on standard input) must have at least 10 characters")
	}
	_, db, store, err := openStore(ctx, lookup)
	if err != nil {
		return err
	}
	defer db.Close()
	if *ifMissing {
		if _, err := store.UserByName(ctx, pos[0]); err == nil {
			fmt.Fprintf(stdout, "user %s exists already\n", pos[0])
			return nil
		}
	}
	hash, err := console.HashPassword(pw)
	if err != nil {
		return err
	}
	u := &dispatch.User{Name: pos[0], Role: r, PasswordHash: hash}
	// One transaction: a user left without the centre asked for would
	// see every centre's tickets.
	err = store.InTx(ctx, func(r dispatch.Repo) error {
		if err := r.CreateUser(ctx, u); err != nil || *centre == 0 {
			return err
		}
		cr, err := dispatch.AsCentreRepo(r)
		if err != nil {
			return err
		}
		return cr.SetUserCentre(ctx, u.ID, *centre)
	})
	if err != nil {
		return fmt.Errorf("user add: %s", dispatch.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "user %s added with role %s\n", u.Name, u.Role)
	return nil
}

func cmdToken(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: dispatcher token create NAME --role admin|coordinator|dispatcher|viewer [--centre ID]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "admin, coordinator, dispatcher or viewer")
	centre := fs.Int64("centre", 0, "the centre (id) whose tickets the token sees; 0: every centre")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return fmt.Errorf("token create: give exactly one NAME")
	}
	r, err := dispatch.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("token create: --role: %s", dispatch.ErrorMessage(err))
	}
	_, db, store, err := openStore(ctx, lookup)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, hash := dispatch.NewAPIToken()
	tok := &dispatch.Token{Name: pos[0], Role: r, Hash: hash}
	// One transaction: a token left without its centre would see them all.
	err = store.InTx(ctx, func(r dispatch.Repo) error {
		if err := r.CreateToken(ctx, tok); err != nil || *centre == 0 {
			return err
		}
		tc, ok := r.(interface {
			SetTokenCentre(ctx context.Context, tokenID, centreID int64) error
		})
		if !ok {
			return dispatch.Errorf(dispatch.EINTERNAL, "the store cannot limit a token to a centre")
		}
		return tc.SetTokenCentre(ctx, tok.ID, *centre)
	})
	if err != nil {
		return fmt.Errorf("token create: %s", dispatch.ErrorMessage(err))
	}
	fmt.Fprintf(stderr, "token %s created with role %s; it is shown once, store it now:\n", pos[0], r)
	fmt.Fprintln(stdout, secret)
	return nil
}
