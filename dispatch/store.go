package dispatch

import (
	"context"
	"time"
)

// Store is PostgreSQL, the source of truth. Its Repo methods run on their own
// connection; InTx runs fn with a Repo bound to one transaction, committed
// when fn returns nil and rolled back otherwise, so that a state change, its
// audit row and the messages it causes are written together or not at all.
type Store interface {
	Repo
	InTx(ctx context.Context, fn func(Repo) error) error
	Ping(ctx context.Context) error
}

// Repo is every read and write of the domain's data. Methods that find one
// row return an *Error with ENOTFOUND when there is none (never nil, nil).
// Methods ending in ForUpdate lock the row until the transaction ends; outside
// InTx they behave like the plain read.
type Repo interface {
	ClientRepo
	VolunteerRepo
	TicketRepo
	OfferRepo
	OutboxRepo
	UserRepo
}

// ClientRepo stores clients.
type ClientRepo interface {
	Client(ctx context.Context, id int64) (*Client, error)
	ClientByPhone(ctx context.Context, phone string) (*Client, error)
	Clients(ctx context.Context, f ClientFilter) ([]*Client, int, error)
	// CreateClient inserts c and sets its ID and timestamps. A phone that
	// exists already is ECONFLICT.
	CreateClient(ctx context.Context, c *Client) error
	UpdateClient(ctx context.Context, c *Client) error
	// EnsureClient inserts c unless a client has its phone already; either
	// way c is then the stored client. True when it was inserted.
	EnsureClient(ctx context.Context, c *Client) (bool, error)
}

// VolunteerRepo stores volunteers. Reads fill the stats fields.
type VolunteerRepo interface {
	Volunteer(ctx context.Context, id int64) (*Volunteer, error)
	VolunteerByPhone(ctx context.Context, phone string) (*Volunteer, error)
	Volunteers(ctx context.Context, f VolunteerFilter) ([]*Volunteer, int, error)
	CreateVolunteer(ctx context.Context, v *Volunteer) error
	UpdateVolunteer(ctx context.Context, v *Volunteer) error
	// VolunteersForIndex calls fn for every volunteer that CanTakeWork, in
	// batches, to rebuild the geo index.
	VolunteersForIndex(ctx context.Context, fn func([]*Volunteer) error) error
}

// TicketRepo stores tickets and their audit timeline.
type TicketRepo interface {
	Ticket(ctx context.Context, id int64) (*Ticket, error)
	TicketForUpdate(ctx context.Context, id int64) (*Ticket, error)
	TicketByCode(ctx context.Context, code string) (*Ticket, error)
	// TicketBySource finds the ticket made from a CallSid, MessageSid or
	// idempotency key.
	TicketBySource(ctx context.Context, sourceID string) (*Ticket, error)
	Tickets(ctx context.Context, f TicketFilter) ([]*Ticket, int, error)
	// CreateTicket inserts t (ID, Code, timestamps are set). A SourceID that
	// exists already is ECONFLICT.
	CreateTicket(ctx context.Context, t *Ticket) error
	// CreateIntakeTicket is how intake writes a new ticket: t as
	// CreateTicket does, its audit events (TicketID, ID and At set) and the
	// message msg returns (nil: none), together in one round trip. msg is
	// called with t.Code set; the message's Key gets the ticket's ID
	// appended ("received:" becomes "received:42") and its TicketID is set.
	// inboundSID, when not empty, marks that incoming text handled by this
	// ticket in the same commit, so that a retry of the text finds it done.
	CreateIntakeTicket(ctx context.Context, t *Ticket, events []*TicketEvent, msg func(*Ticket) *Notification, inboundSID string) error
	// UpdateTicket writes every mutable field of t.
	UpdateTicket(ctx context.Context, t *Ticket) error
	// AddEvent appends to the audit timeline and sets e.ID and e.At.
	AddEvent(ctx context.Context, e *TicketEvent) error
	Events(ctx context.Context, ticketID int64) ([]*TicketEvent, error)
	// EventsAfter returns up to limit events with an ID above after, across
	// all tickets, oldest first: how a live console resumes.
	EventsAfter(ctx context.Context, after int64, limit int) ([]*TicketEvent, error)
	// DueTickets lists the IDs and due times of open tickets that the engine
	// owns (queued, offered, assigned awaiting follow-up): what the reconciler
	// compares with the Redis queue.
	DueTickets(ctx context.Context) ([]DueTicket, error)
}

// InboundClaim is the answer of ClaimInbound.
type InboundClaim int

// The answers of ClaimInbound.
const (
	InboundMine InboundClaim = iota
	InboundBusy
	InboundHandled
)

// DueTicket is a ticket the engine must look at, and when.
type DueTicket struct {
	ID      int64
	DueAt   time.Time
	Urgency Urgency
}

// OfferRepo stores offers.
type OfferRepo interface {
	CreateOffer(ctx context.Context, o *Offer) error
	UpdateOffer(ctx context.Context, o *Offer) error
	Offers(ctx context.Context, ticketID int64) ([]*Offer, error)
	// PendingOffers lists a volunteer's pending offers, newest first.
	PendingOffers(ctx context.Context, volunteerID int64) ([]*Offer, error)
}

// OutboxRepo stores outgoing and incoming messages.
type OutboxRepo interface {
	// Enqueue adds n to the outbox. A Key that exists already is not an
	// error: the existing row is kept and n.ID set to it.
	Enqueue(ctx context.Context, n *Notification) error
	// ClaimNotifications leases up to limit due rows for sending, skipping
	// rows that another sender holds, highest Priority first, and sets
	// each one's OptedOut.
	ClaimNotifications(ctx context.Context, limit int, lease time.Duration) ([]*Notification, error)
	UpdateNotification(ctx context.Context, n *Notification) error
	// UpdateNotifications is UpdateNotification for many messages in one
	// statement; a message not found is left out without an error.
	UpdateNotifications(ctx context.Context, ns []*Notification) error
	NotificationBySID(ctx context.Context, sid string) (*Notification, error)
	Notifications(ctx context.Context, ticketID int64) ([]*Notification, error)
	// SaveInbound records an incoming message; a MessageSID seen before is
	// ECONFLICT.
	SaveInbound(ctx context.Context, m *InboundMessage) error
	// ClaimInbound records an incoming message, or finds it again when
	// Twilio retries, and says who handles it: InboundMine for a new message
	// and for one whose earlier handling failed (not handled, its claim run
	// out); InboundBusy while another request holds it; InboundHandled once
	// it was handled. m.ID is set when mine.
	ClaimInbound(ctx context.Context, m *InboundMessage, lease time.Duration) (InboundClaim, error)
	// FinishInbound ends a claim: handled marks the message done for good;
	// not handled lets the next retry handle it at once.
	FinishInbound(ctx context.Context, id int64, handled bool) error
}

// UserRepo stores console users, sessions and API tokens.
type UserRepo interface {
	CreateUser(ctx context.Context, u *User) error
	UserByName(ctx context.Context, name string) (*User, error)
	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	CreateSession(ctx context.Context, s *Session) error
	SessionByHash(ctx context.Context, hash string) (*Session, error)
	DeleteSession(ctx context.Context, hash string) error
}
