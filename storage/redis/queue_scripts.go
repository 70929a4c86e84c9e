package redis

import goredis "github.com/redis/go-redis/v9"

// The queue's Lua scripts. Times are Unix milliseconds from the calling
// process's clock, the same clock that computed the due times it pushed.
// Members are ticket ids in decimal. The lease-token hash holds, per leased
// ticket, "u" or "n" (the urgency it was claimed with, so that a requeue puts
// it back where it was) followed by the token.

// pushScript schedules a ticket.
//
//	KEYS[1] ready set of the ticket's urgency
//	KEYS[2] ready set of the other urgency (the ticket leaves it: urgency changed)
//	KEYS[3] wake list
//	ARGV[1] ticket id
//	ARGV[2] due time
//	ARGV[3] wake list length cap
//
// A ticket that is leased stays leased and is also made ready: a Push during
// processing means "look again", which must not be lost. Every Push wakes one
// blocked claimer, which re-reads the earliest due time even when this ticket
// is for later. The wake list is capped, so that pushes nobody waited for do
// not pile up wake-ups.
var pushScript = goredis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('RPUSH', KEYS[3], '1')
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[3]), -1)
return 1
`)

// claimScript leases the earliest due ticket, urgent ones first.
//
//	KEYS[1] urgent ready set
//	KEYS[2] normal ready set
//	KEYS[3] leased set
//	KEYS[4] lease-token hash
//	ARGV[1] now
//	ARGV[2] lease deadline
//	ARGV[3] new lease token
//
// It returns {id} when it leased a ticket, or {"", ms} when none is due: ms is
// the time until the earliest future due ticket, -1 when the queue is empty.
// Claiming a ticket that is still leased (it was pushed again meanwhile)
// replaces the old lease: the old holder's Ack becomes a no-op.
var claimScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
local letters = {'u', 'n'}
for i = 1, 2 do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', now, 'LIMIT', 0, 1)
  if #ids > 0 then
    redis.call('ZREM', KEYS[i], ids[1])
    redis.call('ZADD', KEYS[3], ARGV[2], ids[1])
    redis.call('HSET', KEYS[4], ids[1], letters[i] .. ARGV[3])
    return {ids[1]}
  end
end
local next = -1
for i = 1, 2 do
  local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if #first > 0 then
    local wait = tonumber(first[2]) - now
    if next < 0 or wait < next then next = wait end
  end
end
return {'', next}
`)

// ackScript ends a lease if it is still the caller's.
//
//	KEYS[1] leased set
//	KEYS[2] lease-token hash
//	ARGV[1] ticket id
//	ARGV[2] lease token
//
// It returns 1 when the lease was the caller's and is gone, 0 otherwise. The
// ready sets are left alone: a Push during processing stays queued.
var ackScript = goredis.NewScript(`
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v or string.sub(v, 2) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`)

// requeueScript puts back tickets whose lease deadline has passed.
//
//	KEYS[1] urgent ready set
//	KEYS[2] normal ready set
//	KEYS[3] leased set
//	KEYS[4] lease-token hash
//	KEYS[5] wake list
//	ARGV[1] now
//	ARGV[2] most tickets to move in one call
//	ARGV[3] wake list length cap
//
// A ticket goes back to the set of the urgency it was claimed with, due now;
// if it is already there (pushed again meanwhile) the earlier due time wins
// (ZADD LT). It returns the number moved.
var requeueScript = goredis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  local v = redis.call('HGET', KEYS[4], id)
  local set = KEYS[2]
  if v and string.sub(v, 1, 1) == 'u' then set = KEYS[1] end
  redis.call('ZADD', set, 'LT', ARGV[1], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('RPUSH', KEYS[5], '1')
end
if #ids > 0 then redis.call('LTRIM', KEYS[5], -tonumber(ARGV[3]), -1) end
return #ids
`)

// hasScript reports, for each id in ARGV, 1 if it is ready or leased.
//
//	KEYS[1] urgent ready set
//	KEYS[2] normal ready set
//	KEYS[3] leased set
//	ARGV    ticket ids
var hasScript = goredis.NewScript(`
local out = {}
for i, id in ipairs(ARGV) do
  local found = 0
  for k = 1, 3 do
    if redis.call('ZSCORE', KEYS[k], id) then found = 1 break end
  end
  out[i] = found
end
return out
`)
