package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

const (
	// DefaultLease is how long a claimed ticket stays with its engine before
	// RequeueExpired hands it to another.
	DefaultLease = time.Minute
	// defaultMaxBlock bounds one BLPOP: go-redis does not interrupt a
	// blocking read when its context is cancelled, so a shorter block is what
	// lets Claim return within this long after shutdown begins. A Push still
	// wakes a blocked claimer at once.
	defaultMaxBlock = time.Second
	// wakeCap bounds the wake list (see pushScript).
	wakeCap = 64
	// requeueBatch bounds the work of one RequeueExpired script call.
	requeueBatch = 500
)

// Queue is dispatch.Queue on Redis: two ready sorted sets (urgent, normal)
// scored by due time, a leased set scored by lease deadline, a hash of lease
// tokens, and a wake list that blocked claimers wait on. Any number of
// processes share one Queue through Redis.
type Queue struct {
	c        *Client
	lease    time.Duration
	maxBlock time.Duration
	now      func() time.Time
	// beforeBlock, when set (by tests), runs when Claim found nothing due
	// and is about to block.
	beforeBlock func()
}

var _ dispatch.Queue = (*Queue)(nil)

// NewQueue returns the dispatch queue. A claimed ticket that is not acked
// within lease (DefaultLease when zero) is put back by RequeueExpired.
func NewQueue(c *Client, lease time.Duration) *Queue {
	if lease <= 0 {
		lease = DefaultLease
	}
	return &Queue{c: c, lease: lease, maxBlock: defaultMaxBlock, now: time.Now}
}

// Push schedules ticket id for due; see pushScript for a ticket that is
// queued or leased already.
func (q *Queue) Push(ctx context.Context, id int64, due time.Time, u dispatch.Urgency) error {
	const op = "redis.Queue.Push"
	if id <= 0 {
		return dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "Ticket id %d is not positive.", id))
	}
	if !u.Valid() {
		return dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "Urgency %q is not normal or urgent.", u))
	}
	other := dispatch.UrgencyNormal
	if u == dispatch.UrgencyNormal {
		other = dispatch.UrgencyUrgent
	}
	keys := []string{q.c.queueKey(u), q.c.queueKey(other), q.c.queueWakeKey()}
	err := pushScript.Run(ctx, q.c.rdb, keys, id, due.UnixMilli(), wakeCap).Err()
	return fail(op, err)
}

// Claim leases the next due ticket, urgent first. When none is due it blocks
// on the wake list until a Push, the earliest future due time or the end of
// wait, whichever comes first; wait zero means one look without blocking.
func (q *Queue) Claim(ctx context.Context, wait time.Duration) (dispatch.Lease, error) {
	const op = "redis.Queue.Claim"
	deadline := q.now().Add(wait)
	for {
		token, err := newToken()
		if err != nil {
			return dispatch.Lease{}, dispatch.E(op, err)
		}
		now := q.now()
		keys := []string{q.c.queueKey(dispatch.UrgencyUrgent), q.c.queueKey(dispatch.UrgencyNormal),
			q.c.leasedKey(), q.c.leaseTokensKey()}
		res, err := claimScript.Run(ctx, q.c.rdb, keys, now.UnixMilli(), now.Add(q.lease).UnixMilli(), token).Slice()
		if err != nil {
			return dispatch.Lease{}, fail(op, err)
		}
		if id, _ := res[0].(string); id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return dispatch.Lease{}, dispatch.E(op, err)
			}
			return dispatch.Lease{TicketID: n, Token: token}, nil
		}

		block := deadline.Sub(now)
		if block <= 0 {
			return dispatch.Lease{}, dispatch.E(op, dispatch.Errorf(dispatch.ENOTFOUND, "No ticket is due."))
		}
		if next, _ := res[1].(int64); next >= 0 && time.Duration(next)*time.Millisecond < block {
			block = time.Duration(next) * time.Millisecond
		}
		if q.beforeBlock != nil {
			q.beforeBlock()
		}
		if err := q.block(ctx, max(min(block, q.maxBlock), time.Millisecond)); err != nil {
			return dispatch.Lease{}, fail(op, err)
		}
		if err := ctx.Err(); err != nil {
			return dispatch.Lease{}, dispatch.E(op, err)
		}
	}
}

// block waits on the wake list for up to d.
func (q *Queue) block(ctx context.Context, d time.Duration) error {
	var err error
	if d >= time.Second {
		// BLPop stretches the read timeout to cover the block.
		err = q.c.rdb.BLPop(ctx, d.Truncate(time.Second), q.c.queueWakeKey()).Err()
	} else {
		// go-redis's BLPop rounds to whole seconds, too coarse for a ticket
		// due in 300ms; Redis takes a fraction, and a block under a second
		// is within the default read timeout.
		secs := strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
		err = q.c.rdb.Do(ctx, "BLPOP", q.c.queueWakeKey(), secs).Err()
	}
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	return err
}

// Ack ends a lease. A lease that is no longer the caller's (it ran out and was
// requeued, or the ticket was claimed again after a Push) is left alone: its
// new holder acks it.
func (q *Queue) Ack(ctx context.Context, l dispatch.Lease) error {
	keys := []string{q.c.leasedKey(), q.c.leaseTokensKey()}
	return fail("redis.Queue.Ack", ackScript.Run(ctx, q.c.rdb, keys, l.TicketID, l.Token).Err())
}

// Has reports which of ids are ready or leased, for the reconciler.
func (q *Queue) Has(ctx context.Context, ids []int64) (map[int64]bool, error) {
	const op = "redis.Queue.Has"
	out := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	keys := []string{q.c.queueKey(dispatch.UrgencyUrgent), q.c.queueKey(dispatch.UrgencyNormal), q.c.leasedKey()}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	found, err := hasScript.Run(ctx, q.c.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, fail(op, err)
	}
	for i, id := range ids {
		out[id] = found[i] == 1
	}
	return out, nil
}

// RequeueExpired puts back every ticket whose lease ran out and returns how
// many it moved.
func (q *Queue) RequeueExpired(ctx context.Context) (int, error) {
	const op = "redis.Queue.RequeueExpired"
	keys := []string{q.c.queueKey(dispatch.UrgencyUrgent), q.c.queueKey(dispatch.UrgencyNormal),
		q.c.leasedKey(), q.c.leaseTokensKey(), q.c.queueWakeKey()}
	total := 0
	for {
		n, err := requeueScript.Run(ctx, q.c.rdb, keys, q.now().UnixMilli(), requeueBatch, wakeCap).Int()
		if err != nil {
			return total, fail(op, err)
		}
		total += n
		if n < requeueBatch {
			return total, nil
		}
	}
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
