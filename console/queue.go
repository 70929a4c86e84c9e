package console

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func (c *Console) registerQueue(g *echo.Group) {
	g.GET("", c.queuePage, c.require(viewPage))
	g.GET("/", c.queuePage, c.require(viewPage))
	g.GET("/events", c.events, c.require(viewAPI))
	g.GET("/tickets/:id/row", c.queueRow, c.require(viewAPI))
	g.GET("/queue/summary", c.queueSummary, c.require(viewAPI))
}

// queueLimit is how many open tickets the queue shows: more than a centre
// ever has open at once; the filters narrow it.
const queueLimit = 500

// queueData is the live queue: open tickets, escalated first, then urgent,
// then the oldest, and the count per status for the summary.
type queueData struct {
	Tickets  []*dispatch.Ticket
	Counts   []statusCount
	Status   string
	Urgency  string
	Statuses []dispatch.Status
	Total    int
	// After is the newest event before the tickets were read: the live
	// stream starts there, so nothing in between is missed.
	After int64
	// Centre is the centre filter (coordinators) or the user's centre.
	Centre centrePick
	scope  dispatch.CentreScope
}

type statusCount struct {
	Status dispatch.Status
	N      int
}

// openStatuses are the states a ticket can be in while it needs work.
var openStatuses = []dispatch.Status{dispatch.StatusEscalated, dispatch.StatusNew, dispatch.StatusQueued,
	dispatch.StatusOffered, dispatch.StatusAssigned, dispatch.StatusInProgress}

func (c *Console) queuePage(ec echo.Context) error {
	d, err := c.queueState(ec)
	if err != nil {
		return err
	}
	if cur, ok := c.store.(dispatch.EventCursor); ok {
		if d.After, err = cur.LatestEventID(ec.Request().Context()); err != nil {
			return dispatch.E("console.queue", err)
		}
	}
	if d.Centre, err = c.centrePicks(ec, d.scope); err != nil {
		return dispatch.E("console.queue", err)
	}
	if err := c.fillQueue(ec, d); err != nil {
		return err
	}
	return c.Render(ec, http.StatusOK, "queue", c.Page(ec, "queue", "queue.title", d))
}

// queueSummary is the queue's counts alone, with the same filters as the
// page: the live page fetches it after events, so that the counts follow
// the table without the page counting rows itself (a row it cannot see,
// of another centre, must not move its numbers).
func (c *Console) queueSummary(ec echo.Context) error {
	d, err := c.queueState(ec)
	if err != nil {
		return err
	}
	if err := c.fillQueue(ec, d); err != nil {
		return err
	}
	return c.RenderFragment(ec, http.StatusOK, "queue_summary", c.Page(ec, "queue", "queue.title", d))
}

// queueState reads the queue's filters and the user's centre scope.
func (c *Console) queueState(ec echo.Context) (*queueData, error) {
	d := &queueData{Status: ec.QueryParam("status"), Urgency: ec.QueryParam("urgency"), Statuses: openStatuses}
	var err error
	if d.scope, err = c.scope(ec); err != nil {
		return nil, dispatch.E("console.queue", err)
	}
	return d, nil
}

// fillQueue reads the open tickets of d's filters and scope, and counts
// them by status. The centre is applied in the query, so that the total
// and the counts are the user's centre's alone.
func (c *Console) fillQueue(ec echo.Context, d *queueData) error {
	f := dispatch.TicketFilter{Open: true, Limit: queueLimit, Centre: d.scope}
	if d.Status != "" {
		f.Status = []dispatch.Status{dispatch.Status(d.Status)}
	}
	ts, total, err := c.store.Tickets(ec.Request().Context(), f)
	if err != nil {
		return dispatch.E("console.queue", err)
	}
	d.Total = total
	n := map[dispatch.Status]int{}
	for _, t := range ts {
		n[t.Status]++
		if d.Urgency == "" || string(t.Urgency) == d.Urgency {
			d.Tickets = append(d.Tickets, t)
		}
	}
	for _, s := range openStatuses {
		d.Counts = append(d.Counts, statusCount{s, n[s]})
	}
	sortQueue(d.Tickets)
	return nil
}

// sortQueue puts what needs a person first: escalated tickets, then urgent
// ones, then the longest waiting.
func sortQueue(ts []*dispatch.Ticket) {
	rank := func(t *dispatch.Ticket) int {
		r := 0
		if t.Status == dispatch.StatusEscalated {
			r -= 2
		}
		if t.Urgency == dispatch.UrgencyUrgent {
			r--
		}
		return r
	}
	sort.SliceStable(ts, func(i, j int) bool {
		if a, b := rank(ts[i]), rank(ts[j]); a != b {
			return a < b
		}
		return ts[i].CreatedAt.Before(ts[j].CreatedAt)
	})
}

// queueRow is one row of the queue, rendered alone for the live update. A
// ticket that is no longer open answers 204: the page removes its row.
func (c *Console) queueRow(ec echo.Context) error {
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	if err := c.seeTicket(ec, id); err != nil {
		return dispatch.E("console.queueRow", err)
	}
	t, err := c.store.Ticket(ec.Request().Context(), id)
	if err != nil {
		return dispatch.E("console.queueRow", err)
	}
	if !t.Open() {
		return ec.NoContent(http.StatusNoContent)
	}
	return c.RenderFragment(ec, http.StatusOK, "queue_row_alone", c.Page(ec, "queue", "queue.title", t))
}

// row pairs a ticket with its page, because a nested template's root is
// its argument and the row still needs the page's texts.
type row struct {
	P *Page
	T *dispatch.Ticket
}
