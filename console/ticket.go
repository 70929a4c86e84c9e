package console

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/internal/httpstatus"
)

func (c *Console) registerTickets(g *echo.Group) {
	g.GET("/tickets/:id", c.ticketPage, c.require(viewPage))
	for _, a := range []string{"assign", "redispatch", "cancel", "escalate", "deescalate", "note", "edit", "text"} {
		g.POST("/tickets/:id/"+a, c.ticketAction(a), c.require(actPage))
	}
}

// ticketData is everything the ticket page shows.
type ticketData struct {
	Ticket      *dispatch.Ticket
	Client      *dispatch.Client
	Volunteer   *dispatch.Volunteer
	Timeline    []timelineItem
	Offers      []offerRow
	Suggestions []dispatch.Candidate
	SuggestErr  string
	Categories  []dispatch.Category
	// Photos were sent with a barrier report (attachment.go).
	Photos []*dispatch.Attachment
	// Form keeps what the dispatcher typed when an action failed.
	Form map[string]string
}

type offerRow struct {
	*dispatch.Offer
	Name string
}

// timelineItem is an audit event or an outgoing message, in time order.
type timelineItem struct {
	At      time.Time
	Event   *dispatch.TicketEvent
	Match   *matchData
	Fields  []field
	Message *dispatch.Notification
}

type field struct{ Key, Value string }

// matchData is the matcher's "match" event: who was considered, with the
// parts of their score, and who was left out and why.
type matchData struct {
	Wave           int                  `json:"wave"`
	RadiusKM       float64              `json:"radius_km"`
	EligibleCount  int                  `json:"eligible_count"`
	FilteredCounts map[string]int       `json:"filtered_counts"`
	Eligible       []dispatch.Candidate `json:"eligible"`
	Filtered       []dispatch.Candidate `json:"filtered"`
}

