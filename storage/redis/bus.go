package redis

import (
	"context"
	"encoding/json"

	"github.com/kz-volunteers/dispatcher/dispatch"
	goredis "github.com/redis/go-redis/v9"
)

// busBuffer is how many events a subscriber may fall behind before the bus
// blocks on it; the console reloads from PostgreSQL (Last-Event-ID) anyway.
const busBuffer = 64

// Bus is dispatch.EventBus over Redis PUBLISH/SUBSCRIBE: JSON events on one
// channel under the prefix, so that an event on any process reaches every
// open console. Pub/sub delivers at most once; an event published while a
// subscriber is disconnected is lost to it, which the console makes good by
// resuming from the audit rows in PostgreSQL.
type Bus struct {
	c *Client
}

var _ dispatch.EventBus = (*Bus)(nil)

// NewBus returns the event bus.
func NewBus(c *Client) *Bus { return &Bus{c: c} }

// Publish sends e to every subscriber on every process.
func (b *Bus) Publish(ctx context.Context, e dispatch.Event) error {
	const op = "redis.Bus.Publish"
	data, err := json.Marshal(e)
	if err != nil {
		return dispatch.E(op, err)
	}
	return fail(op, b.c.rdb.Publish(ctx, b.c.eventsChannel(), data).Err())
}

// Subscribe returns once Redis has confirmed the subscription, so that every
// event published after it returns is delivered. The channel is closed when
// ctx ends; the goroutine that feeds it ends then too. A message that is not
// a valid event is skipped.
//
// It is also closed when the connection was lost and go-redis subscribed
// again: what was published in between is gone, and only the subscriber
// can catch up (the console's streams reconnect and replay from
// PostgreSQL), so it must learn of the gap rather than see a silent hole.
func (b *Bus) Subscribe(ctx context.Context) (<-chan dispatch.Event, error) {
	const op = "redis.Bus.Subscribe"
	ps := b.c.rdb.Subscribe(ctx, b.c.eventsChannel())
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, fail(op, err)
	}
	// The first confirmation was read above: a later one is a resubscription.
	in := ps.ChannelWithSubscriptions()
	out := make(chan dispatch.Event, busBuffer)
	go func() {
		defer close(out)
		defer ps.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case msg, ok := <-in:
				if !ok {
					return
				}
				m, isMessage := msg.(*goredis.Message)
				if !isMessage {
					return // resubscribed after a lost connection
				}
				var e dispatch.Event
				if json.Unmarshal([]byte(m.Payload), &e) != nil {
					continue
				}
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
