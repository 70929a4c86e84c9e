package console

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// reportCSVHeader is the first row of the export. The layout is long
// (one number per row) so that a spreadsheet can filter by section and the
// file needs no change when a section gains rows. centre and district are
// empty on the rows of the whole report; on the by_centre and by_district
// rows they name the centre (its key, empty for the tickets routed to no
// centre) and the district (empty for none) the number is of.
var reportCSVHeader = []string{"section", "key", "value", "centre", "district"}

// writeReportCSV writes r as CSV. encoding/csv quotes commas, quotes and
// line breaks; cells that a spreadsheet would run as a formula are defused
// as well, since area and volunteer names come from what people typed.
func writeReportCSV(w io.Writer, r *dispatch.Report) error {
	cw := csv.NewWriter(w)
	row := func(section, key, value string) {
		_ = cw.Write([]string{section, safeCell(key), value, "", ""})
	}
	_ = cw.Write(reportCSVHeader)
	row("period", "from", r.From.Format("2006-01-02"))
	row("period", "to", r.To.Format("2006-01-02"))
	row("summary", "tickets", strconv.Itoa(r.Total))
	row("summary", "completed", strconv.Itoa(r.Completed))
	row("summary", "completion_rate", fmt.Sprintf("%.4f", r.CompletionRate()))
	row("summary", "escalated", strconv.Itoa(r.Escalated))
	row("summary", "escalation_rate", fmt.Sprintf("%.4f", r.EscalationRate()))
	row("summary", "assigned", strconv.Itoa(r.ToAssign.N))
	row("summary", "to_assign_median_minutes", minutes(r.ToAssign.Median.Minutes()))
	row("summary", "to_assign_p90_minutes", minutes(r.ToAssign.P90.Minutes()))
	row("summary", "to_complete_median_minutes", minutes(r.ToComplete.Median.Minutes()))
	row("summary", "to_complete_p90_minutes", minutes(r.ToComplete.P90.Minutes()))
	row("summary", "volunteer_hours", minutes(r.VolunteerHours))
	for _, c := range r.PerDay {
		row("per_day", c.Key, strconv.Itoa(c.N))
	}
	for _, c := range r.ByChannel {
		row("channel", c.Key, strconv.Itoa(c.N))
	}
	for _, c := range r.ByCategory {
		row("category", c.Key, strconv.Itoa(c.N))
	}
	for _, c := range r.ByArea {
		row("area", c.Key, strconv.Itoa(c.N))
	}
	for _, v := range r.Volunteers {
		row("volunteer_hours", v.Name, minutes(v.Hours))
		row("volunteer_tasks", v.Name, strconv.Itoa(v.Tasks))
	}
	writeSplitCSV(cw, "by_centre", r.ByCentre)
	writeSplitCSV(cw, "by_district", r.ByDistrict)
	cw.Flush()
	return cw.Error()
}

// minutes formats a number with two decimals (minutes or hours).
func minutes(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// safeCell prefixes a quote to text a spreadsheet would evaluate
// (=, +, -, @, tab, carriage return at the start), as OWASP advises for CSV
// injection.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeSplitCSV writes the summary's numbers of each centre or district,
// one number a row, with the centre and district columns filled.
func writeSplitCSV(cw *csv.Writer, section string, ss []dispatch.Split) {
	for _, sp := range ss {
		row := func(key, value string) {
			_ = cw.Write([]string{section, key, value, safeCell(sp.Centre), safeCell(sp.District)})
		}
		row("tickets", strconv.Itoa(sp.Total))
		row("completed", strconv.Itoa(sp.Completed))
		row("escalated", strconv.Itoa(sp.Escalated))
		row("assigned", strconv.Itoa(sp.ToAssign.N))
		row("to_assign_median_minutes", minutes(sp.ToAssign.Median.Minutes()))
		row("to_complete_median_minutes", minutes(sp.ToComplete.Median.Minutes()))
		row("volunteer_hours", minutes(sp.VolunteerHours))
	}
}
