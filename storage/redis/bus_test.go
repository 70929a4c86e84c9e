package redis

import (
	"context"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestBusAcrossClients(t *testing.T) {
	ctx := testCtx(t)
	a := testClient(t)
	b := testClientPrefix(t, a.prefix) // another process of the same deployment
	stranger := testClient(t)          // another deployment sharing the Redis

	subCtx, stop := context.WithCancel(ctx)
	events, err := NewBus(b).Subscribe(subCtx)
	must(t, err)
	// Published under another prefix: must not arrive.
	must(t, NewBus(stranger).Publish(ctx, dispatch.Event{ID: 99, TicketID: 99, Kind: "other"}))
	sent := []dispatch.Event{
		{ID: 1, TicketID: 7, Kind: "created", Status: dispatch.StatusNew},
		{ID: 2, TicketID: 7, Kind: "status", Status: dispatch.StatusQueued},
	}
	for _, e := range sent {
		must(t, NewBus(a).Publish(ctx, e))
	}
	for _, want := range sent {
		got := <-events
		if got != want {
			t.Fatalf("received %+v, want %+v", got, want)
		}
	}
	stop()
	// The channel is closed once ctx ends (anything still in flight may
	// arrive first).
	for range events {
	}
}
