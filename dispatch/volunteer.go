package dispatch

import "time"

// Volunteer is a person who helps.
type Volunteer struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"` // E.164
	Languages []Lang    `json:"languages"`
	Skills    []Skill   `json:"skills"`
	Location  *Location `json:"location"`
	// Available is false while the volunteer has paused (by SMS or by a
	// dispatcher).
	Available bool `json:"available"`
	MaxTasks  int  `json:"max_tasks"`
	// OptedOut is set by STOP: the service sends nothing until START.
	OptedOut bool `json:"opted_out"`
	// Windows are the weekly hours the volunteer can take work; none means
	// any time.
	Windows []Window `json:"windows,omitempty"`
	// CentreID is the volunteer centre the volunteer belongs to, 0 for
	// none. Unless CentreChosen, the store sets it on every write from the
	// home location (PlaceVolunteer), so that it follows a move.
	CentreID     int64 `json:"centre_id,omitempty"`
	CentreChosen bool  `json:"centre_chosen,omitempty"`
	// Registry is where the volunteer stands in the registry, as the store
	// read it; only an approved volunteer can be made available.
	Registry  RegistryStatus `json:"registry,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	// Stats, filled by the store for matching and the console.
	ActiveTasks int `json:"active_tasks"`
	Offered     int `json:"offered"`      // offers received in the last 90 days
	Accepted    int `json:"accepted"`     // of those, accepted
	Completed   int `json:"completed"`    // tasks completed in the last 90 days
	RecentTasks int `json:"recent_tasks"` // tasks assigned in the last 7 days
}

// Window is a weekly availability window in the service's time zone:
// Day 0 is Sunday, as in time.Weekday; Start and End are minutes after
// midnight, End exclusive.
type Window struct {
	Day   time.Weekday `json:"day"`
	Start int          `json:"start"`
	End   int          `json:"end"`
}

// SpeaksAny reports whether v speaks at least one of langs.
func (v *Volunteer) SpeaksAny(langs ...Lang) bool {
	for _, a := range v.Languages {
		for _, b := range langs {
			if a == b {
				return true
			}
		}
	}
	return false
}

// HasSkill reports whether v has s.
func (v *Volunteer) HasSkill(s Skill) bool {
	for _, k := range v.Skills {
		if k == s {
			return true
		}
	}
	return false
}

// InWindow reports whether t (in the service's location) falls in one of the
// volunteer's windows. No windows means always.
func (v *Volunteer) InWindow(t time.Time) bool {
	if len(v.Windows) == 0 {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	for _, w := range v.Windows {
		if w.Day == t.Weekday() && m >= w.Start && m < w.End {
			return true
		}
	}
	return false
}

// CanTakeWork reports whether v should be in the geo index at all: active,
// not opted out, with a location and free capacity. Windows are checked at
// match time, since they change with the clock.
func (v *Volunteer) CanTakeWork() bool {
	return v.Available && !v.OptedOut && v.Location != nil && v.ActiveTasks < v.MaxTasks
}

// VolunteerFilter selects volunteers for a list.
type VolunteerFilter struct {
	Query     string // part of the name or phone
	Skill     Skill
	Lang      Lang
	Available *bool
	IDs       []int64
	// CentreID keeps the volunteers of one centre, NoCentre those of none;
	// both together keep either.
	CentreID int64
	NoCentre bool
	Limit    int
	Offset   int
}

// PlaceVolunteer sets v's centre from its home: the centre whose district
// contains it (the same rule as a ticket's, RouteArea), none without a
// home or outside every district. A centre a dispatcher chose
// (CentreChosen) is kept.
func PlaceVolunteer(areas []Area, v *Volunteer) {
	if v.CentreChosen {
		return
	}
	v.CentreID = 0
	if v.Location == nil {
		return
	}
	if a, ok := RouteArea(areas, *v.Location); ok {
		v.CentreID = a.CentreID
	}
}

// CheckAvailable refuses to make available a volunteer who is not
// approved: a pending sign-up goes through the approval step (with its
// checks and its audit), a rejected one stays out.
func CheckAvailable(v *Volunteer) error {
	if !v.Available || v.Registry == "" || v.Registry == RegistryApproved {
		return nil
	}
	if v.Registry == RegistryPending {
		return Errorf(ECONFLICT, "%s is waiting for approval: approve the sign-up on the page of new volunteers (/console/volunteers/pending) to make them available", v.Name)
	}
	return Errorf(ECONFLICT, "%s was rejected at sign-up and cannot be made available", v.Name)
}
