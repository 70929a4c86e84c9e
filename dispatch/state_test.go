package dispatch

import (
	"errors"
	"testing"
)

// TestTransitions checks every ordered pair of states against the table that
// the issue describes, so that a change to the machine is a deliberate one.
func TestTransitions(t *testing.T) {
	legal := map[[2]Status]bool{}
	for _, p := range [][2]Status{
		{StatusNew, StatusQueued}, {StatusNew, StatusEscalated}, {StatusNew, StatusCancelled},
		{StatusQueued, StatusOffered}, {StatusQueued, StatusAssigned}, {StatusQueued, StatusEscalated},
		{StatusQueued, StatusCancelled}, {StatusQueued, StatusExpired},
		{StatusOffered, StatusAssigned}, {StatusOffered, StatusQueued}, {StatusOffered, StatusEscalated},
		{StatusOffered, StatusCancelled}, {StatusOffered, StatusExpired},
		{StatusAssigned, StatusInProgress}, {StatusAssigned, StatusCompleted}, {StatusAssigned, StatusQueued},
		{StatusAssigned, StatusEscalated}, {StatusAssigned, StatusCancelled},
		{StatusInProgress, StatusCompleted}, {StatusInProgress, StatusQueued},
		{StatusInProgress, StatusEscalated}, {StatusInProgress, StatusCancelled},
		{StatusEscalated, StatusQueued}, {StatusEscalated, StatusAssigned}, {StatusEscalated, StatusCompleted},
		{StatusEscalated, StatusCancelled}, {StatusEscalated, StatusExpired},
	} {
		legal[p] = true
	}
	n := 0
	for _, from := range Statuses {
		for _, to := range Statuses {
			n++
			want := legal[[2]Status{from, to}]
			err := CheckTransition(from, to)
			if want && err != nil {
				t.Errorf("%s → %s: want legal, got %v", from, to, err)
			}
			if !want {
				var te *TransitionError
				if err == nil || !errors.As(err, &te) || ErrorCode(err) != ECONFLICT {
					t.Errorf("%s → %s: want a conflict TransitionError, got %v", from, to, err)
				} else if te.From != from || te.To != to {
					t.Errorf("%s → %s: error names %s → %s", from, to, te.From, te.To)
				}
			}
		}
	}
	if n != 81 {
		t.Fatalf("walked %d pairs, want 81", n)
	}
	for _, s := range []Status{StatusCompleted, StatusCancelled, StatusExpired} {
		if !s.Final() {
			t.Errorf("%s should be final", s)
		}
	}
}

func TestCheckTransitionUnknownState(t *testing.T) {
	if err := CheckTransition("bogus", StatusQueued); ErrorCode(err) != EINVALID {
		t.Fatalf("unknown state: got %v, want EINVALID", err)
	}
}
