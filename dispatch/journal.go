package dispatch

import (
	"context"
	"strings"
	"time"
)

// While PostgreSQL is away, a person who texts, calls or fills in the form
// must not be lost: Twilio gives up on a webhook long before a database
// blip ends. Intake then writes the verified request to a journal (Redis,
// which is still up) and answers "accepted"; a Replayer in every process
// replays the journal through the same intake path once PostgreSQL answers.
// Every entry carries the idempotency key of its source (MessageSid,
// CallSid, the form's or partner's key), so a replay that meets a Twilio
// retry that landed meanwhile makes no second ticket.

// JournalKind names the path an entry is replayed through.
type JournalKind string

// Journal entry kinds.
const (
	// JournalSMS is an inbound text, replayed through SMSHandler: it may
	// be a volunteer's answer or a client's reply as well as a request.
	JournalSMS JournalKind = "sms"
	// JournalRequest is an intake request (the web form, the partner API,
	// a call's call-back), replayed through TicketIntake.Submit.
	JournalRequest JournalKind = "request"
)

// JournalEntry is one request accepted while PostgreSQL was unavailable.
// It holds personal data (a phone number, a message): it is kept only until
// replayed, and neither its body nor its phone number is ever logged.
type JournalEntry struct {
	Kind    JournalKind     `json:"kind"`
	SMS     *InboundMessage `json:"sms,omitempty"`
	Request *IntakeRequest  `json:"request,omitempty"`
	// At is when it was journalled.
	At time.Time `json:"at"`
	// Attempts counts failed replays other than "PostgreSQL is still
	// away"; the journal fills it when an entry is leased.
	Attempts int `json:"-"`
}

// ID is the entry's key in the journal, made from its source's idempotency
// key: journalling the same text or request twice (a Twilio retry during
// the outage) keeps one entry. Empty when the entry has no such key.
func (e *JournalEntry) ID() string {
	switch {
	case e.Kind == JournalSMS && e.SMS != nil && e.SMS.MessageSID != "":
		return "sms:" + e.SMS.MessageSID
	case e.Kind == JournalRequest && e.Request != nil && e.Request.SourceID != "":
		return "req:" + e.Request.SourceID
	}
	return ""
}

// Validate refuses an entry that could never be replayed.
func (e *JournalEntry) Validate() error {
	if e.ID() == "" {
		return Errorf(EINVALID, "a journal entry needs a text with its MessageSid or a request with its SourceID")
	}
	if len(e.ID()) > 300 || strings.ContainsAny(e.ID(), "\r\n") {
		return Errorf(EINVALID, "a journal entry's key is malformed")
	}
	return nil
}

// Journal keeps entries durable until they are replayed. Any number of
// processes share one journal; an entry is leased to one replayer at a
// time, and a lease that runs out (its holder crashed) lets another take
// the entry.
type Journal interface {
	// Append keeps e. An entry with the same ID kept already is replaced
	// (a later step of the same call knows more) and not queued twice.
	Append(ctx context.Context, e *JournalEntry) error
	// Lease takes up to n entries that are waiting or whose lease ran
	// out, for lease long, in owner's name. An error may come with the
	// entries that could be read.
	Lease(ctx context.Context, owner string, n int, lease time.Duration) ([]*JournalEntry, error)
	// Ack removes a replayed entry (whoever holds it: a replay is
	// idempotent, so the entry is done).
	Ack(ctx context.Context, id string) error
	// Release puts an entry owner holds back in line; failed counts the
	// attempt. An entry no longer owner's (its lease ran out and another
	// took it) is left alone.
	Release(ctx context.Context, id, owner string, failed bool) error
	// Depth is how many entries wait or are being replayed.
	Depth(ctx context.Context) (int64, error)
}
