package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func (c *Console) registerVolunteers(g *echo.Group) {
	g.GET("/volunteers", c.volunteersPage, c.require(viewPage))
	g.GET("/volunteers/new", c.newVolunteerPage, c.require(actPage))
	g.POST("/volunteers", c.createVolunteer, c.require(actPage))
	g.GET("/volunteers/import", c.importPage, c.require(actPage))
	g.POST("/volunteers/import", c.importVolunteers, c.require(actPage))
	g.GET("/volunteers/:id", c.volunteerPage, c.require(viewPage))
	g.POST("/volunteers/:id", c.updateVolunteer, c.require(actPage))
	g.POST("/volunteers/:id/pause", c.setAvailable(false), c.require(actPage))
	g.POST("/volunteers/:id/resume", c.setAvailable(true), c.require(actPage))
}

const pageSize = 50

// listPage is the paging of a list: which rows are shown and the links to
// the pages before and after, keeping the filters.
type listPage struct {
	Offset, Shown, Total int
	Prev, Next           string
}

func pager(u *url.URL, offset, shown, total int) listPage {
	p := listPage{Offset: offset, Shown: shown, Total: total}
	link := func(off int) string {
		q := u.Query()
		q.Set("offset", strconv.Itoa(off))
		return u.Path + "?" + q.Encode()
	}
	if offset > 0 {
		p.Prev = link(max(0, offset-pageSize))
	}
	if offset+shown < total {
		p.Next = link(offset + pageSize)
	}
	return p
}

type volunteersData struct {
	Volunteers []*dispatch.Volunteer
	Query      string
	Skill      string
	Lang       string
	Available  string
	Skills     []dispatch.Skill
	Langs      []dispatch.Lang
	Page       listPage
	// Centres is the centre filter of a user who sees every centre (nil
	// for a centre's dispatcher); Centre the one picked.
	Centres []centreChoice
	Centre  string
}

func (c *Console) volunteersPage(ec echo.Context) error {
	d := volunteersData{Query: strings.TrimSpace(ec.QueryParam("q")), Skill: ec.QueryParam("skill"),
		Lang: ec.QueryParam("language"), Available: ec.QueryParam("available"), Skills: dispatch.Skills, Langs: dispatch.Langs}
	offset, _ := strconv.Atoi(ec.QueryParam("offset"))
	f := dispatch.VolunteerFilter{Query: d.Query, Skill: dispatch.Skill(d.Skill), Lang: dispatch.Lang(d.Lang),
		Limit: pageSize, Offset: max(0, offset)}
	switch d.Available {
	case "yes":
		f.Available = ptr(true)
	case "no":
		f.Available = ptr(false)
	}
	var err error
	if d.Centre, err = c.scopeVolunteers(ec, &f); err != nil {
		return err
	}
	if d.Centres, err = c.centreChoices(ec.Request().Context(), ec); err != nil {
		return dispatch.E("console.volunteers", err)
	}
	vs, total, err := c.store.Volunteers(ec.Request().Context(), f)
	if err != nil {
		return dispatch.E("console.volunteers", err)
	}
	d.Volunteers = vs
	d.Page = pager(ec.Request().URL, f.Offset, len(vs), total)
	return c.Render(ec, http.StatusOK, "volunteers", c.Page(ec, "volunteers", "volunteers.title", d))
}

func ptr[T any](v T) *T { return &v }

// volunteerData is one volunteer's page, or the form for a new one.
type volunteerData struct {
	Volunteer *dispatch.Volunteer
	Tasks     []*dispatch.Ticket
	Hours     float64
	Completed int
	Skills    []dispatch.Skill
	Langs     []dispatch.Lang
	// Form holds what was typed when saving failed; nil shows the
	// volunteer's values.
	Form url.Values
}

// Has reports whether the form (or the volunteer) has a language or skill
// ticked.
func (d *volunteerData) Has(v string) bool {
	if d.Form != nil {
		for _, x := range append(d.Form["languages"], d.Form["skills"]...) {
			if x == v {
				return true
			}
		}
		return false
	}
	if d.Volunteer == nil {
		return v == string(dispatch.LangRU)
	}
	return d.Volunteer.SpeaksAny(dispatch.Lang(v)) || d.Volunteer.HasSkill(dispatch.Skill(v))
}

