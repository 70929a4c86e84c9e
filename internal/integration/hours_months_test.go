package integration

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// TestHoursAcrossMonths: a volunteer's completed tasks add up per calendar
// month in the service's zone (a task across midnight at the month's edge
// counts in the month it ended), corrections of a task and of a month apply
// and are kept as an audit, and the CSV and the printable statement agree.
func TestHoursAcrossMonths(t *testing.T) {
	g := newRecRig(t)
	v := g.volunteer("Ерлан Нұрланұлы")
	other := g.volunteer("Другой Волонтёр")
	c := g.client("Клиент")
	at := func(s string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, g.zone)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	done := func(vol *dispatch.Volunteer, from, to string) *dispatch.Ticket {
		tk := g.newTicket(c, nil)
		g.finish(tk, dispatch.StatusCompleted, vol, at(from), at(to))
		return tk
	}
	done(v, "2026-01-10 10:00", "2026-01-10 11:30")               // 90 min in January
	edge := done(v, "2026-01-31 23:00", "2026-02-01 00:30")       // 90 min, February by its end
	short := done(v, "2026-02-05 09:00", "2026-02-05 09:10")      // 10 min, corrected to 45
	done(v, "2026-03-01 01:00", "2026-03-01 03:00")               // 02:00 in Almaty is still Feb in UTC: March here
	theirs := done(other, "2026-01-12 10:00", "2026-01-12 18:00") // someone else's
	cancelled := g.newTicket(c, nil)
	g.finish(cancelled, dispatch.StatusCancelled, v, at("2026-01-20 10:00"), at("2026-01-20 12:00"))

	b := g.login(dispatch.RoleDispatcher)
	base := "/console/volunteers/" + strconv.FormatInt(v.ID, 10) + "/hours"
	for _, f := range []url.Values{
		{"ticket": {short.Code}, "mode": {"absolute"}, "minutes": {"45"}, "reason": {"забыл отправить ГОТОВО"}},
		{"month": {"2026-01"}, "mode": {"delta"}, "minutes": {"30"}, "reason": {"обучение"}},
	} {
		if res := b.post(base, withCSRF(b, f)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("correction %v: %d", f, res.StatusCode)
		}
	}
	// refused: no reason, another's task, a cancelled ticket, a bad month, not a number
	for _, f := range []url.Values{
		{"ticket": {edge.Code}, "minutes": {"10"}, "reason": {""}},
		{"ticket": {theirs.Code}, "minutes": {"10"}, "reason": {"x"}},
		{"ticket": {cancelled.Code}, "minutes": {"10"}, "reason": {"x"}},
		{"month": {"2026-13"}, "minutes": {"10"}, "reason": {"x"}},
		{"ticket": {edge.Code}, "minutes": {"ten"}, "reason": {"x"}},
	} {
		if status, _ := b.form(base, f); status < 400 || status >= 500 {
			t.Errorf("correction %v accepted: %d", f, status)
		}
	}

	s, err := g.hours.Statement(g.ctx, v.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"2026-01": 90 + 30, "2026-02": 90 + 45, "2026-03": 120}
	if len(s.Months) != 3 {
		t.Fatalf("months %+v", s.Months)
	}
	for _, m := range s.Months {
		if m.Minutes != want[m.Month] {
			t.Errorf("%s: %d min, want %d", m.Month, m.Minutes, want[m.Month])
		}
	}
	if s.Minutes != 120+135+120 || len(s.Corrections) != 2 || s.Corrections[0].Actor != "user:dispatcher" {
		t.Fatalf("total %d, corrections %+v", s.Minutes, s.Corrections)
	}

	status, body := b.get(base)
	if status != 200 || !strings.Contains(body, "6.25") || !strings.Contains(body, "забыл отправить ГОТОВО") {
		t.Fatalf("hours page: %d\n%s", status, body)
	}
	// the period filter
	if s, _ := g.hours.Statement(g.ctx, v.ID, "2026-02", "2026-02"); s.Minutes != 135 {
		t.Fatalf("February alone: %d", s.Minutes)
	}

	status, body = b.get(base + ".csv")
	if status != 200 {
		t.Fatalf("csv: %d", status)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	totals := map[string]string{}
	tasks := 0
	for _, r := range rows[1:] {
		switch r[1] {
		case "total":
			totals[r[0]] = r[7]
		case "task":
			tasks++
		}
	}
	if tasks != 4 || totals["2026-01"] != "120" || totals["2026-02"] != "135" || totals["2026-03"] != "120" {
		t.Fatalf("csv: %d tasks, totals %v\n%s", tasks, totals, body)
	}

	status, body = b.get(base + "/statement?from=2026-01&to=2026-02")
	for _, want := range []string{recCentre, "Ерлан Нұрланұлы", "2026-01 — 2026-02", `id="statement-total">4.25<`, edge.Code,
		"Подпись", "hours.css"} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("statement lacks %q (%d)", want, status)
		}
	}
	if strings.Contains(body, "2026-03") {
		t.Error("statement for Jan–Feb shows March")
	}
}
