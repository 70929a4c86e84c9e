package main

import (
	"context"
	"fmt"
	"io"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// cmdRoute is "dispatcher route --unrouted": the backfill that puts every
// ticket with a place and no centre in its district's centre, as intake
// does for new tickets (tickets made before centres existed, or whose
// routing failed). Safe to run again: routed tickets are not read.
func cmdRoute(ctx context.Context, args []string, lookup func(string) (string, bool), stdout io.Writer) error {
	if len(args) != 1 || args[0] != "--unrouted" {
		return fmt.Errorf("usage: dispatcher route --unrouted")
	}
	_, db, store, err := openStore(ctx, lookup)
	if err != nil {
		return err
	}
	defer db.Close()
	routed, left, err := dispatch.NewRouter(store, nil).RouteUnrouted(ctx)
	if err != nil {
		return fmt.Errorf("route: %s", dispatch.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "routed %d tickets; %d lie in no centre's area and stay unrouted\n", routed, left)
	return nil
}
