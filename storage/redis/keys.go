package redis

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Every Redis key and channel name comes from one function below, so that the
// layout can be read in one place. Hash tags ({q}, {geo}) keep the keys that
// one script touches in one Cluster slot.

// queueKey is the sorted set of tickets of urgency u waiting to be claimed,
// scored by due time in Unix milliseconds.
func (c *Client) queueKey(u dispatch.Urgency) string {
	if u == dispatch.UrgencyUrgent {
		return c.prefix + "{q}:ready:urgent"
	}
	return c.prefix + "{q}:ready:normal"
}

// leasedKey is the sorted set of claimed tickets scored by lease deadline.
func (c *Client) leasedKey() string { return c.prefix + "{q}:leased" }

// leaseTokensKey is the hash ticket id -> urgency letter + lease token.
func (c *Client) leaseTokensKey() string { return c.prefix + "{q}:tokens" }

// queueWakeKey is the list that blocked claimers BLPOP; Push appends to it.
func (c *Client) queueWakeKey() string { return c.prefix + "{q}:wake" }

// geoKey is the geo set of available volunteers, member = volunteer id.
func (c *Client) geoKey() string { return c.prefix + "{geo}:volunteers" }

// geoTempKey is where Rebuild writes before it renames over geoKey.
func (c *Client) geoTempKey(nonce string) string {
	return c.prefix + "{geo}:volunteers:building:" + nonce
}

// geoBuiltKey marks that the geo index was built; without it the index is
// missing (Redis lost it) rather than empty.
func (c *Client) geoBuiltKey() string { return c.prefix + "{geo}:built" }

// eventsChannel is the pub/sub channel of console events.
func (c *Client) eventsChannel() string { return c.prefix + "events" }

// wakeChannel is the pub/sub channel that wakes outbox senders.
func (c *Client) wakeChannel() string { return c.prefix + "outbox:wake" }

// limitKey is the counter of key's attempts in fixed window number window.
// The caller's key is hashed: it may hold an address or a phone number, which
// must not sit in Redis in the clear, and the hash makes a safe hash tag that
// keeps a window and the one before it in one slot.
func (c *Client) limitKey(key string, window int64) string {
	sum := sha256.Sum256([]byte(key))
	return c.prefix + "rl:{" + hex.EncodeToString(sum[:12]) + "}:" + strconv.FormatInt(window, 10)
}

// journalEntriesKey is the hash journal entry id -> entry (JSON) of the
// requests accepted while PostgreSQL was away. It holds personal data; an
// entry is deleted as soon as it is replayed.
func (c *Client) journalEntriesKey() string { return c.prefix + "{journal}:entries" }

// journalReadyKey is the list of entry ids waiting to be replayed, oldest
// first.
func (c *Client) journalReadyKey() string { return c.prefix + "{journal}:ready" }

// journalLeasedKey is the sorted set of entry ids being replayed, scored by
// lease deadline in Unix milliseconds.
func (c *Client) journalLeasedKey() string { return c.prefix + "{journal}:leased" }

// journalOwnersKey is the hash entry id -> the replayer that leased it.
func (c *Client) journalOwnersKey() string { return c.prefix + "{journal}:owners" }

// journalAttemptsKey is the hash entry id -> failed replays so far.
func (c *Client) journalAttemptsKey() string { return c.prefix + "{journal}:attempts" }
