package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
)

// PageOptions configure the reports, map and phone simulator pages
// (report.go, map.go, simulator.go). Every field may be left zero: the
// repositories default to the Store when it implements them (the PostgreSQL
// store does), and the simulator is shown only in Options.SimulatorMode.
type PageOptions struct {
	// Zone is the service's time zone (TIMEZONE): report days are cut in it.
	// Nil: UTC.
	Zone    *time.Location
	Reports dispatch.ReportRepo
	Map     dispatch.MapRepo
	Sim     dispatch.SimulatorRepo
	// PublicBaseURL is PUBLIC_BASE_URL, which webhook signatures are
	// checked against; the simulator signs its requests for it.
	PublicBaseURL string
	// WebhookToken is the token the simulator signs with (the development
	// token in simulator mode).
	WebhookToken string
	// ServiceNumber is the hotline's number (TWILIO_FROM_NUMBER), the "To"
	// of simulated texts and calls.
	ServiceNumber string
	// Files holds gazetteer.json, from which the reports name districts and
	// the map names and focuses on cities, and prompts/<lang>.json, from
	// which the simulator shows what a played audio prompt says. Nil: the
	// files the binary embeds (configs.Files).
	Files fs.FS
}

// The repositories come from PageOptions, else from the Store.
func (c *Console) reportRepo() dispatch.ReportRepo {
	if r := c.opts.Pages.Reports; r != nil {
		return r
	}
	r, _ := c.store.(dispatch.ReportRepo)
	return r
}

func (c *Console) files() fs.FS {
	if f := c.opts.Pages.Files; f != nil {
		return f
	}
	return configs.Files
}

func (c *Console) zone() *time.Location {
	if z := c.opts.Pages.Zone; z != nil {
		return z
	}
	return time.UTC
}

// registerReports mounts the reports page and its CSV export. Viewers see
// them: coordinators who report numbers need no dispatching rights.
func (c *Console) registerReports(g *echo.Group) {
	g.GET("/reports", c.reportsPage, c.require(viewPage))
	g.GET("/reports.csv", c.reportsCSV, c.require(viewPage))
}

// reportData is the reports page.
type reportData struct {
	From, To string // the form's values, "2006-01-02", To inclusive
	CSVURL   string
	R        *dispatch.Report
	Summary  []summaryRow
	Charts   map[string]template.HTML
	// Centre is the centre filter (coordinators) or the user's centre.
	Centre centrePick
	// Splits are the report's tables by centre and by district.
	Splits []splitTable
}

// summaryRow is one line of the summary table, formatted for people.
type summaryRow struct {
	Label, Value string
}

func reportSummary(p *Page, r *dispatch.Report) []summaryRow {
	n := func(i int) string { return fmt.Sprintf("%d", i) }
	return []summaryRow{
		{p.T("report.total"), n(r.Total)},
		{p.T("report.completed"), fmt.Sprintf("%d (%s)", r.Completed, pct(r.CompletionRate()))},
		{p.T("report.escalated"), fmt.Sprintf("%d (%s)", r.Escalated, pct(r.EscalationRate()))},
		{p.T("report.assign_median"), durOrDash(p, r.ToAssign)},
		{p.T("report.assign_p90"), durOrDash(p, dispatch.Durations{N: r.ToAssign.N, Median: r.ToAssign.P90})},
		{p.T("report.complete_median"), durOrDash(p, r.ToComplete)},
		{p.T("report.complete_p90"), durOrDash(p, dispatch.Durations{N: r.ToComplete.N, Median: r.ToComplete.P90})},
		{p.T("report.volunteer_hours"), fmt.Sprintf("%.1f", r.VolunteerHours)},
	}
}

// durOrDash shows a median, or a dash when nothing was measured: zero
// minutes would be a false number.
func durOrDash(p *Page, d dispatch.Durations) string {
	if d.N == 0 {
		return "—"
	}
	return dur(p, d.Median)
}

// reportPeriod reads ?from= and ?to= (both days, to inclusive) in the
// service's zone. The default is the last 30 days, today included.
func (c *Console) reportPeriod(ec echo.Context) (dispatch.ReportFilter, string, string, error) {
	zone := c.zone()
	now := c.now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	from, to := today.AddDate(0, 0, -29), today
	var errs []string
	if s := strings.TrimSpace(ec.QueryParam("from")); s != "" {
		d, err := time.ParseInLocation("2006-01-02", s, zone)
		if err != nil {
			errs = append(errs, "from")
		}
		from = d
	}
	if s := strings.TrimSpace(ec.QueryParam("to")); s != "" {
		d, err := time.ParseInLocation("2006-01-02", s, zone)
		if err != nil {
			errs = append(errs, "to")
		}
		to = d
	}
	f := dispatch.ReportFilter{From: from, To: to.AddDate(0, 0, 1), Zone: zone}
	fs, ts := from.Format("2006-01-02"), to.Format("2006-01-02")
	if len(errs) > 0 {
		return f, ec.QueryParam("from"), ec.QueryParam("to"),
			dispatch.Errorf(dispatch.EINVALID, "dates must be written as YYYY-MM-DD (%s)", strings.Join(errs, ", "))
	}
	return f, fs, ts, f.Validate()
}

