package redis

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// The journal's Lua scripts. An entry lives in the entries hash from Append
// to Ack; its id is in the ready list while it waits and in the leased set
// (with its owner in the owners hash) while a replayer holds it, never in
// both. Times are Unix milliseconds of the calling process's clock.

// journalAppendScript keeps an entry and queues it when it is new.
//
//	KEYS[1] entries hash
//	KEYS[2] ready list
//	ARGV[1] entry id
//	ARGV[2] entry (JSON)
//
// It returns 1 when the entry is new, 0 when it replaced one kept already
// (which is waiting or leased, so it is not queued again).
var journalAppendScript = goredis.NewScript(`
local new = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if new == 1 then redis.call('RPUSH', KEYS[2], ARGV[1]) end
return new
`)

// journalLeaseScript leases up to n entries: first those whose lease ran out
// (their replayer died), then the oldest waiting.
//
//	KEYS[1] entries hash
//	KEYS[2] ready list
//	KEYS[3] leased set
//	KEYS[4] owners hash
//	KEYS[5] attempts hash
//	ARGV[1] now
//	ARGV[2] lease deadline
//	ARGV[3] n
//	ARGV[4] owner
//
// It returns a flat list of id, entry, attempts for each leased entry. An id
// whose entry is gone (acked meanwhile) is dropped from every structure.
var journalLeaseScript = goredis.NewScript(`
local n = tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, n)
while #ids < n do
  local id = redis.call('LPOP', KEYS[2])
  if not id then break end
  ids[#ids + 1] = id
end
local out = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGET', KEYS[1], id)
  if body then
    redis.call('ZADD', KEYS[3], ARGV[2], id)
    redis.call('HSET', KEYS[4], id, ARGV[4])
    out[#out + 1] = id
    out[#out + 1] = body
    out[#out + 1] = redis.call('HGET', KEYS[5], id) or '0'
  else
    redis.call('ZREM', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
  end
end
return out
`)

// journalAckScript removes a replayed entry, whoever holds it.
//
//	KEYS[1] entries hash
//	KEYS[2] leased set
//	KEYS[3] owners hash
//	KEYS[4] attempts hash
//	ARGV[1] entry id
//
// An id left in the ready list (it cannot be, but if) is dropped by the
// next lease, which finds no entry for it.
var journalAckScript = goredis.NewScript(`
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
`)

// journalReleaseScript puts a leased entry back at the end of the line if
// the caller still holds it.
//
//	KEYS[1] ready list
//	KEYS[2] leased set
//	KEYS[3] owners hash
//	KEYS[4] attempts hash
//	ARGV[1] entry id
//	ARGV[2] owner
//	ARGV[3] "1" to count a failed attempt
//
// It returns 1 when put back, 0 when the entry was no longer the caller's.
var journalReleaseScript = goredis.NewScript(`
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[4], ARGV[1], 1) end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
`)

// Journal is dispatch.Journal on Redis: what intake accepted while
// PostgreSQL was away, kept until a replayer in any process has replayed
// it. Redis must keep it: a deployment that wants it to survive a Redis
// restart runs Redis with appendonly.
type Journal struct {
	c   *Client
	now func() time.Time
}

var _ dispatch.Journal = (*Journal)(nil)

// NewJournal returns the journal.
func NewJournal(c *Client) *Journal { return &Journal{c: c, now: time.Now} }

// Append keeps e; see journalAppendScript for an id kept already.
func (j *Journal) Append(ctx context.Context, e *dispatch.JournalEntry) error {
	const op = "redis.Journal.Append"
	if err := e.Validate(); err != nil {
		return dispatch.E(op, err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return dispatch.E(op, err)
	}
	keys := []string{j.c.journalEntriesKey(), j.c.journalReadyKey()}
	return fail(op, journalAppendScript.Run(ctx, j.c.rdb, keys, e.ID(), body).Err())
}

// Lease takes up to n entries for lease long in owner's name. An entry that
// cannot be read is removed and named in the error, which may come with the
// entries that could.
func (j *Journal) Lease(ctx context.Context, owner string, n int, lease time.Duration) ([]*dispatch.JournalEntry, error) {
	const op = "redis.Journal.Lease"
	if n <= 0 || owner == "" || lease <= 0 {
		return nil, dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "a lease needs an owner, a positive count and a positive time"))
	}
	now := j.now()
	keys := []string{j.c.journalEntriesKey(), j.c.journalReadyKey(), j.c.journalLeasedKey(),
		j.c.journalOwnersKey(), j.c.journalAttemptsKey()}
	res, err := journalLeaseScript.Run(ctx, j.c.rdb, keys, now.UnixMilli(), now.Add(lease).UnixMilli(), n, owner).StringSlice()
	if err != nil {
		return nil, fail(op, err)
	}
	out := make([]*dispatch.JournalEntry, 0, len(res)/3)
	var bad []string
	for i := 0; i+2 < len(res); i += 3 {
		e := &dispatch.JournalEntry{}
		if err := json.Unmarshal([]byte(res[i+1]), e); err != nil || e.ID() != res[i] {
			// It can never be replayed: removed, and reported by id only,
			// since its body holds personal data.
			bad = append(bad, res[i])
			_ = j.Ack(ctx, res[i])
			continue
		}
		e.Attempts, _ = strconv.Atoi(res[i+2])
		out = append(out, e)
	}
	if len(bad) > 0 {
		return out, dispatch.E(op, dispatch.Errorf(dispatch.EINTERNAL, "unreadable journal entries removed: %q", bad))
	}
	return out, nil
}

// Ack removes a replayed entry.
func (j *Journal) Ack(ctx context.Context, id string) error {
	keys := []string{j.c.journalEntriesKey(), j.c.journalLeasedKey(), j.c.journalOwnersKey(), j.c.journalAttemptsKey()}
	return fail("redis.Journal.Ack", journalAckScript.Run(ctx, j.c.rdb, keys, id).Err())
}

// Release puts an entry owner holds back in line.
func (j *Journal) Release(ctx context.Context, id, owner string, failed bool) error {
	keys := []string{j.c.journalReadyKey(), j.c.journalLeasedKey(), j.c.journalOwnersKey(), j.c.journalAttemptsKey()}
	f := "0"
	if failed {
		f = "1"
	}
	return fail("redis.Journal.Release", journalReleaseScript.Run(ctx, j.c.rdb, keys, id, owner, f).Err())
}

// Depth is how many entries wait or are leased.
func (j *Journal) Depth(ctx context.Context) (int64, error) {
	n, err := j.c.rdb.HLen(ctx, j.c.journalEntriesKey()).Result()
	return n, fail("redis.Journal.Depth", err)
}
