package console

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// registerRegistry mounts the consultants' queue (consult*.go) and the
// volunteer registry (registry*.go).
func (c *Console) registerRegistry(g *echo.Group) {
	g.GET("/consultations", c.consultPage, c.require(viewPage))
	g.POST("/consultations/:id/complete", c.consultComplete, c.require(actPage))
	g.GET("/volunteers.csv", c.volunteersCSV, c.require(viewPage))
	if c.opts.Signups != nil {
		g.GET("/volunteers/pending", c.pendingPage, c.require(actPage))
		g.POST("/volunteers/pending/:id/approve", c.registryStep(true), c.require(actPage))
		g.POST("/volunteers/pending/:id/reject", c.registryStep(false), c.require(actPage))
	}
}

// consultLimit bounds the consultants' list. The store lists newest first,
// so the page asks for this many escalated tickets and sorts them; a centre
// with more waiting consultations has a staffing problem no page solves.
const consultLimit = 500

type consultRow struct {
	Ticket *dispatch.Ticket
	Client *dispatch.Client
}

func (c *Console) consultPage(ec echo.Context) error {
	rows, err := c.consultations(ec)
	if err != nil {
		return err
	}
	p := c.Page(ec, "consultations", "consult.title", rows)
	if ec.QueryParam("done") != "" {
		p.Flash = p.T("consult.completed")
	}
	return c.Render(ec, http.StatusOK, "consult", p)
}

// consultations are the open consultation tickets of the user's centre,
// oldest first: they wait escalated (ReasonConsultation) until a consultant
// completes them.
func (c *Console) consultations(ec echo.Context) ([]consultRow, error) {
	const op = "console.consultations"
	ctx := ec.Request().Context()
	scope, err := c.scope(ec)
	if err != nil {
		return nil, dispatch.E(op, err)
	}
	ts, _, err := c.store.Tickets(ctx, dispatch.TicketFilter{Status: []dispatch.Status{dispatch.StatusEscalated},
		Centre: scope, Limit: consultLimit})
	if err != nil {
		return nil, dispatch.E(op, err)
	}
	var out []consultRow
	for _, t := range ts {
		if !t.Category.Consult() {
			continue
		}
		cl, err := c.store.Client(ctx, t.ClientID)
		if err != nil {
			return nil, dispatch.E(op, err)
		}
		out = append(out, consultRow{Ticket: t, Client: cl})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Ticket, out[j].Ticket
		return a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID
	})
	return out, nil
}

// consultComplete closes a consultation the consultant has answered. The
// engine has no "complete" for an escalated ticket (a volunteer completes a
// task), so the transition, its audit event and an optional note are written
// here, in one transaction, under the ticket's row lock.
func (c *Console) consultComplete(ec echo.Context) error {
	const op = "console.consultComplete"
	ctx := ec.Request().Context()
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	if err := c.seeTicket(ec, id); err != nil {
		return err
	}
	who := actor(ec)
	note := strings.TrimSpace(ec.FormValue("note"))
	var ev dispatch.TicketEvent
	err = c.store.InTx(ctx, func(r dispatch.Repo) error {
		t, err := r.TicketForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if !t.Category.Consult() {
			return dispatch.Errorf(dispatch.ECONFLICT, "ticket %s is not a consultation", t.Code)
		}
		if err := dispatch.CheckTransition(t.Status, dispatch.StatusCompleted); err != nil {
			return err
		}
		if note != "" {
			if err := r.AddEvent(ctx, &dispatch.TicketEvent{TicketID: t.ID, Kind: dispatch.EventNote, Actor: string(who),
				Channel: dispatch.ChannelConsole, Reason: note}); err != nil {
				return err
			}
		}
		now := c.now()
		ev = dispatch.TicketEvent{TicketID: t.ID, From: t.Status, To: dispatch.StatusCompleted, Kind: dispatch.EventTransition,
			Actor: string(who), Channel: dispatch.ChannelConsole, Reason: "answered by consultant " + string(who)}
		t.Status, t.Reason, t.DueAt, t.CompletedAt = dispatch.StatusCompleted, "", nil, &now
		if err := r.UpdateTicket(ctx, t); err != nil {
			return err
		}
		return r.AddEvent(ctx, &ev)
	})
	if err != nil {
		code := dispatch.ErrorCode(err)
		if code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE || code == dispatch.ENOTFOUND {
			return dispatch.E(op, err)
		}
		rows, lerr := c.consultations(ec)
		if lerr != nil {
			return lerr
		}
		p := c.Page(ec, "consultations", "consult.title", rows)
		p.Error = dispatch.ErrorMessage(err)
		return c.Render(ec, statusOf(code), "consult", p)
	}
	// The live queue hears of it; a lost event only delays other screens
	// until their next reload, so it does not undo the committed answer.
	if c.opts.Bus != nil {
		if perr := c.opts.Bus.Publish(ctx, dispatch.Event{ID: ev.ID, TicketID: id, Kind: ev.Kind, Status: ev.To}); perr != nil {
			c.log.Warn("console: publish consultation completed", "ticket", id, "err", perr)
		}
	}
	return ec.Redirect(http.StatusSeeOther, "/console/consultations?done="+strconv.FormatInt(id, 10))
}
