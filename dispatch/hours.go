package dispatch

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"
)

// A volunteer's hours are the time from assignment to completion of each of
// their completed tickets, rounded to the minute, summed per calendar month
// in the service's time zone. A task counts in the month it was completed:
// one that starts at 23:30 on 31 January and ends at 00:30 on 1 February is
// an hour of February, so that a month's statement never changes once the
// month is over (except by a correction).

// HoursTask is one completed task of a volunteer.
type HoursTask struct {
	TicketID    int64     `json:"ticket_id"`
	Code        string    `json:"code"`
	Category    Category  `json:"category"`
	AssignedAt  time.Time `json:"assigned_at"`
	CompletedAt time.Time `json:"completed_at"`
	// Minutes is the task's time after corrections; Measured before them.
	Minutes   int  `json:"minutes"`
	Measured  int  `json:"measured"`
	Corrected bool `json:"corrected"`
}

// HoursCorrection is a dispatcher's correction of a volunteer's hours, for
// one task (TicketID) or one month (Month, the first day of it in the
// service's zone). Absolute sets the minutes; otherwise they are added
// (negative to subtract). Corrections are applied in the order they were
// made and are never changed: the list is the audit.
type HoursCorrection struct {
	ID          int64     `json:"id"`
	VolunteerID int64     `json:"volunteer_id"`
	TicketID    *int64    `json:"ticket_id,omitempty"`
	Month       string    `json:"month,omitempty"` // "2006-01"
	Minutes     int       `json:"minutes"`
	Absolute    bool      `json:"absolute"`
	Reason      string    `json:"reason"`
	Actor       string    `json:"actor"`
	CreatedAt   time.Time `json:"created_at"`
}

// MonthHours is one month of a volunteer's statement.
type MonthHours struct {
	Month       string             `json:"month"` // "2006-01"
	Minutes     int                `json:"minutes"`
	Tasks       []HoursTask        `json:"tasks"`
	Corrections []*HoursCorrection `json:"corrections,omitempty"` // of the month itself
}

// Hours is the month's total in hours.
func (m MonthHours) Hours() float64 { return float64(m.Minutes) / 60 }

// HoursRepo reads completed tasks and stores corrections.
type HoursRepo interface {
	// CompletedTasks lists the volunteer's completed tickets that have both
	// times, oldest completion first, with Measured and Minutes set.
	CompletedTasks(ctx context.Context, volunteerID int64) ([]HoursTask, error)
	HoursCorrections(ctx context.Context, volunteerID int64) ([]*HoursCorrection, error)
	// AddHoursCorrection inserts c and sets its ID and CreatedAt.
	AddHoursCorrection(ctx context.Context, c *HoursCorrection) error
}

// HoursStore is a Store that also keeps hours corrections.
type HoursStore interface {
	Store
	HoursRepo
}

// MonthKey is the month of t in loc, "2006-01".
func MonthKey(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01")
}

// TaskMinutes is a task's time rounded to the nearest minute, never below
// zero (a clock step backwards is not negative work).
func TaskMinutes(assigned, completed time.Time) int {
	d := completed.Sub(assigned)
	if d <= 0 {
		return 0
	}
	return int(math.Round(d.Minutes()))
}

// SumHours groups tasks by the month of their completion in loc, applies the
// corrections in the order given, and returns the months oldest first. A
// month with only a correction is listed too.
func SumHours(tasks []HoursTask, corrections []*HoursCorrection, loc *time.Location) []MonthHours {
	byTicket := map[int64]int{}
	for i := range tasks {
		byTicket[tasks[i].TicketID] = i
	}
	out := append([]HoursTask(nil), tasks...)
	var monthly []*HoursCorrection
	for _, c := range corrections {
		if c.TicketID == nil {
			monthly = append(monthly, c)
			continue
		}
		i, ok := byTicket[*c.TicketID]
		if !ok {
			continue // not (or no longer) a completed task of this volunteer
		}
		t := &out[i]
		if c.Absolute {
			t.Minutes = c.Minutes
		} else {
			t.Minutes = max(0, t.Minutes+c.Minutes)
		}
		t.Corrected = true
	}
	months := map[string]*MonthHours{}
	get := func(k string) *MonthHours {
		if m, ok := months[k]; ok {
			return m
		}
		m := &MonthHours{Month: k}
		months[k] = m
		return m
	}
	for _, t := range out {
		m := get(MonthKey(t.CompletedAt, loc))
		m.Tasks = append(m.Tasks, t)
		m.Minutes += t.Minutes
	}
	for _, c := range monthly {
		m := get(c.Month)
		if c.Absolute {
			m.Minutes = c.Minutes
		} else {
			m.Minutes = max(0, m.Minutes+c.Minutes)
		}
		m.Corrections = append(m.Corrections, c)
	}
	res := make([]MonthHours, 0, len(months))
	for _, m := range months {
		res = append(res, *m)
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Month < res[j].Month })
	return res
}