// Value is a typed form value, else the volunteer's.
func (d *volunteerData) Value(key string) string {
	if d.Form != nil {
		return d.Form.Get(key)
	}
	v := d.Volunteer
	if v == nil {
		if key == "max_tasks" {
			return "1"
		}
		return ""
	}
	switch key {
	case "name":
		return v.Name
	case "phone":
		return v.Phone
	case "max_tasks":
		return strconv.Itoa(v.MaxTasks)
	case "lat":
		if v.Location != nil {
			return strconv.FormatFloat(v.Location.Lat, 'f', -1, 64)
		}
	case "lon":
		if v.Location != nil {
			return strconv.FormatFloat(v.Location.Lon, 'f', -1, 64)
		}
	}
	return ""
}

func (c *Console) newVolunteerPage(ec echo.Context) error {
	d := &volunteerData{Skills: dispatch.Skills, Langs: dispatch.Langs}
	return c.Render(ec, http.StatusOK, "volunteer_new", c.Page(ec, "volunteers", "volunteer.new", d))
}

func (c *Console) volunteerPage(ec echo.Context) error {
	return c.showVolunteer(ec, http.StatusOK, "", nil)
}

func (c *Console) showVolunteer(ec echo.Context, status int, errMsg string, form url.Values) error {
	const op = "console.volunteer"
	ctx := ec.Request().Context()
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	v, err := c.visibleVolunteer(ec, op, id)
	if err != nil {
		return err
	}
	d := &volunteerData{Volunteer: v, Skills: dispatch.Skills, Langs: dispatch.Langs, Form: form}
	if d.Tasks, _, err = c.store.Tickets(ctx, dispatch.TicketFilter{Volunteer: &id,
		Status: []dispatch.Status{dispatch.StatusAssigned, dispatch.StatusInProgress}, Limit: 100}); err != nil {
		return dispatch.E(op, err)
	}
	hours, n, err := c.hoursServed(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	d.Hours, d.Completed = hours.Hours(), n
	p := c.Page(ec, "volunteers", "volunteer.title", d)
	p.Title = v.Name
	p.Error = errMsg
	if done := ec.QueryParam("done"); done != "" && errMsg == "" {
		p.Flash = p.T("volunteer.done_" + done)
	}
	return c.Render(ec, status, "volunteer", p)
}

// hoursServed adds up assignment to completion over the volunteer's
// completed tickets: the hours centres report.
func (c *Console) hoursServed(ctx context.Context, id int64) (time.Duration, int, error) {
	var sum time.Duration
	n := 0
	for off := 0; ; off += 500 {
		ts, total, err := c.store.Tickets(ctx, dispatch.TicketFilter{Volunteer: &id,
			Status: []dispatch.Status{dispatch.StatusCompleted}, Limit: 500, Offset: off})
		if err != nil {
			return 0, 0, err
		}
		for _, t := range ts {
			if t.AssignedAt != nil && t.CompletedAt != nil && t.CompletedAt.After(*t.AssignedAt) {
				sum += t.CompletedAt.Sub(*t.AssignedAt)
			}
			n++
		}
		if len(ts) == 0 || off+len(ts) >= total {
			return sum, n, nil
		}
	}
}

// volunteerForm reads and checks the form into v, naming the field of the
// first problem.
func (c *Console) volunteerForm(ec echo.Context, v *dispatch.Volunteer) error {
	f, err := ec.FormParams()
	if err != nil {
		return dispatch.Errorf(dispatch.EINVALID, "the form could not be read")
	}
	v.Name = strings.TrimSpace(f.Get("name"))
	if v.Name == "" {
		return dispatch.Errorf(dispatch.EINVALID, "name: the name is empty")
	}
	phone, err := c.normalizePhone(f.Get("phone"))
	if err != nil {
		return err
	}
	v.Phone = phone
	v.Languages = nil
	for _, s := range f["languages"] {
		l, err := dispatch.ParseLang(s)
		if err != nil {
			return err
		}
		v.Languages = append(v.Languages, l)
	}
	if len(v.Languages) == 0 {
		return dispatch.Errorf(dispatch.EINVALID, "languages: tick at least one language")
	}
	v.Skills = nil
	for _, s := range f["skills"] {
		if !dispatch.Skill(s).Valid() {
			return dispatch.Errorf(dispatch.EINVALID, "skills: %q is not a known skill", s)
		}
		v.Skills = append(v.Skills, dispatch.Skill(s))
	}
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("max_tasks")))
	if err != nil || n < 1 || n > 20 {
		return dispatch.Errorf(dispatch.EINVALID, "max tasks: %q is not a whole number from 1 to 20", f.Get("max_tasks"))
	}
	v.MaxTasks = n
	if v.Location, err = parseLocation(f.Get("lat"), f.Get("lon")); err != nil {
		return err
	}
	return nil
}

