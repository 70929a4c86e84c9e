package dispatch

import "fmt"

// Status is a ticket's place in its lifecycle.
type Status string

// Ticket states. The happy path is new → queued → offered → assigned →
// in_progress → completed.
const (
	StatusNew        Status = "new"
	StatusQueued     Status = "queued"      // waiting for the engine
	StatusOffered    Status = "offered"     // offers are out to volunteers
	StatusAssigned   Status = "assigned"    // one volunteer accepted
	StatusInProgress Status = "in_progress" // the volunteer is on the way or helping
	StatusCompleted  Status = "completed"
	StatusCancelled  Status = "cancelled"
	StatusEscalated  Status = "escalated" // a dispatcher must act; Reason says why
	StatusExpired    Status = "expired"   // the requested time passed without help
)

// Statuses lists every state.
var Statuses = []Status{StatusNew, StatusQueued, StatusOffered, StatusAssigned, StatusInProgress,
	StatusCompleted, StatusCancelled, StatusEscalated, StatusExpired}

// transitions is the whole state machine: from → the states it may move to.
// Anything not listed is illegal.
var transitions = map[Status][]Status{
	StatusNew:        {StatusQueued, StatusEscalated, StatusCancelled},
	StatusQueued:     {StatusOffered, StatusAssigned, StatusEscalated, StatusCancelled, StatusExpired},
	StatusOffered:    {StatusAssigned, StatusQueued, StatusEscalated, StatusCancelled, StatusExpired},
	StatusAssigned:   {StatusInProgress, StatusCompleted, StatusQueued, StatusEscalated, StatusCancelled},
	StatusInProgress: {StatusCompleted, StatusQueued, StatusEscalated, StatusCancelled},
	StatusEscalated:  {StatusQueued, StatusAssigned, StatusCompleted, StatusCancelled, StatusExpired},
	StatusCompleted:  nil,
	StatusCancelled:  nil,
	StatusExpired:    nil,
}

// Valid reports whether s is a known state.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Final reports whether no transition leaves s.
func (s Status) Final() bool {
	return s == StatusCompleted || s == StatusCancelled || s == StatusExpired
}

// OpenStatuses are the states of tickets that still need work.
func OpenStatuses() []Status {
	var out []Status
	for _, s := range Statuses {
		if !s.Final() {
			out = append(out, s)
		}
	}
	return out
}

// CanTransition reports whether from → to is legal.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// TransitionError is returned for an illegal transition. Its Code is
// ECONFLICT: the request is well formed, the ticket's state forbids it.
type TransitionError struct {
	From, To Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("ticket cannot go from %s to %s", e.From, e.To)
}

// CheckTransition returns nil for a legal transition and an *Error with code
// ECONFLICT wrapping a *TransitionError otherwise.
func CheckTransition(from, to Status) error {
	if !from.Valid() || !to.Valid() {
		return Errorf(EINVALID, "unknown ticket state %q or %q", from, to)
	}
	if CanTransition(from, to) {
		return nil
	}
	te := &TransitionError{From: from, To: to}
	return &Error{Code: ECONFLICT, Message: te.Error(), Err: te}
}