// PartNames are the score parts of all eligible candidates, sorted, so that
// the candidates table has one column per part.
func (m *matchData) PartNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range m.Eligible {
		for k := range c.Parts {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (c *Console) ticketPage(ec echo.Context) error {
	return c.showTicket(ec, http.StatusOK, "", nil)
}

// showTicket renders the ticket page; after a failed action it is shown
// again with the error and the typed values.
func (c *Console) showTicket(ec echo.Context, status int, errMsg string, form map[string]string) error {
	const op = "console.ticket"
	ctx := ec.Request().Context()
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	if err := c.seeTicket(ec, id); err != nil {
		return dispatch.E(op, err)
	}
	d, err := c.loadTicket(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	d.Form = form
	if d.Photos, err = c.ticketPhotos(ctx, id); err != nil {
		return dispatch.E(op, err)
	}
	p := c.Page(ec, "queue", "ticket.title", d)
	p.Title = p.T("ticket.title_code", d.Ticket.Code)
	p.Error = errMsg
	if done := ec.QueryParam("done"); done != "" && errMsg == "" {
		p.Flash = p.T("done." + done)
	}
	if d.Ticket.Open() && p.Can("dispatcher") && c.opts.Actions != nil {
		d.Suggestions, err = c.opts.Actions.Suggest(ctx, id)
		if err != nil {
			d.SuggestErr = dispatch.ErrorMessage(err)
		}
		d.Suggestions = eligibleOnly(d.Suggestions, 10)
	}
	return c.Render(ec, status, "ticket", p)
}

func eligibleOnly(cs []dispatch.Candidate, n int) []dispatch.Candidate {
	var out []dispatch.Candidate
	for _, c := range cs {
		if c.Filtered == "" && len(out) < n {
			out = append(out, c)
		}
	}
	return out
}

func (c *Console) loadTicket(ctx context.Context, id int64) (*ticketData, error) {
	t, err := c.store.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &ticketData{Ticket: t, Categories: dispatch.Categories}
	if d.Client, err = c.store.Client(ctx, t.ClientID); err != nil && !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		return nil, err
	}
	if t.VolunteerID != nil {
		if d.Volunteer, err = c.store.Volunteer(ctx, *t.VolunteerID); err != nil && !dispatch.IsCode(err, dispatch.ENOTFOUND) {
			return nil, err
		}
	}
	evs, err := c.store.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	msgs, err := c.store.Notifications(ctx, id)
	if err != nil {
		return nil, err
	}
	offers, err := c.store.Offers(ctx, id)
	if err != nil {
		return nil, err
	}
	names, err := c.volunteerNames(ctx, offers)
	if err != nil {
		return nil, err
	}
	for _, o := range offers {
		d.Offers = append(d.Offers, offerRow{Offer: o, Name: names[o.VolunteerID]})
	}
	for _, e := range evs {
		it := timelineItem{At: e.At, Event: e}
		if e.Kind == dispatch.EventMatch && e.Data != "" {
			var m matchData
			if json.Unmarshal([]byte(e.Data), &m) == nil {
				it.Match = &m
			}
		}
		if it.Match == nil {
			it.Fields = dataFields(e.Data)
		}
		d.Timeline = append(d.Timeline, it)
	}
	for _, n := range msgs {
		d.Timeline = append(d.Timeline, timelineItem{At: n.CreatedAt, Message: n})
	}
	sort.SliceStable(d.Timeline, func(i, j int) bool { return d.Timeline[i].At.Before(d.Timeline[j].At) })
	return d, nil
}

func (c *Console) volunteerNames(ctx context.Context, offers []*dispatch.Offer) (map[int64]string, error) {
	names := map[int64]string{}
	var ids []int64
	for _, o := range offers {
		ids = append(ids, o.VolunteerID)
	}
	if len(ids) == 0 {
		return names, nil
	}
	vs, _, err := c.store.Volunteers(ctx, dispatch.VolunteerFilter{IDs: ids, Limit: len(ids)})
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		names[v.ID] = v.Name
	}
	return names, nil
}

// dataFields flattens an event's JSON detail into key/value pairs for
// display; anything that is not a JSON object is shown as one value.
func dataFields(data string) []field {
	if data == "" || data == "null" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return []field{{"data", data}}
	}
	var out []field
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		out = append(out, field{k, s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ticketAction runs one dispatcher action and goes back to the ticket page:
// a redirect on success (so that a reload does not repeat it), the page
// with the error and the typed values otherwise.
func (c *Console) ticketAction(name string) echo.HandlerFunc {
	return func(ec echo.Context) error {
		id, err := idParam(ec, "id")
		if err != nil {
			return err
		}
		if c.opts.Actions == nil {
			return dispatch.Errorf(dispatch.EUNAVAILABLE, "ticket actions are not configured")
		}
		if err := c.seeTicket(ec, id); err != nil {
			return dispatch.E("console.ticketAction", err)
		}
		err = c.runAction(ec, name, id)
		if err != nil {
			code := dispatch.ErrorCode(err)
			if code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
				return dispatch.E("console.ticketAction", err)
			}
			form := map[string]string{"action": name}
			for _, k := range []string{"reason", "note", "body", "volunteer_id", "volunteer_other", "address", "lat", "lon", "category", "urgency"} {
				form[k] = ec.FormValue(k)
			}
			return c.showTicket(ec, statusOf(code), dispatch.ErrorMessage(err), form)
		}
		return ec.Redirect(http.StatusSeeOther, "/console/tickets/"+strconv.FormatInt(id, 10)+"?done="+name)
	}
}

func (c *Console) runAction(ec echo.Context, name string, id int64) error {
	ctx := ec.Request().Context()
	a := c.opts.Actions
	who := actor(ec)
	reason := strings.TrimSpace(ec.FormValue("reason"))
	var err error
	switch name {
	case "assign":
		vid, perr := volunteerChoice(ec.FormValue("volunteer_other"), ec.FormValue("volunteer_id"))
		if perr != nil {
			return perr
		}
		_, err = a.Assign(ctx, id, vid, who, reason)
	case "redispatch":
		_, err = a.Redispatch(ctx, id, who, reason)
	case "cancel":
		_, err = a.Cancel(ctx, id, who, reason)
	case "escalate":
		if reason == "" {
			return dispatch.Errorf(dispatch.EINVALID, "say why the ticket is escalated (reason)")
		}
		_, err = a.Escalate(ctx, id, who, reason)
	case "deescalate":
		_, err = a.Deescalate(ctx, id, who, reason)
	case "note":
		note := strings.TrimSpace(ec.FormValue("note"))
		if note == "" {
			return dispatch.Errorf(dispatch.EINVALID, "the note is empty")
		}
		err = a.AddNote(ctx, id, who, note)
	case "text":
		err = a.TextClient(ctx, id, who, ec.FormValue("body"))
	case "edit":
		var e dispatch.TicketEdit
		if e, err = c.editOf(ctx, ec, id); err == nil {
			_, err = a.Edit(ctx, id, who, e)
		}
	}
	return err
}

// volunteerChoice takes the typed volunteer number over the chosen
// suggestion.
func volunteerChoice(other, chosen string) (int64, error) {
	s := strings.TrimSpace(other)
	if s == "" {
		s = chosen
	}
	if s == "" {
		return 0, dispatch.Errorf(dispatch.EINVALID, "choose a volunteer or type a volunteer number")
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, dispatch.Errorf(dispatch.EINVALID, "volunteer number %q is not a number", s)
	}
	return id, nil
}

// editOf builds the edit from the form, keeping only what changed.
func (c *Console) editOf(ctx context.Context, ec echo.Context, id int64) (dispatch.TicketEdit, error) {
	var e dispatch.TicketEdit
	t, err := c.store.Ticket(ctx, id)
	if err != nil {
		return e, err
	}
	if addr := strings.TrimSpace(ec.FormValue("address")); addr != t.Address {
		e.Address = &addr
	}
	if cat := dispatch.Category(ec.FormValue("category")); cat != "" && cat != t.Category {
		if !cat.Valid() {
			return e, dispatch.Errorf(dispatch.EINVALID, "category %q is not a known kind of help", cat)
		}
		e.Category = &cat
	}
	if u := dispatch.Urgency(ec.FormValue("urgency")); u != "" && u != t.Urgency {
		if !u.Valid() {
			return e, dispatch.Errorf(dispatch.EINVALID, "urgency %q is not normal or urgent", u)
		}
		e.Urgency = &u
	}
	loc, err := parseLocation(ec.FormValue("lat"), ec.FormValue("lon"))
	if err != nil {
		return e, err
	}
	if loc != nil && (t.Location == nil || *loc != *t.Location) {
		e.Location = loc
	}
	return e, nil
}

// parseLocation reads a latitude and longitude typed in a form; both empty
// is no location.
func parseLocation(lat, lon string) (*dispatch.Location, error) {
	lat, lon = strings.TrimSpace(lat), strings.TrimSpace(lon)
	if lat == "" && lon == "" {
		return nil, nil
	}
	la, err1 := strconv.ParseFloat(strings.ReplaceAll(lat, ",", "."), 64)
	lo, err2 := strconv.ParseFloat(strings.ReplaceAll(lon, ",", "."), 64)
	if err1 != nil {
		return nil, dispatch.Errorf(dispatch.EINVALID, "latitude %q is not a number", lat)
	}
	if err2 != nil {
		return nil, dispatch.Errorf(dispatch.EINVALID, "longitude %q is not a number", lon)
	}
	l := dispatch.Location{Lat: la, Lon: lo}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

// statusOf maps an error code to its HTTP status (the same table as the
// server's error handler, for pages rendered here).
func statusOf(code string) int {
	if s, ok := httpstatus.Of(code); ok {
		return s
	}
	return http.StatusInternalServerError
}
