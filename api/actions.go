package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// reasonIn is the body of the actions that take only a reason.
type reasonIn struct {
	Reason string `json:"reason"`
}

type ticketAction func(ctx context.Context, ticketID int64, actor dispatch.Actor, reason string) (*dispatch.Ticket, error)

// act runs one of the dispatcher's transitions and answers with the ticket
// as it left it. An illegal transition is the engine's ECONFLICT: 409.
func (a *API) act(c echo.Context, op string, fn ticketAction) error {
	id, err := pathID(c, "ticket")
	if err != nil {
		return err
	}
	var in reasonIn
	if err := decode(c, &in, true); err != nil {
		return err
	}
	t, err := fn(c.Request().Context(), id, actor(c), in.Reason)
	if err != nil {
		return unprocessable(op, err)
	}
	return c.JSON(http.StatusOK, ticketOut(t))
}

func (a *API) cancelTicket(c echo.Context) error {
	return a.act(c, "api.cancelTicket", a.actions.Cancel)
}

func (a *API) escalateTicket(c echo.Context) error {
	return a.act(c, "api.escalateTicket", a.actions.Escalate)
}

func (a *API) deescalateTicket(c echo.Context) error {
	return a.act(c, "api.deescalateTicket", a.actions.Deescalate)
}

func (a *API) redispatchTicket(c echo.Context) error {
	return a.act(c, "api.redispatchTicket", a.actions.Redispatch)
}

func (a *API) assignTicket(c echo.Context) error {
	const op = "api.assignTicket"
	id, err := pathID(c, "ticket")
	if err != nil {
		return err
	}
	var in struct {
		VolunteerID int64  `json:"volunteer_id"`
		Reason      string `json:"reason"`
	}
	if err := decode(c, &in, false); err != nil {
		return err
	}
	if in.VolunteerID <= 0 {
		return invalidField("volunteer_id is required: the id of the volunteer to assign")
	}
	t, err := a.actions.Assign(c.Request().Context(), id, in.VolunteerID, actor(c), in.Reason)
	if err != nil {
		return unprocessable(op, err)
	}
	return c.JSON(http.StatusOK, ticketOut(t))
}

// textIn is the body of a note or a message to the client.
type textIn struct {
	Text string `json:"text"`
}

func (a *API) addNote(c echo.Context) error {
	return a.withText(c, "api.addNote", a.actions.AddNote)
}

func (a *API) textClient(c echo.Context) error {
	return a.withText(c, "api.textClient", a.actions.TextClient)
}

func (a *API) withText(c echo.Context, op string, fn func(context.Context, int64, dispatch.Actor, string) error) error {
	id, err := pathID(c, "ticket")
	if err != nil {
		return err
	}
	var in textIn
	if err := decode(c, &in, false); err != nil {
		return err
	}
	if _, err := text("text", in.Text, 4000, true); err != nil {
		return err
	}
	if err := fn(c.Request().Context(), id, actor(c), in.Text); err != nil {
		return unprocessable(op, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// ticketEditIn is PATCH /tickets/{id}: the fields a dispatcher may change.
type ticketEditIn struct {
	Location location `json:"location"`
	Address  *string  `json:"address"`
	Category *string  `json:"category"`
	Urgency  *string  `json:"urgency"`
}

func (a *API) editTicket(c echo.Context) error {
	const op = "api.editTicket"
	id, err := pathID(c, "ticket")
	if err != nil {
		return err
	}
	var in ticketEditIn
	if err := decode(c, &in, false); err != nil {
		return err
	}
	var ed dispatch.TicketEdit
	if in.Location.Set {
		if in.Location.Value == nil {
			return invalidField("location cannot be removed from a ticket, only changed")
		}
		if err := in.Location.check(); err != nil {
			return err
		}
		ed.Location = in.Location.Value
	}
	if in.Address != nil {
		s, err := text("address", *in.Address, 500, false)
		if err != nil {
			return err
		}
		ed.Address = &s
	}
	if in.Category != nil {
		cat := dispatch.Category(*in.Category)
		if !cat.Valid() {
			return invalidField("category %q is not one of escort, shopping, home, accessibility, other", *in.Category)
		}
		ed.Category = &cat
	}
	if in.Urgency != nil {
		u := dispatch.Urgency(*in.Urgency)
		if !u.Valid() {
			return invalidField("urgency %q is not one of normal, urgent", *in.Urgency)
		}
		ed.Urgency = &u
	}
	t, err := a.actions.Edit(c.Request().Context(), id, actor(c), ed)
	if err != nil {
		return unprocessable(op, err)
	}
	return c.JSON(http.StatusOK, ticketOut(t))
}
