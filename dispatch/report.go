package dispatch

import (
	"context"
	"time"
)

// ReportRepo computes the numbers coordinators report to their
// organisations. It is separate from Repo because only the console's reports
// page needs it, and because its queries scan many rows: the database does
// the counting and the percentiles, never the caller.
type ReportRepo interface {
	Report(ctx context.Context, f ReportFilter) (*Report, error)
}

// ReportFilter is the period of a report: tickets created in [From, To).
// Days are cut in Zone (the service's time zone), so that a ticket created at
// 01:00 in Almaty counts on that day and not on the UTC day before.
type ReportFilter struct {
	From time.Time
	To   time.Time
	Zone *time.Location
	// Areas name where a ticket is: a ticket with a location counts in the
	// area of lowest Priority whose centre is within its radius, the
	// nearest if several. Tickets outside every area, or without a
	// location, count under the first part of their address.
	Areas []AreaCentre
	// Centre keeps the tickets of a centre (ScopeFor): a centre's
	// dispatcher reports on their centre, a coordinator on all or one.
	Centre CentreScope
}

// AreaCentre is a named area for the reports: a city's district, or a city.
type AreaCentre struct {
	Name     string
	Location Location
	RadiusKM float64
	// Priority orders overlapping areas: districts (0) before their city (1).
	Priority int
}

// Validate rejects an empty or reversed period, and one so long that the
// per-day table would be unreadable.
func (f ReportFilter) Validate() error {
	if f.From.IsZero() || f.To.IsZero() {
		return Errorf(EINVALID, "a report needs a start and an end date")
	}
	if !f.To.After(f.From) {
		return Errorf(EINVALID, "the report's end date must be after its start date")
	}
	if f.To.Sub(f.From) > 367*24*time.Hour {
		return Errorf(EINVALID, "a report covers at most one year")
	}
	return nil
}

// Report is what happened to the tickets created in a period.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Total is the number of tickets created in the period.
	Total int `json:"total"`
	// PerDay has one entry for every day of the period, zero days included,
	// keyed "2006-01-02" in the filter's zone.
	PerDay     []Count `json:"per_day"`
	ByChannel  []Count `json:"by_channel"`
	ByCategory []Count `json:"by_category"`
	// ByArea groups by the area of ReportFilter.Areas a ticket lies in,
	// else by the first part of its address; "" for neither.
	ByArea []Count `json:"by_area"`
	// ToAssign and ToComplete measure from a ticket's creation.
	ToAssign   Durations `json:"to_assign"`
	ToComplete Durations `json:"to_complete"`
	Completed  int       `json:"completed"`
	// Escalated counts tickets that were escalated at any point, not only
	// those escalated now: a ticket a dispatcher rescued still counts.
	Escalated int `json:"escalated"`
	// VolunteerHours is the time from assignment to completion, summed over
	// the tickets of the period that were completed.
	VolunteerHours float64          `json:"volunteer_hours"`
	Volunteers     []VolunteerHours `json:"volunteers"`
	// ByCentre and ByDistrict split the same tickets: every ticket of the
	// period is in exactly one row of each, so that the rows add up to the
	// totals above. A ticket's district is the one the Router put it in
	// (the district whose polygon contains its place), kept on the ticket.
	ByCentre   []Split `json:"by_centre"`
	ByDistrict []Split `json:"by_district"`
}

// Split is the report's numbers for the tickets of one centre, or of one
// district of a centre.
type Split struct {
	// CentreID is 0 and Centre "" for the tickets routed to no centre.
	CentreID int64  `json:"centre_id"`
	Centre   string `json:"centre"` // the centre's key
	// District is "" in ByCentre, and in ByDistrict for tickets in no
	// district.
	District       string    `json:"district"`
	Total          int       `json:"total"`
	Completed      int       `json:"completed"`
	Escalated      int       `json:"escalated"`
	ToAssign       Durations `json:"to_assign"`
	ToComplete     Durations `json:"to_complete"`
	VolunteerHours float64   `json:"volunteer_hours"`
}

// CompletionRate is the share of the period's tickets that were completed,
// 0 when there were none.
func (r *Report) CompletionRate() float64 { return rate(r.Completed, r.Total) }

// EscalationRate is the share of the period's tickets that were escalated.
func (r *Report) EscalationRate() float64 { return rate(r.Escalated, r.Total) }

func rate(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// Count is one row of a breakdown.
type Count struct {
	Key string `json:"key"`
	N   int    `json:"n"`
}

// Durations summarises how long something took over N tickets. Median and
// P90 are interpolated percentiles (PostgreSQL's percentile_cont); both are
// zero when N is zero.
type Durations struct {
	N      int           `json:"n"`
	Median time.Duration `json:"median"`
	P90    time.Duration `json:"p90"`
}

// VolunteerHours is one volunteer's completed work in a period.
type VolunteerHours struct {
	VolunteerID int64   `json:"volunteer_id"`
	Name        string  `json:"name"`
	Tasks       int     `json:"tasks"`
	Hours       float64 `json:"hours"`
}

// MapRepo lists what the console's map draws: open tickets and the
// volunteers who can take work, with their coordinates, of the centres of
// s (a volunteer's centre is volunteers.centre_id; one in no centre counts
// as an unrouted ticket does).
type MapRepo interface {
	MapPoints(ctx context.Context, s CentreScope) (*MapData, error)
}

// MapData is everything on the map. Tickets without a location are listed
// too (NoLocation), since those are exactly the ones a dispatcher must place.
type MapData struct {
	Tickets    []MapTicket    `json:"tickets"`
	Volunteers []MapVolunteer `json:"volunteers"`
	NoLocation []MapTicket    `json:"no_location"`
}

// MapTicket is an open ticket on the map.
type MapTicket struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Status    Status    `json:"status"`
	Urgency   Urgency   `json:"urgency"`
	Category  Category  `json:"category"`
	Address   string    `json:"address"`
	Location  *Location `json:"location,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// MapVolunteer is a volunteer who is available, not opted out and has a
// location.
type MapVolunteer struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Location    Location `json:"location"`
	ActiveTasks int      `json:"active_tasks"`
	MaxTasks    int      `json:"max_tasks"`
	Skills      []Skill  `json:"skills"`
}

// SimulatorRepo is what the console's phone simulator reads: the messages
// the service sent and received, newest first, so that a whole conversation
// can be followed on one machine without a phone.
type SimulatorRepo interface {
	RecentNotifications(ctx context.Context, limit int) ([]*Notification, error)
	RecentInbound(ctx context.Context, limit int) ([]*InboundMessage, error)
}
