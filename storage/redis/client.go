// Package redis is the fast path of the Dispatcher Service on Redis: the
// dispatch queue, the volunteers' geo index, the event bus that feeds live
// consoles, the outbox waker and the rate limiter. PostgreSQL stays the source
// of truth; everything here can be lost (a FLUSHALL, a failover) and is put
// back by the reconcilers from PostgreSQL.
//
// The client is go-redis's UniversalClient, so a single server, a Sentinel
// group and a Cluster all work from one REDIS_URL (see ParseURL).
//
// Cluster and keys: every key lives under the deployment's prefix, and keys
// that one script or transaction touches together carry the same hash tag:
// "{q}" for the queue, "{geo}" for the geo index, and a per-key tag for each
// rate limit counter pair. The prefix itself is kept free of braces by
// convention; if it holds a hash tag, every key lands in one slot, which is
// correct too, only less spread out.
package redis

import (
	"context"
	"errors"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Client is a connection to Redis with the deployment's key prefix. It is
// safe for concurrent use; Queue, GeoIndex, Bus, Waker and Limiter share it.
type Client struct {
	rdb    goredis.UniversalClient
	prefix string
}

// Open parses url (REDIS_URL, see ParseURL), connects and checks that Redis
// answers. Every key it writes starts with prefix (REDIS_PREFIX).
func Open(ctx context.Context, url, prefix string) (*Client, error) {
	const op = "redis.Open"
	c, err := NewClient(url, prefix)
	if err != nil {
		return nil, dispatch.E(op, err)
	}
	if err := c.Ping(ctx); err != nil {
		_ = c.rdb.Close()
		return nil, dispatch.E(op, err)
	}
	return c, nil
}

// NewClient is Open without the check: it only parses url, and connects on
// first use, for a process that must start while Redis is still down (its
// /readyz reports Redis until it is back).
func NewClient(url, prefix string) (*Client, error) {
	opt, err := ParseURL(url)
	if err != nil {
		return nil, dispatch.E("redis.NewClient", err)
	}
	return &Client{rdb: goredis.NewUniversalClient(opt), prefix: prefix}, nil
}

// Ping checks that Redis answers, for /readyz.
func (c *Client) Ping(ctx context.Context) error {
	return fail("redis.Ping", c.rdb.Ping(ctx).Err())
}

// Close closes every connection. Subscriptions end with their contexts, which
// their owners cancel before calling Close.
func (c *Client) Close() error {
	return c.rdb.Close()
}

// fail gives a Redis error its op and code. A connection that failed, or a
// server that is loading, failing over or read-only, means Redis is
// unavailable (503); any other error reply (a wrong type, CROSSSLOT, a script
// error) is a bug (500); a cancelled context stays recognisable with
// errors.Is.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return dispatch.E(op, err)
	}
	var reply goredis.Error
	if errors.As(err, &reply) && !transient(reply.Error()) {
		return dispatch.E(op, err)
	}
	return &dispatch.Error{Code: dispatch.EUNAVAILABLE, Op: op, Message: "Redis is unavailable.", Err: err}
}

// transient reports whether an error reply means "not now" rather than "never".
func transient(msg string) bool {
	for _, p := range []string{"LOADING", "READONLY", "CLUSTERDOWN", "MASTERDOWN", "TRYAGAIN", "BUSY", "MOVED", "ASK"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