func (c *Console) normalizePhone(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", dispatch.Errorf(dispatch.EINVALID, "phone: the phone is empty")
	}
	if c.opts.Phones != nil {
		p, err := c.opts.Phones.Normalize(raw)
		if err != nil {
			return "", dispatch.Errorf(dispatch.EINVALID, "phone: %s", dispatch.ErrorMessage(err))
		}
		return p, nil
	}
	if !strings.HasPrefix(raw, "+") {
		return "", dispatch.Errorf(dispatch.EINVALID, "phone: %q is not an international number like +77012345678", raw)
	}
	return raw, nil
}

func (c *Console) createVolunteer(ec echo.Context) error {
	ctx := ec.Request().Context()
	v := &dispatch.Volunteer{Available: ec.FormValue("available") != "no"}
	err := c.volunteerForm(ec, v)
	if err == nil {
		err = c.store.CreateVolunteer(ctx, v)
	}
	if err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
			return dispatch.E("console.createVolunteer", err)
		}
		form, _ := ec.FormParams()
		d := &volunteerData{Skills: dispatch.Skills, Langs: dispatch.Langs, Form: form}
		p := c.Page(ec, "volunteers", "volunteer.new", d)
		p.Error = dispatch.ErrorMessage(err)
		return c.Render(ec, statusOf(dispatch.ErrorCode(err)), "volunteer_new", p)
	}
	c.reindex(ec, v)
	return ec.Redirect(http.StatusSeeOther, "/console/volunteers/"+strconv.FormatInt(v.ID, 10)+"?done=created")
}

func (c *Console) updateVolunteer(ec echo.Context) error {
	ctx := ec.Request().Context()
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	v, err := c.visibleVolunteer(ec, "console.updateVolunteer", id)
	if err != nil {
		return err
	}
	err = c.volunteerForm(ec, v)
	if err == nil {
		err = dispatch.CheckAvailable(v)
	}
	if err == nil {
		err = c.store.UpdateVolunteer(ctx, v)
	}
	if err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
			return dispatch.E("console.updateVolunteer", err)
		}
		form, _ := ec.FormParams()
		return c.showVolunteer(ec, statusOf(dispatch.ErrorCode(err)), dispatch.ErrorMessage(err), form)
	}
	c.reindex(ec, v)
	return ec.Redirect(http.StatusSeeOther, "/console/volunteers/"+strconv.FormatInt(id, 10)+"?done=saved")
}

// reindex brings the geo index in line with a volunteer just saved, through
// the engine (which owns the index). Failing here is not failing the save:
// the engine's reconciler rebuilds the index from PostgreSQL anyway.
func (c *Console) reindex(ec echo.Context, v *dispatch.Volunteer) {
	if c.opts.Assignments == nil {
		return
	}
	ctx := ec.Request().Context()
	if err := c.opts.Assignments.SetAvailable(ctx, v.ID, v.Available, actor(ec)); err != nil {
		c.log.WarnContext(ctx, "console: geo index not updated; the reconciler will", "volunteer", v.ID, "err", err)
	}
}

func (c *Console) setAvailable(on bool) echo.HandlerFunc {
	return func(ec echo.Context) error {
		id, err := idParam(ec, "id")
		if err != nil {
			return err
		}
		if c.opts.Assignments == nil {
			return dispatch.Errorf(dispatch.EUNAVAILABLE, "pausing volunteers is not configured")
		}
		if err := c.seeVolunteer(ec, id); err != nil {
			return err
		}
		if err := c.opts.Assignments.SetAvailable(ec.Request().Context(), id, on, actor(ec)); err != nil {
			if dispatch.IsCode(err, dispatch.ECONFLICT) {
				// A sign-up waiting for approval: say where to approve it.
				return c.showVolunteer(ec, http.StatusConflict, dispatch.ErrorMessage(err), nil)
			}
			return dispatch.E("console.setAvailable", err)
		}
		done := "paused"
		if on {
			done = "resumed"
		}
		return ec.Redirect(http.StatusSeeOther, "/console/volunteers/"+strconv.FormatInt(id, 10)+"?done="+done)
	}
}