func (c *Console) reportsPage(ec echo.Context) error {
	ctx := ec.Request().Context()
	f, from, to, err := c.reportPeriod(ec)
	d := &reportData{From: from, To: to}
	p := c.Page(ec, "reports", "report.title", d)
	if err != nil {
		p.Error = p.T("report.bad_period") + " " + dispatch.ErrorMessage(err)
		return c.Render(ec, http.StatusBadRequest, "reports", p)
	}
	f.Areas = reportAreas(c.files(), p.Lang)
	repo := c.reportRepo()
	if repo == nil {
		return dispatch.Errorf(dispatch.EINTERNAL, "console: no report repository is wired")
	}
	if f.Centre, err = c.scope(ec); err != nil {
		return dispatch.E("console.reports", err)
	}
	if d.Centre, err = c.centrePicks(ec, f.Centre); err != nil {
		return dispatch.E("console.reports", err)
	}
	r, err := repo.Report(ctx, f)
	if err != nil {
		return dispatch.E("console.reports", err)
	}
	d.R = r
	q := url.Values{"from": {from}, "to": {to}}
	if f.Centre.Centre != 0 && !f.Centre.Unrouted {
		q.Set("centre", strconv.FormatInt(f.Centre.Centre, 10))
	}
	d.CSVURL = "/console/reports.csv?" + q.Encode()
	d.Summary = reportSummary(p, r)
	names, err := c.centreNames(ec)
	if err != nil {
		return dispatch.E("console.reports", err)
	}
	d.Splits = []splitTable{
		{ID: "by-centre", Title: "report.by_centre", Rows: splitRows(p, names, r.ByCentre)},
		{ID: "by-district", Title: "report.by_district", Rows: splitRows(p, names, r.ByDistrict), District: true},
	}
	d.Charts = reportCharts(p, r)
	return c.Render(ec, http.StatusOK, "reports", p)
}

// reportCharts draws the page's charts with texts in the page's language.
func reportCharts(p *Page, r *dispatch.Report) map[string]template.HTML {
	desc := func(key string, counts []dispatch.Count, label func(string) string) string {
		var parts []string
		for _, c := range counts {
			l := c.Key
			if label != nil {
				l = label(c.Key)
			}
			parts = append(parts, fmt.Sprintf("%s: %d", l, c.N))
		}
		if len(parts) == 0 {
			return p.T("report.none")
		}
		return p.T(key) + ". " + strings.Join(parts, "; ")
	}
	area := func(k string) string {
		if k == "" {
			return p.T("report.area_unknown")
		}
		return k
	}
	channel := func(k string) string { return p.T("report.channel." + k) }
	category := func(k string) string { return p.T("report.category." + k) }
	return map[string]template.HTML{
		"day": columnChart("chart-day", p.T("report.per_day"),
			desc("report.per_day", r.PerDay, nil), countBars(r.PerDay, nil)),
		"channel": barChart("chart-channel", p.T("report.by_channel"),
			desc("report.by_channel", r.ByChannel, channel), countBars(r.ByChannel, channel)),
		"category": barChart("chart-category", p.T("report.by_category"),
			desc("report.by_category", r.ByCategory, category), countBars(r.ByCategory, category)),
		"area": barChart("chart-area", p.T("report.by_area"),
			desc("report.by_area", r.ByArea, area), countBars(r.ByArea, area)),
	}
}

func (c *Console) reportsCSV(ec echo.Context) error {
	f, from, to, err := c.reportPeriod(ec)
	if err != nil {
		return ec.String(http.StatusBadRequest, dispatch.ErrorMessage(err)+"\n")
	}
	repo := c.reportRepo()
	if repo == nil {
		return dispatch.Errorf(dispatch.EINTERNAL, "console: no report repository is wired")
	}
	f.Areas = reportAreas(c.files(), c.lang(ec))
	if f.Centre, err = c.scope(ec); err != nil {
		return dispatch.E("console.reportsCSV", err)
	}
	r, err := repo.Report(ec.Request().Context(), f)
	if err != nil {
		return dispatch.E("console.reportsCSV", err)
	}
	var buf bytes.Buffer
	// A byte order mark makes spreadsheet programs read the Cyrillic and
	// Kazakh names as UTF-8.
	buf.WriteString("\ufeff")
	if err := writeReportCSV(&buf, r); err != nil {
		return dispatch.E("console.reportsCSV", err)
	}
	h := ec.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%s-%s.csv"`, from, to))
	h.Set("Cache-Control", "no-store")
	return ec.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// Template helpers of the reports page.

// pct formats a rate as a percentage with one decimal.
func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

// dur formats a duration for people: "12 min", "3 h 05 min".
func dur(p *Page, d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	if m < 60 {
		return p.T("age.min", m)
	}
	return p.T("age.hmin", m/60, m%60)
}