// HoursStatement is a volunteer's hours over a period of whole months.
type HoursStatement struct {
	Volunteer   *Volunteer         `json:"volunteer"`
	From, To    string             `json:"-"` // months, inclusive; "" is open
	Months      []MonthHours       `json:"months"`
	Minutes     int                `json:"minutes"`
	Corrections []*HoursCorrection `json:"corrections"` // every one, for the audit
}

// Hours is the total in hours.
func (s *HoursStatement) Hours() float64 { return float64(s.Minutes) / 60 }

// HoursService computes statements and records corrections.
type HoursService struct {
	store HoursStore
	loc   *time.Location
}

// NewHours returns the hours service; loc is the service's TIMEZONE (nil is
// UTC).
func NewHours(store HoursStore, loc *time.Location) *HoursService {
	if loc == nil {
		loc = time.UTC
	}
	return &HoursService{store: store, loc: loc}
}

// Location is the zone months are counted in.
func (h *HoursService) Location() *time.Location { return h.loc }

// Statement is the volunteer's months from..to ("2006-01", inclusive; ""
// leaves that end open).
func (h *HoursService) Statement(ctx context.Context, volunteerID int64, from, to string) (*HoursStatement, error) {
	const op = "dispatch.Hours.Statement"
	for _, m := range []string{from, to} {
		if m != "" {
			if _, err := time.Parse("2006-01", m); err != nil {
				return nil, E(op, Errorf(EINVALID, "month %q is not YYYY-MM", m))
			}
		}
	}
	v, err := h.store.Volunteer(ctx, volunteerID)
	if err != nil {
		return nil, E(op, err)
	}
	tasks, err := h.store.CompletedTasks(ctx, volunteerID)
	if err != nil {
		return nil, E(op, err)
	}
	cs, err := h.store.HoursCorrections(ctx, volunteerID)
	if err != nil {
		return nil, E(op, err)
	}
	s := &HoursStatement{Volunteer: v, From: from, To: to, Corrections: cs}
	for _, m := range SumHours(tasks, cs, h.loc) {
		if (from != "" && m.Month < from) || (to != "" && m.Month > to) {
			continue
		}
		s.Months = append(s.Months, m)
		s.Minutes += m.Minutes
	}
	return s, nil
}

// Correct validates and records a correction. A task correction must name a
// completed task of this volunteer; a month is "YYYY-MM".
func (h *HoursService) Correct(ctx context.Context, c *HoursCorrection) error {
	const op = "dispatch.Hours.Correct"
	c.Reason = strings.TrimSpace(c.Reason)
	switch {
	case c.Reason == "":
		return E(op, Errorf(EINVALID, "give the reason for the correction"))
	case len(c.Reason) > 500:
		return E(op, Errorf(EINVALID, "the reason is at most 500 characters"))
	case (c.TicketID == nil) == (c.Month == ""):
		return E(op, Errorf(EINVALID, "correct either one task or one month"))
	case c.Absolute && c.Minutes < 0:
		return E(op, Errorf(EINVALID, "an absolute correction cannot be negative"))
	case c.Minutes > 31*24*60 || c.Minutes < -31*24*60:
		return E(op, Errorf(EINVALID, "%d minutes is more than a month", c.Minutes))
	}
	if c.Month != "" {
		if _, err := time.Parse("2006-01", c.Month); err != nil {
			return E(op, Errorf(EINVALID, "month %q is not YYYY-MM", c.Month))
		}
	}
	if _, err := h.store.Volunteer(ctx, c.VolunteerID); err != nil {
		return E(op, err)
	}
	if c.TicketID != nil {
		t, err := h.store.Ticket(ctx, *c.TicketID)
		if err != nil {
			return E(op, err)
		}
		if t.Status != StatusCompleted || t.VolunteerID == nil || *t.VolunteerID != c.VolunteerID {
			return E(op, Errorf(EUNPROCESSABLE, "ticket %s is not a completed task of this volunteer", t.Code))
		}
	}
	if err := h.store.AddHoursCorrection(ctx, c); err != nil {
		return E(op, err)
	}
	return nil
}
