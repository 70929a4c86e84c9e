package console

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func sampleReport() *dispatch.Report {
	return &dispatch.Report{
		From:           time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		To:             time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC),
		Total:          6,
		Completed:      3,
		Escalated:      2,
		PerDay:         []dispatch.Count{{Key: "2026-11-01", N: 2}, {Key: "2026-11-02", N: 3}, {Key: "2026-11-03", N: 1}},
		ByChannel:      []dispatch.Count{{Key: "sms", N: 3}, {Key: "web", N: 3}},
		ByCategory:     []dispatch.Count{{Key: "escort", N: 6}},
		ByArea:         []dispatch.Count{{Key: `Алматы, "Центр"`, N: 4}, {Key: "=HYPERLINK(\"http://x\")", N: 1}, {Key: "", N: 1}},
		ToAssign:       dispatch.Durations{N: 4, Median: 25 * time.Minute, P90: 37 * time.Minute},
		ToComplete:     dispatch.Durations{N: 3, Median: 100 * time.Minute, P90: 132 * time.Minute},
		Volunteers:     []dispatch.VolunteerHours{{VolunteerID: 1, Name: "Айгерим\nline two", Tasks: 2, Hours: 2}},
		VolunteerHours: 2,
		ByCentre: []dispatch.Split{{Total: 2, Escalated: 1},
			{CentreID: 4, Centre: "astana-esil", Total: 4, Completed: 3, Escalated: 1, VolunteerHours: 2,
				ToAssign: dispatch.Durations{N: 4, Median: 25 * time.Minute}}},
		ByDistrict: []dispatch.Split{{Total: 2, Escalated: 1},
			{CentreID: 4, Centre: "astana-esil", District: "Есиль", Total: 3, Completed: 3, VolunteerHours: 2},
			{CentreID: 4, Centre: "astana-esil", District: "=Есиль-2", Total: 1, Escalated: 1}},
	}
}

// The CSV reads back, through a standard parser, as exactly the numbers and
// names that went in: commas, quotes and line breaks inside a cell are
// quoted, and a cell that a spreadsheet would run as a formula is defused.
func TestReportCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := writeReportCSV(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	recs, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("the export does not parse as CSV: %v\n%s", err, buf.String())
	}
	if strings.Join(recs[0], ",") != "section,key,value,centre,district" {
		t.Errorf("header = %v", recs[0])
	}
	got := map[string]string{}
	for _, r := range recs[1:] {
		if len(r) != 5 {
			t.Fatalf("row %v has %d cells, want 5", r, len(r))
		}
		k := r[0] + "|" + r[1]
		if r[3] != "" || r[4] != "" {
			k += "|" + r[3] + "|" + r[4]
		}
		got[k] = r[2]
	}
	for k, want := range map[string]string{
		"period|from":                                     "2026-11-01",
		"summary|tickets":                                 "6",
		"summary|completion_rate":                         "0.5000",
		"summary|escalation_rate":                         "0.3333",
		"summary|to_assign_median_minutes":                "25.00",
		"summary|to_assign_p90_minutes":                   "37.00",
		"summary|to_complete_p90_minutes":                 "132.00",
		"per_day|2026-11-02":                              "3",
		"channel|web":                                     "3",
		`area|Алматы, "Центр"`:                            "4",
		`area|'=HYPERLINK("http://x")`:                    "1",
		"area|":                                           "1",
		"volunteer_hours|Айгерим\nline two":               "2.00",
		"volunteer_tasks|Айгерим\nline two":               "2",
		"by_centre|tickets":                               "2",
		"by_centre|tickets|astana-esil|":                  "4",
		"by_centre|completed|astana-esil|":                "3",
		"by_centre|to_assign_median_minutes|astana-esil|": "25.00",
		"by_centre|volunteer_hours|astana-esil|":          "2.00",
		"by_district|tickets":                             "2",
		"by_district|tickets|astana-esil|Есиль":           "3",
		"by_district|escalated|astana-esil|'=Есиль-2":     "1",
	} {
		if got[k] != want {
			t.Errorf("%q = %q, want %q", k, got[k], want)
		}
	}
	if !strings.Contains(raw, `"Алматы, ""Центр"""`) {
		t.Errorf("a cell with a comma and quotes is not quoted as RFC 4180 says:\n%s", raw)
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{"=1+2": "'=1+2", "+7701": "'+7701", "-2": "'-2", "@SUM": "'@SUM", "Астана": "Астана", "": ""} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// svgDoc is what the tests read back from a chart.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Role    string   `xml:"role,attr"`
	Labels  string   `xml:"aria-labelledby,attr"`
	Title   struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"title"`
	Desc struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"desc"`
	Rects []struct {
		Width  int `xml:"width,attr"`
		Height int `xml:"height,attr"`
		N      int `xml:"data-n,attr"`
	} `xml:"rect"`
	Texts []string `xml:"text"`
}

