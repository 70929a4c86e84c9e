package dispatch

import (
	"context"
	"time"
)

// The services below are implemented in this package (intake.go, engine.go,
// conversation.go, outbox.go) and called by the adapters. They are interfaces
// so that an HTTP package can be wired and tested against the real service
// without knowing how it is built.

// IntakeRequest is what every channel (call, text, web form, partner API,
// console) builds from what the person gave. One function, Intake.Submit,
// turns it into a ticket.
type IntakeRequest struct {
	// SourceID makes the request idempotent: a CallSid, a MessageSid, or an
	// Idempotency-Key. The same SourceID always gives the same ticket.
	SourceID    string
	Channel     Channel
	Phone       string // as typed or as Twilio sent it; normalised to E.164
	Name        string
	Category    Category
	Description string
	Lang        Lang // empty: the client's preference, else detected from Description
	Location    *Location
	Address     string
	Urgency     Urgency
	Needs       []Skill
	ClientNeeds []Need
	WindowStart *time.Time
	WindowEnd   *time.Time
	// RecordingURL is a call's recorded description.
	RecordingURL string
	// CallBack asks a dispatcher to call the person back (an abandoned call).
	CallBack bool
	// Attachments are the photos of a barrier report (ContentType and Data
	// set), stored in the ticket's transaction.
	Attachments []Attachment
	// Actor is who submitted it ("client", "user:anna", "token:partner").
	Actor Actor
}

// IntakeResult is the ticket a request became.
type IntakeResult struct {
	Ticket *Ticket
	Client *Client
	// Existing is true when the SourceID had been seen before (a retry) or
	// the request joined an open ticket, so no new ticket was made.
	Existing bool
}

// TicketIntake validates and records requests for help.
type TicketIntake interface {
	Submit(ctx context.Context, r IntakeRequest) (*IntakeResult, error)
}

// SMSHandler handles one incoming text, whoever sent it: a volunteer's
// command, a client's reply or relay, STOP/START/HELP, or a new request.
// Replies go through the outbox; a MessageSID seen before does nothing more.
type SMSHandler interface {
	HandleSMS(ctx context.Context, m *InboundMessage) error
}

// StatusRecorder records Twilio's delivery status callbacks.
type StatusRecorder interface {
	// RecordStatus updates the message with provider id sid. errorCode is
	// Twilio's ErrorCode, "" when none.
	RecordStatus(ctx context.Context, sid, status, errorCode string) error
}

// TicketActions are what a dispatcher does to a ticket, from the console or
// the API. Each writes its audit event in the same transaction.
type TicketActions interface {
	Assign(ctx context.Context, ticketID, volunteerID int64, actor Actor, reason string) (*Ticket, error)
	Redispatch(ctx context.Context, ticketID int64, actor Actor, reason string) (*Ticket, error)
	Cancel(ctx context.Context, ticketID int64, actor Actor, reason string) (*Ticket, error)
	Escalate(ctx context.Context, ticketID int64, actor Actor, reason string) (*Ticket, error)
	// Deescalate sends an escalated ticket back to the engine.
	Deescalate(ctx context.Context, ticketID int64, actor Actor, reason string) (*Ticket, error)
	AddNote(ctx context.Context, ticketID int64, actor Actor, note string) error
	// Edit changes location, address, category and urgency (nil: unchanged).
	Edit(ctx context.Context, ticketID int64, actor Actor, e TicketEdit) (*Ticket, error)
	// TextClient sends a dispatcher's message to the ticket's client.
	TextClient(ctx context.Context, ticketID int64, actor Actor, body string) error
	// Suggest returns the matcher's ranked candidates for a ticket without
	// offering anything.
	Suggest(ctx context.Context, ticketID int64) ([]Candidate, error)
}

// TicketEdit is a dispatcher's change to a ticket's details.
type TicketEdit struct {
	Location *Location
	Address  *string
	Category *Category
	Urgency  *Urgency
}

// Candidate is one volunteer the matcher considered for a ticket: either a
// score, or the reason it was filtered out.
type Candidate struct {
	VolunteerID int64   `json:"volunteer_id"`
	Name        string  `json:"name"`
	DistanceM   float64 `json:"distance_m"`
	Score       float64 `json:"score"`
	// Filtered names why the volunteer was left out ("skill:car",
	// "language", "capacity", "window", "opted_out", "declined"); empty
	// when eligible.
	Filtered string `json:"filtered,omitempty"`
	// Parts of the score, for the console.
	Parts map[string]float64 `json:"parts,omitempty"`
}
