package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// ticketOut is a ticket as the API shows it: dispatch.Ticket's own field
// names, with lists that are never null.
func ticketOut(t *dispatch.Ticket) dispatch.Ticket {
	out := *t
	if out.Needs == nil {
		out.Needs = []dispatch.Skill{}
	}
	return out
}

// ticketDetail is GET /tickets/{id}: the ticket, its audit timeline and its
// offers.
type ticketDetail struct {
	dispatch.Ticket
	Events []*dispatch.TicketEvent `json:"events"`
	Offers []*dispatch.Offer       `json:"offers"`
}

// ticketIn is a request for help, from POST /tickets and POST /requests.
type ticketIn struct {
	Phone       string     `json:"phone"`
	Name        string     `json:"name"`
	Category    string     `json:"category"`
	Description string     `json:"description"`
	Language    string     `json:"language"`
	Location    location   `json:"location"`
	Address     string     `json:"address"`
	Urgency     string     `json:"urgency"`
	Needs       []string   `json:"needs"`
	WindowStart *time.Time `json:"window_start"`
	WindowEnd   *time.Time `json:"window_end"`
	// When is the web form's "preferred date and time": the start of the
	// window.
	When *time.Time `json:"when"`
}

// intakeRequest checks what intake does not: the location's shape and the
// needs, which may name a volunteer's skill ("car"), a person's need
// ("blind") or both ("wheelchair").
func (a *API) intakeRequest(c echo.Context, in ticketIn, ch dispatch.Channel) (dispatch.IntakeRequest, error) {
	r := dispatch.IntakeRequest{Channel: ch, Phone: in.Phone, Name: in.Name, Category: dispatch.Category(in.Category),
		Description: in.Description, Location: in.Location.Value, Address: in.Address,
		Urgency: dispatch.Urgency(in.Urgency), WindowStart: in.WindowStart, WindowEnd: in.WindowEnd, Actor: actor(c)}
	if strings.TrimSpace(in.Phone) == "" {
		return r, invalidField("phone is required")
	}
	if err := in.Location.check(); err != nil {
		return r, err
	}
	var err error
	if r.Lang, err = lang("language", in.Language); err != nil {
		return r, err
	}
	if in.When != nil {
		if in.WindowStart != nil {
			return r, invalidField("give when or window_start, not both")
		}
		r.WindowStart = in.When
	}
	r.Needs = []dispatch.Skill{}
	for _, s := range in.Needs {
		s = strings.TrimSpace(s)
		sk, nd := dispatch.Skill(s), dispatch.Need(s)
		isNeed := false
		for _, k := range knownNeeds {
			isNeed = isNeed || nd == k
		}
		if !sk.Valid() && !isNeed {
			return r, invalidField("needs: %q is not one of wheelchair, sign_language, car, medical, blind, deaf, speech, elderly", s)
		}
		if sk.Valid() {
			r.Needs = append(r.Needs, sk)
		}
		if isNeed {
			r.ClientNeeds = append(r.ClientNeeds, nd)
		}
	}
	return r, nil
}

func (a *API) createTicket(c echo.Context) error {
	return a.submit(c, "api.createTicket", dispatch.ChannelAPI)
}
func (a *API) createRequest(c echo.Context) error {
	return a.submit(c, "api.createRequest", dispatch.ChannelWeb)
}

// submit sends a request through intake, the one path every channel takes.
// A retry with the same Idempotency-Key gets the same ticket back, marked
// Idempotent-Replayed.
func (a *API) submit(c echo.Context, op string, ch dispatch.Channel) error {
	var in ticketIn
	if err := decode(c, &in, false); err != nil {
		return err
	}
	src, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	r, err := a.intakeRequest(c, in, ch)
	if err != nil {
		return unprocessable(op, err)
	}
	r.SourceID = src
	res, err := a.intake.Submit(c.Request().Context(), r)
	if err != nil && ch == dispatch.ChannelWeb {
		if done, jerr := a.journalled(c, r, err); done {
			return jerr
		}
	}
	if err != nil {
		return unprocessable(op, err)
	}
	if res.Existing {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/tickets/"+itoa(res.Ticket.ID))
	return c.JSON(http.StatusCreated, ticketOut(res.Ticket))
}

func (a *API) listTickets(c echo.Context) error {
	const op = "api.listTickets"
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	f := dispatch.TicketFilter{Limit: limit, Offset: offset}
	for _, p := range c.QueryParams()["status"] {
		for _, s := range strings.Split(p, ",") {
			st := dispatch.Status(strings.TrimSpace(s))
			if !st.Valid() {
				return dispatch.Errorf(dispatch.EINVALID, "query parameter status=%q is not a ticket state (new, queued, offered, assigned, in_progress, completed, cancelled, escalated, expired)", s)
			}
			f.Status = append(f.Status, st)
		}
	}
	open, err := queryBool(c, "open")
	if err != nil {
		return err
	}
	f.Open = open != nil && *open
	if f.ClientID, err = queryInt64(c, "client_id"); err != nil {
		return err
	}
	if f.Volunteer, err = queryInt64(c, "volunteer_id"); err != nil {
		return err
	}
	sc, err := a.scopeOf(c)
	if err != nil {
		return err
	}
	ts, total, err := a.scopedTickets(c.Request().Context(), sc, f)
	if err != nil {
		return dispatch.E(op, err)
	}
	out := list[dispatch.Ticket]{Items: []dispatch.Ticket{}, Total: total, Limit: limit, Offset: offset}
	for _, t := range ts {
		out.Items = append(out.Items, ticketOut(t))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getTicket(c echo.Context) error {
	const op = "api.getTicket"
	id, err := pathID(c, "ticket")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := a.store.Ticket(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	out := ticketDetail{Ticket: ticketOut(t), Events: []*dispatch.TicketEvent{}, Offers: []*dispatch.Offer{}}
	evs, err := a.store.Events(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	out.Events = append(out.Events, evs...)
	offers, err := a.store.Offers(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	out.Offers = append(out.Offers, offers...)
	return c.JSON(http.StatusOK, out)
}

func (a *API) suggestions(c echo.Context) error {
	const op = "api.suggestions"
	id, err := pathID(c, "ticket")
	if err != nil {
		return err
	}
	cs, err := a.actions.Suggest(c.Request().Context(), id)
	if err != nil {
		return dispatch.E(op, err)
	}
	if cs == nil {
		cs = []dispatch.Candidate{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": cs})
}
