package dispatch

import "context"

// Assignments is what a volunteer can do about tickets, by SMS or through a
// dispatcher: the engine implements it, the SMS conversation calls it. Each
// note is free text that came with the command ("yes, in 20 minutes") and is
// kept on the ticket's timeline.
type Assignments interface {
	// Accept gives the ticket to the volunteer if their offer is still open
	// and nobody accepted first: exactly one accept wins, across processes.
	// A lost race is ECONFLICT.
	Accept(ctx context.Context, volunteerID, ticketID int64, note string) (*Ticket, error)
	// Decline refuses an offer; the ticket moves on to the next wave when no
	// offer of the current one is still open.
	Decline(ctx context.Context, volunteerID, ticketID int64, note string) error
	// OnMyWay marks an assigned ticket in progress.
	OnMyWay(ctx context.Context, volunteerID, ticketID int64, note string) error
	// Done completes the volunteer's ticket and asks the client to confirm.
	Done(ctx context.Context, volunteerID, ticketID int64, note string) error
	// SetAvailable pauses (false) or resumes (true) a volunteer, and updates
	// the geo index.
	SetAvailable(ctx context.Context, volunteerID int64, available bool, actor Actor) error
}
