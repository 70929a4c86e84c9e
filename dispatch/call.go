package dispatch

import (
	"context"
	"time"
)

// CallStep is where a phone call stands in the hotline's menu.
type CallStep string

// Call steps, in the order of the menu. A known caller starts at
// CallStepCategory; the dispatcher steps can interrupt any other.
const (
	CallStepLang       CallStep = "lang"
	CallStepCategory   CallStep = "category"
	CallStepRecord     CallStep = "record"
	CallStepDone       CallStep = "done"       // the ticket exists; its code was read back
	CallStepDispatcher CallStep = "dispatcher" // dialling a human dispatcher
	CallStepVoicemail  CallStep = "voicemail"
)

// Call is the state of one phone call through the menu, kept in PostgreSQL
// because Twilio sends each step as a separate request, possibly to another
// process.
type Call struct {
	ID      int64
	CallSID string
	From    string // as Twilio sent it; normalised by intake
	Lang    Lang   // empty until chosen or known
	// Category is empty until chosen.
	Category Category
	Step     CallStep
	// Retries counts timeouts and wrong keys at the current step: the
	// prompt is repeated once, then the call goes on with what is known.
	Retries      int
	TicketID     *int64
	RecordingURL string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CallRepo stores calls.
type CallRepo interface {
	// StartCall inserts c, or, when its CallSID exists already (Twilio
	// retried the first webhook), loads the stored call into c.
	StartCall(ctx context.Context, c *Call) error
	// Call finds a call by its CallSid; ENOTFOUND when none.
	Call(ctx context.Context, callSID string) (*Call, error)
	// UpdateCall writes every mutable field of c.
	UpdateCall(ctx context.Context, c *Call) error
}