func parseSVG(t *testing.T, s string) svgDoc {
	t.Helper()
	var d svgDoc
	if err := xml.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("chart is not well-formed XML: %v\n%s", err, s)
	}
	return d
}

// A bar chart is an accessible image (role=img named by its title and
// described by its desc), draws one bar per entry in proportion, and
// escapes the labels, which come from what people typed.
func TestBarChart(t *testing.T) {
	bars := []chartBar{{Label: "sms", N: 4}, {Label: `<script>"x" & co`, N: 2}, {Label: "none", N: 0}}
	out := string(barChart("chart-x", "Tickets & channels", "sms: 4", bars))
	if strings.Contains(out, "<script>") {
		t.Fatalf("label not escaped:\n%s", out)
	}
	d := parseSVG(t, out)
	if d.Role != "img" || d.Labels != "chart-x-title chart-x-desc" || d.Title.ID != "chart-x-title" || d.Desc.ID != "chart-x-desc" {
		t.Errorf("accessible name wiring: role=%q labelledby=%q title id=%q desc id=%q", d.Role, d.Labels, d.Title.ID, d.Desc.ID)
	}
	if d.Title.Text != "Tickets & channels" || d.Desc.Text != "sms: 4" {
		t.Errorf("title %q desc %q", d.Title.Text, d.Desc.Text)
	}
	if len(d.Rects) != 3 {
		t.Fatalf("%d bars, want 3", len(d.Rects))
	}
	if d.Rects[0].Width != 2*d.Rects[1].Width || d.Rects[0].Width == 0 || d.Rects[2].Width != 0 {
		t.Errorf("bar widths %d, %d, %d are not proportional to 4, 2, 0", d.Rects[0].Width, d.Rects[1].Width, d.Rects[2].Width)
	}
	if !strings.Contains(strings.Join(d.Texts, "|"), `<script>"x" & co`) {
		t.Errorf("label text lost: %q", d.Texts)
	}
}

func TestColumnChart(t *testing.T) {
	var bars []chartBar
	for i := 1; i <= 31; i++ {
		bars = append(bars, chartBar{Label: time.Date(2026, 10, i, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), N: i % 5})
	}
	d := parseSVG(t, string(columnChart("chart-day", "Per day", "d", bars)))
	if len(d.Rects) != 31 {
		t.Fatalf("%d columns, want 31", len(d.Rects))
	}
	for i, r := range d.Rects {
		if r.N != (i+1)%5 {
			t.Errorf("column %d carries %d, want %d", i, r.N, (i+1)%5)
		}
		if r.N == 4 && r.Height != 180 {
			t.Errorf("the largest column is %d high, want the full 180", r.Height)
		}
	}
	// At most about twelve day labels, so that they never overlap, plus the
	// two axis labels.
	if n := len(d.Texts); n > 14 || n < 10 {
		t.Errorf("%d labels: %q", n, d.Texts)
	}
	if d.Texts[2] != "01.10" {
		t.Errorf("first day label %q, want 01.10", d.Texts[2])
	}
}
