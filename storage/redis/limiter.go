package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// limitScript counts one attempt in a sliding window approximated from two
// fixed windows: the current window's count plus the previous window's,
// weighted by how much of it still overlaps the sliding window. That is
// exact at window edges and within a few percent inside, with two small
// counters per key instead of one entry per attempt.
//
//	KEYS[1] counter of the current window
//	KEYS[2] counter of the previous window
//	ARGV[1] limit
//	ARGV[2] window length in ms
//	ARGV[3] ms elapsed in the current window
//
// It returns 1 and counts the attempt when it is within the limit, 0 and
// counts nothing when it is not.
var limitScript = goredis.NewScript(`
local limit = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local weight = (per - tonumber(ARGV[3])) / per
if cur + prev * weight >= limit then return 0 end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], per * 2)
return 1
`)

// Limiter is dispatch.Limiter on Redis, shared by every process.
type Limiter struct {
	c   *Client
	now func() time.Time
}

var _ dispatch.Limiter = (*Limiter)(nil)

// NewLimiter returns the rate limiter.
func NewLimiter(c *Client) *Limiter { return &Limiter{c: c, now: time.Now} }

// Allow records an attempt under key and reports whether it is within limit
// per period.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, per time.Duration) (bool, error) {
	const op = "redis.Limiter.Allow"
	if limit <= 0 || per < time.Millisecond {
		return false, dispatch.E(op, dispatch.Errorf(dispatch.EINVALID,
			"Rate limit %d per %s must be positive.", limit, per))
	}
	ms := l.now().UnixMilli()
	perMs := per.Milliseconds()
	window := ms / perMs
	keys := []string{l.c.limitKey(key, window), l.c.limitKey(key, window-1)}
	ok, err := limitScript.Run(ctx, l.c.rdb, keys, limit, perMs, ms%perMs).Int()
	if err != nil {
		return false, fail(op, err)
	}
	return ok == 1, nil
}
