package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var errBoom = errors.New("boom")

func TestInTxCommits(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	var c *dispatch.Client
	if err := s.InTx(ctx, func(r dispatch.Repo) error { c = mustClient(t, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client(ctx, c.ID); err != nil {
		t.Fatalf("committed client: %v", err)
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	var c *dispatch.Client
	err := s.InTx(ctx, func(r dispatch.Repo) error {
		c = mustClient(t, r)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	_, err = s.Client(ctx, c.ID)
	wantCode(t, err, dispatch.ENOTFOUND)
}

func TestInTxRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	var c *dispatch.Client
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not go on")
			}
		}()
		_ = s.InTx(ctx, func(r dispatch.Repo) error {
			c = mustClient(t, r)
			panic("boom")
		})
	}()
	_, err := s.Client(ctx, c.ID)
	wantCode(t, err, dispatch.ENOTFOUND)
	// The pool must still work: a panic must not leak the connection in
	// a broken transaction.
	for range 20 {
		mustClient(t, s)
	}
}

func TestInTxNestedReusesTransaction(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	var inner *dispatch.Client
	err := s.InTx(ctx, func(r dispatch.Repo) error {
		nested, ok := r.(dispatch.Store)
		if !ok {
			t.Fatal("a tx-bound Repo is not a Store")
		}
		if err := nested.InTx(ctx, func(r2 dispatch.Repo) error { inner = mustClient(t, r2); return nil }); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v", err)
	}
	// Had the nested InTx committed on its own, the client would remain.
	_, err = s.Client(ctx, inner.ID)
	wantCode(t, err, dispatch.ENOTFOUND)
}

// transition is the shape of every state change in the service: lock the
// ticket, check the state machine, append the audit row, write the ticket,
// all in one transaction. wrap lets a test replace Repo methods.
func transition(ctx context.Context, s dispatch.Store, wrap func(dispatch.Repo) dispatch.Repo,
	id int64, to dispatch.Status, reason string) error {
	return s.InTx(ctx, func(r dispatch.Repo) error {
		if wrap != nil {
			r = wrap(r)
		}
		tk, err := r.TicketForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := dispatch.CheckTransition(tk.Status, to); err != nil {
			return err
		}
		ev := &dispatch.TicketEvent{TicketID: id, From: tk.Status, To: to, Kind: dispatch.EventTransition,
			Actor: "user:anna", Channel: dispatch.ChannelConsole, Reason: reason}
		if err := r.AddEvent(ctx, ev); err != nil {
			return err
		}
		tk.Status, tk.Reason = to, reason
		return r.UpdateTicket(ctx, tk)
	})
}

// failingUpdate lets AddEvent through and then fails UpdateTicket.
type failingUpdate struct {
	dispatch.Repo
	event *dispatch.TicketEvent
}

func (f *failingUpdate) AddEvent(ctx context.Context, e *dispatch.TicketEvent) error {
	err := f.Repo.AddEvent(ctx, e)
	if err == nil {
		f.event = e
	}
	return err
}

func (f *failingUpdate) UpdateTicket(context.Context, *dispatch.Ticket) error {
	return dispatch.Errorf(dispatch.EUNAVAILABLE, "injected failure after the audit row")
}

// The issue-2 test: a transition that fails after its audit row was
// inserted leaves neither the row nor the state change.
func TestTransitionFailingAfterAuditRowLeavesNothing(t *testing.T) {
	t.Parallel()
	db, s, _ := newStore(t)
	ctx := context.Background()
	tk := mustTicket(t, s, mustClient(t, s).ID, nil)

	f := &failingUpdate{}
	err := transition(ctx, s, func(r dispatch.Repo) dispatch.Repo { f.Repo = r; return f },
		tk.ID, dispatch.StatusEscalated, "no volunteer answered")
	wantCode(t, err, dispatch.EUNAVAILABLE)
	if f.event == nil || f.event.ID == 0 {
		t.Fatal("the audit row was never inserted: the test proves nothing")
	}
	if n := count(t, db, `SELECT count(*) FROM ticket_events WHERE ticket_id = $1`, tk.ID); n != 0 {
		t.Errorf("%d audit rows remain after the failed transition", n)
	}
	if n := count(t, db, `SELECT count(*) FROM ticket_events WHERE id = $1`, f.event.ID); n != 0 {
		t.Errorf("audit row %d remains", f.event.ID)
	}
	if n := count(t, db, `SELECT count(*) FROM tickets WHERE id = $1 AND status = 'queued' AND reason = ''`, tk.ID); n != 1 {
		t.Error("the ticket's status changed although the transition failed")
	}

	// The same transition without the failure writes both.
	if err := transition(ctx, s, nil, tk.ID, dispatch.StatusEscalated, "no volunteer answered"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND from_status = 'queued' AND to_status = 'escalated'`, tk.ID); n != 1 {
		t.Errorf("%d audit rows after a good transition, want 1", n)
	}
	got, err := s.Ticket(ctx, tk.ID)
	if err != nil || got.Status != dispatch.StatusEscalated || got.Reason != "no volunteer answered" {
		t.Fatalf("after transition: %+v, %v", got, err)
	}
}

func TestIllegalTransitionWritesNothing(t *testing.T) {
	t.Parallel()
	db, s, _ := newStore(t)
	ctx := context.Background()
	tk := mustTicket(t, s, mustClient(t, s).ID, func(tk *dispatch.Ticket) { tk.Status = dispatch.StatusCompleted })
	err := transition(ctx, s, nil, tk.ID, dispatch.StatusOffered, "")
	wantCode(t, err, dispatch.ECONFLICT)
	var te *dispatch.TransitionError
	if !errors.As(err, &te) || te.From != dispatch.StatusCompleted {
		t.Errorf("err = %v, want a TransitionError from completed", err)
	}
	if n := count(t, db, `SELECT count(*) FROM ticket_events`); n != 0 {
		t.Errorf("%d audit rows for an illegal transition", n)
	}
	err = transition(ctx, s, nil, tk.ID+1000, dispatch.StatusQueued, "")
	wantCode(t, err, dispatch.ENOTFOUND)
}

func TestStorePing(t *testing.T) {
	t.Parallel()
	db, s, _ := newStore(t)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	wantCode(t, s.Ping(context.Background()), dispatch.EUNAVAILABLE)
}
