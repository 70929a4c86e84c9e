package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// RecordsOptions are the services of the barrier reports, volunteer hours
// and erasure pages (barriers*.go, hours*.go, erasure*.go). A nil service
// leaves its pages out.
type RecordsOptions struct {
	Barriers  *dispatch.Barriers
	Hours     *dispatch.HoursService
	Retention *dispatch.Retention
	// CentreName heads a volunteer's statement of hours (CENTRE_NAME).
	CentreName string
}

// registerRecords mounts the barrier, hours and erasure pages.
func (c *Console) registerRecords(g *echo.Group) {
	r := c.opts.Records
	if r.Barriers != nil {
		g.GET("/barriers", c.barriersPage, c.require(viewPage))
		g.GET("/barriers/:id", c.barrierPage, c.require(viewPage))
		g.POST("/barriers/:id", c.barrierStep, c.require(actPage))
	}
	if r.Hours != nil {
		g.GET("/volunteers/:id/hours", c.hoursPage, c.require(viewPage))
		g.POST("/volunteers/:id/hours", c.hoursCorrect, c.require(actPage))
		g.GET("/volunteers/:id/hours.csv", c.hoursCSV, c.require(viewPage))
		g.GET("/volunteers/:id/hours/statement", c.hoursStatement, c.require(viewPage))
	}
	if r.Retention != nil {
		g.GET("/clients/:id/erase", c.erasurePage, c.require(actPage))
		g.POST("/clients/:id/erase", c.erase, c.require(actPage))
	}
}

type barriersData struct {
	Reports  []*dispatch.BarrierReport
	Status   string
	Statuses []dispatch.BarrierStatus
	Page     listPage
	// Centre is the centre filter (coordinators) or the user's centre.
	Centre centrePick
}

func (c *Console) barriersPage(ec echo.Context) error {
	d := barriersData{Status: ec.QueryParam("status"), Statuses: dispatch.BarrierStatuses}
	offset, _ := strconv.Atoi(ec.QueryParam("offset"))
	scope, err := c.scope(ec)
	if err != nil {
		return dispatch.E("console.barriers", err)
	}
	f := dispatch.BarrierFilter{Limit: pageSize, Offset: max(0, offset), Centre: scope}
	if d.Status != "" {
		f.Status = []dispatch.BarrierStatus{dispatch.BarrierStatus(d.Status)}
	}
	rs, total, err := c.opts.Records.Barriers.List(ec.Request().Context(), f)
	if err != nil {
		return dispatch.E("console.barriers", err)
	}
	if d.Centre, err = c.centrePicks(ec, scope); err != nil {
		return dispatch.E("console.barriers", err)
	}
	d.Reports = rs
	d.Page = pager(ec.Request().URL, f.Offset, len(rs), total)
	return c.Render(ec, http.StatusOK, "barriers", c.Page(ec, "barriers", "barriers.title", d))
}

type barrierData struct {
	Report *dispatch.BarrierReport
	Ticket *dispatch.Ticket
	Kinds  []dispatch.PlaceKind
	// Next are the statuses the report may move to.
	Next []dispatch.BarrierStatus
	// Photos are the web form's uploads (attachment.go); PhotoURLs of the
	// report are an MMS's media.
	Photos []*dispatch.Attachment
	Form   url.Values
}

// Value is a typed form value after a failed step, else the report's.
func (d *barrierData) Value(key string) string {
	if d.Form != nil {
		return d.Form.Get(key)
	}
	switch key {
	case "place_kind":
		return string(d.Report.PlaceKind)
	case "place_name":
		return d.Report.PlaceName
	case "place_address":
		return d.Report.PlaceAddress
	case "district":
		return d.Report.District
	}
	return ""
}

func (c *Console) barrierPage(ec echo.Context) error {
	p, status, err := c.barrierView(ec, nil)
	if err != nil {
		return err
	}
	if done := ec.QueryParam("done"); done != "" {
		p.Flash = p.T("barriers.saved")
	}
	return c.Render(ec, status, "barriers_detail", p)
}

func (c *Console) barrierView(ec echo.Context, form url.Values) (*Page, int, error) {
	const op = "console.barrier"
	ctx := ec.Request().Context()
	id, err := idParam(ec, "id")
	if err != nil {
		return nil, 0, err
	}
	if err := c.seeTicket(ec, id); err != nil {
		return nil, 0, err
	}
	rep, err := c.opts.Records.Barriers.Get(ctx, id)
	if err != nil {
		return nil, 0, dispatch.E(op, err)
	}
	t, err := c.store.Ticket(ctx, id)
	if err != nil {
		return nil, 0, dispatch.E(op, err)
	}
	d := &barrierData{Report: rep, Ticket: t, Kinds: dispatch.PlaceKinds, Form: form}
	if d.Photos, err = c.ticketPhotos(ctx, id); err != nil {
		return nil, 0, dispatch.E(op, err)
	}
	for _, s := range dispatch.BarrierStatuses {
		if dispatch.CheckBarrierTransition(rep.Status, s) == nil {
			d.Next = append(d.Next, s)
		}
	}
	p := c.Page(ec, "barriers", "barriers.detail", d)
	p.Title = p.T("barriers.detail_of", t.Code)
	return p, http.StatusOK, nil
}

// barrierStep posts one form of the detail page: action is a status to move
// to, or "place" to edit the place.
func (c *Console) barrierStep(ec echo.Context) error {
	const op = "console.barrierStep"
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	if err := c.seeTicket(ec, id); err != nil {
		return err
	}
	form, _ := ec.FormParams()
	st := dispatch.BarrierStep{Note: form.Get("note"), SentTo: form.Get("sent_to")}
	if a := form.Get("action"); a == "place" {
		st.PlaceKind = dispatch.PlaceKind(form.Get("place_kind"))
		st.PlaceName, st.PlaceAddress, st.District = form.Get("place_name"), form.Get("place_address"), form.Get("district")
	} else {
		st.To = dispatch.BarrierStatus(a)
	}
	s := sessionOf(ec)
	_, err = c.opts.Records.Barriers.Step(ec.Request().Context(), id, st, dispatch.Actor("user:"+s.User.Name))
	if err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE || code == dispatch.ENOTFOUND {
			return dispatch.E(op, err)
		}
		p, _, verr := c.barrierView(ec, form)
		if verr != nil {
			return verr
		}
		p.Error = dispatch.ErrorMessage(err)
		return c.Render(ec, statusOf(dispatch.ErrorCode(err)), "barriers_detail", p)
	}
	return ec.Redirect(http.StatusSeeOther, "/console/barriers/"+strconv.FormatInt(id, 10)+"?done="+url.QueryEscape(strings.ToLower(form.Get("action"))))
}
