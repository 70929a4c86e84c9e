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
	_, db, _, err := openStore(ctx, lookup)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
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
		return fmt.Errorf("usage: dispatcher user add NAME --role admin|dispatcher|viewer (password on stdin)")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "admin, dispatcher or viewer")
	ifMissing := fs.Bool("if-missing", false, "do nothing when the user exists")
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
	if err := store.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("user add: %s", dispatch.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "user %s added with role %s\n", u.Name, u.Role)
	return nil
}

func cmdToken(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: dispatcher token create NAME --role admin|dispatcher|viewer")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "admin, dispatcher or viewer")
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
	if err := store.CreateToken(ctx, &dispatch.Token{Name: pos[0], Role: r, Hash: hash}); err != nil {
		return fmt.Errorf("token create: %s", dispatch.ErrorMessage(err))
	}
	fmt.Fprintf(stderr, "token %s created with role %s; it is shown once, store it now:\n", pos[0], r)
	fmt.Fprintln(stdout, secret)
	return nil
}
