package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

const (
	// replayMax bounds what one reconnect replays from PostgreSQL; a console
	// that was away longer is told to reload instead.
	replayMax   = 5000
	replayBatch = 500
	// writeTimeout drops a client that stops reading, so that one stuck
	// browser cannot hold its handler (and hub subscription) forever.
	writeTimeout = 10 * time.Second
)

// events streams ticket changes as server-sent events. Each event's id is
// its audit row's id; a browser that reconnects sends Last-Event-ID and gets
// what it missed from PostgreSQL before the live events, which come from
// the process's one bus subscription (hub). The handler returns when the
// client goes away, the hub drops the stream, or Close is called.
func (c *Console) events(ec echo.Context) error {
	const op = "console.events"
	if c.opts.Bus == nil {
		return dispatch.E(op, dispatch.Errorf(dispatch.EUNAVAILABLE, "live updates are not configured"))
	}
	r := ec.Request()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() { // ends with the handler: cancel is deferred above
		select {
		case <-c.quit:
			cancel()
		case <-ctx.Done():
		}
	}()

	after := lastEventID(r)
	seen, err := c.eventFilter(ec)
	if err != nil {
		return dispatch.E(op, err)
	}
	sees, scoped, err := c.liveFilter(ec)
	if err != nil {
		return dispatch.E(op, err)
	}
	// Subscribe before replaying, so that nothing committed in between is
	// lost; the replayed ids are remembered to drop their live duplicates.
	sub, err := c.hub.subscribe(ctx, scoped)
	if err != nil {
		return dispatch.E(op, err)
	}
	defer c.hub.unsubscribe(sub)

	w := ec.Response()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)
	// The per-write deadlines below must not outlive the stream: the
	// connection may serve another request after it.
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	send := func(format string, args ...any) error {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send("retry: 2000\n\n"); err != nil {
		return nil // the client went away: nothing to report
	}

	replayed := map[int64]bool{}
	if after > 0 {
		for len(replayed) < replayMax {
			evs, err := c.store.EventsAfter(ctx, after, replayBatch)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return dispatch.E(op, err)
			}
			for _, te := range evs {
				if ok, err := seen(ctx, te.TicketID, te.Kind); err != nil {
					return dispatch.E(op, err)
				} else if !ok {
					replayed[te.ID] = true
					after = te.ID
					continue
				}
				if err := sendEvent(send, dispatch.Event{ID: te.ID, TicketID: te.TicketID, Kind: te.Kind, Status: te.To}); err != nil {
					return nil
				}
				replayed[te.ID] = true
				after = te.ID
			}
			if len(evs) < replayBatch {
				break
			}
		}
		if len(replayed) >= replayMax {
			_ = send("event: reload\ndata: {}\n\n")
			return nil
		}
	}

	beat := time.NewTicker(c.opts.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-beat.C:
			if err := send(": ping\n\n"); err != nil {
				return nil
			}
		case e, ok := <-sub.ch:
			if !ok {
				return nil // dropped by the hub: the browser resumes from Last-Event-ID
			}
			if replayed[e.ID] || !sees(e) {
				continue
			}
			if err := sendEvent(send, e.Event); err != nil {
				return nil
			}
		}
	}
}

// liveFilter says which live events the user's stream carries: those of
// the centres they see, by the centre the hub looked up once for the
// process. scoped is false when the user sees every centre.
func (c *Console) liveFilter(ec echo.Context) (sees func(*hubEvent) bool, scoped bool, err error) {
	mine, err := c.centreOf(ec)
	if err != nil {
		return nil, false, err
	}
	role := sessionOf(ec).User.Role
	if mine == 0 || role.Allows(dispatch.RoleCoordinator) {
		return func(*hubEvent) bool { return true }, false, nil
	}
	return func(e *hubEvent) bool {
		if e.TicketID == 0 {
			return true
		}
		// The move of a ticket out of the user's sight is sent too: their
		// page fetches the row, is refused it, drops it and recounts.
		return !e.gone && (dispatch.SeesCentre(role, mine, e.centre) || e.moved && dispatch.SeesCentre(role, mine, e.from))
	}, true, nil
}

// eventFilter says which replayed tickets' events the user's stream carries: those
// of the centres they see. A ticket's centre is looked up once a stream and
// again after it is routed or moved (the Router publishes that event); a
// ticket gone from the database is dropped. The event that moves a ticket
// the user saw out of their sight is still sent, once: the page fetches
// the row, is refused it, and drops it, and its counts follow.
func (c *Console) eventFilter(ec echo.Context) (func(ctx context.Context, ticketID int64, kind string) (bool, error), error) {
	mine, err := c.centreOf(ec)
	if err != nil {
		return nil, err
	}
	role := sessionOf(ec).User.Role
	if mine == 0 || role.Allows(dispatch.RoleCoordinator) {
		return func(context.Context, int64, string) (bool, error) { return true, nil }, nil
	}
	known := map[int64]int64{}
	return func(ctx context.Context, id int64, kind string) (bool, error) {
		if id == 0 {
			return true, nil
		}
		centre, ok := known[id]
		sawIt := ok && dispatch.SeesCentre(role, mine, centre)
		if !ok || kind == dispatch.EventRouted {
			cs, err := c.ticketCentres(ctx, []int64{id})
			if dispatch.IsCode(err, dispatch.ENOTFOUND) {
				return false, nil
			} else if err != nil {
				return false, err
			}
			if len(known) >= 10000 { // a stream open for days must not grow without bound
				clear(known)
			}
			centre = cs[id]
			known[id] = centre
		}
		return dispatch.SeesCentre(role, mine, centre) || kind == dispatch.EventRouted && sawIt, nil
	}, nil
}

func sendEvent(send func(string, ...any) error, e dispatch.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if e.ID > 0 {
		return send("id: %d\ndata: %s\n\n", e.ID, b)
	}
	return send("data: %s\n\n", b)
}

// lastEventID is where a resumed stream starts: the browser's Last-Event-ID
// header, or ?after= for a page that knows the newest event it rendered.
func lastEventID(r *http.Request) int64 {
	s := r.Header.Get("Last-Event-ID")
	if s == "" {
		s = r.URL.Query().Get("after")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
