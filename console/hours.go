package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// hoursData is a volunteer's hours page and printable statement.
type hoursData struct {
	S          *dispatch.HoursStatement
	From, To   string
	Query      string // from= and to= for the links
	CentreName string
	Form       url.Values
}

// H formats minutes as hours with two decimals, the way a statement shows
// them ("1.50").
func (hoursData) H(minutes int) string { return fmt.Sprintf("%.2f", float64(minutes)/60) }

func (c *Console) hoursStatementData(ec echo.Context) (*hoursData, error) {
	const op = "console.hours"
	id, err := idParam(ec, "id")
	if err != nil {
		return nil, err
	}
	if err := c.seeVolunteer(ec, id); err != nil {
		return nil, err
	}
	from, to := strings.TrimSpace(ec.QueryParam("from")), strings.TrimSpace(ec.QueryParam("to"))
	s, err := c.opts.Records.Hours.Statement(ec.Request().Context(), id, from, to)
	if err != nil {
		return nil, dispatch.E(op, err)
	}
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	return &hoursData{S: s, From: from, To: to, Query: q.Encode(), CentreName: c.opts.Records.CentreName}, nil
}

func (c *Console) hoursPage(ec echo.Context) error {
	d, err := c.hoursStatementData(ec)
	if err != nil {
		return err
	}
	p := c.Page(ec, "volunteers", "hours.title", d)
	p.Title = p.T("hours.title_of", d.S.Volunteer.Name)
	if ec.QueryParam("done") != "" {
		p.Flash = p.T("hours.saved")
	}
	return c.Render(ec, http.StatusOK, "hours", p)
}

func (c *Console) hoursStatement(ec echo.Context) error {
	d, err := c.hoursStatementData(ec)
	if err != nil {
		return err
	}
	return c.Render(ec, http.StatusOK, "hours_statement", c.Page(ec, "volunteers", "hours.statement", d))
}

// hoursCorrect records a correction from the form: a ticket code or a month,
// minutes, "delta" or "absolute", and the reason.
func (c *Console) hoursCorrect(ec echo.Context) error {
	const op = "console.hoursCorrect"
	ctx := ec.Request().Context()
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	if err := c.seeVolunteer(ec, id); err != nil {
		return err
	}
	form, _ := ec.FormParams()
	corr := &dispatch.HoursCorrection{VolunteerID: id, Month: strings.TrimSpace(form.Get("month")),
		Absolute: form.Get("mode") == "absolute", Reason: form.Get("reason"), Actor: "user:" + sessionOf(ec).User.Name}
	err = nil
	if code := strings.ToUpper(strings.TrimSpace(form.Get("ticket"))); code != "" {
		var t *dispatch.Ticket
		if t, err = c.store.TicketByCode(ctx, code); err == nil {
			corr.TicketID = &t.ID
		}
	}
	if err == nil {
		corr.Minutes, err = strconv.Atoi(strings.TrimSpace(form.Get("minutes")))
		if err != nil {
			err = dispatch.Errorf(dispatch.EINVALID, "minutes: %q is not a whole number", form.Get("minutes"))
		}
	}
	if err == nil {
		err = c.opts.Records.Hours.Correct(ctx, corr)
	}
	if err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
			return dispatch.E(op, err)
		}
		d, derr := c.hoursStatementData(ec)
		if derr != nil {
			return derr
		}
		d.Form = form
		p := c.Page(ec, "volunteers", "hours.title", d)
		p.Title = p.T("hours.title_of", d.S.Volunteer.Name)
		p.Error = dispatch.ErrorMessage(err)
		return c.Render(ec, statusOf(dispatch.ErrorCode(err)), "hours", p)
	}
	return ec.Redirect(http.StatusSeeOther, "/console/volunteers/"+strconv.FormatInt(id, 10)+"/hours?done=corrected")
}

// hoursCSV exports the statement, one line per task, per month correction
// and per month total:
//
//	month,kind,ticket,category,assigned_at,completed_at,measured_minutes,minutes,reason
//
// kind is task, correction (minutes added), correction_set (the month's
// minutes set) or total; times are RFC 3339 in the service's zone; minutes
// are after corrections.
func (c *Console) hoursCSV(ec echo.Context) error {
	d, err := c.hoursStatementData(ec)
	if err != nil {
		return err
	}
	zone := c.opts.Records.Hours.Location()
	h := ec.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="hours-volunteer-%d.csv"`, d.S.Volunteer.ID))
	h.Set("Cache-Control", "no-store")
	ec.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(ec.Response())
	_ = w.Write([]string{"month", "kind", "ticket", "category", "assigned_at", "completed_at", "measured_minutes", "minutes", "reason"})
	for _, m := range d.S.Months {
		for _, t := range m.Tasks {
			_ = w.Write([]string{m.Month, "task", t.Code, string(t.Category), t.AssignedAt.In(zone).Format("2006-01-02T15:04:05Z07:00"),
				t.CompletedAt.In(zone).Format("2006-01-02T15:04:05Z07:00"), strconv.Itoa(t.Measured), strconv.Itoa(t.Minutes), ""})
		}
		for _, cr := range m.Corrections {
			kind := "correction"
			if cr.Absolute {
				kind = "correction_set"
			}
			_ = w.Write([]string{m.Month, kind, "", "", "", "", "", strconv.Itoa(cr.Minutes), cellText(cr.Reason)})
		}
		_ = w.Write([]string{m.Month, "total", "", "", "", "", "", strconv.Itoa(m.Minutes), ""})
	}
	w.Flush()
	return w.Error()
}

// cellText keeps a typed text from being taken for a formula by a
// spreadsheet that opens the CSV.
func cellText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
