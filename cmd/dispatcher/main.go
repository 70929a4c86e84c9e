// Command dispatcher runs the Dispatcher Service: a help hotline that turns
// calls, texts and web requests from people with disabilities into tickets and
// dispatches them to nearby volunteers.
//
//	dispatcher serve
//	dispatcher migrate
//	dispatcher seed [--if-empty]
//	dispatcher user add NAME --role admin|dispatcher|viewer   (password on stdin)
//	dispatcher token create NAME --role admin|dispatcher|viewer
//
// Settings come from the environment over the defaults in configs/.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dispatcher:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  dispatcher serve
  dispatcher migrate
  dispatcher seed [--if-empty]
  dispatcher user add NAME --role admin|dispatcher|viewer [--if-missing]   (password on stdin)
  dispatcher token create NAME --role admin|dispatcher|viewer             (prints the token last)
  dispatcher route --unrouted                                             (puts tickets with a place in their centre)`

// run is main without the process: tests call it with their own environment
// and streams.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("no command\n%s", usage)
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], lookup, stderr)
	case "migrate":
		return cmdMigrate(ctx, lookup, stdout, stderr)
	case "seed":
		return cmdSeed(ctx, args[1:], lookup, stdout, stderr)
	case "user":
		return cmdUser(ctx, args[1:], lookup, stdin, stdout, stderr)
	case "token":
		return cmdToken(ctx, args[1:], lookup, stdout, stderr)
	case "route":
		return cmdRoute(ctx, args[1:], lookup, stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}
