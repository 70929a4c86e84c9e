package dispatch

import (
	"context"
	"math"
	"strings"
	"time"
)

// RecurringSourcePrefix marks the tickets of a recurring request (weekly
// shopping for the same client): their SourceID is
// "recurring:<schedule>:<date>". The unique source_id makes creating each
// occurrence idempotent, so every process may run the schedule without a
// leader, and it tells the engine to try the client's regular volunteer
// first.
const RecurringSourcePrefix = "recurring:"

// IsRecurring reports whether t is an occurrence of a recurring request.
func IsRecurring(t *Ticket) bool { return strings.HasPrefix(t.SourceID, RecurringSourcePrefix) }

// regularWave offers a recurring ticket's first wave to the volunteer who
// served the client last, alone, when they can take it now. It reports
// whether it sent that wave; when not, the ordinary matching follows.
func (e *Engine) regularWave(ctx context.Context, r Repo, fx *engineFx, t *Ticket, now time.Time) (bool, error) {
	if t.Wave > 0 || !IsRecurring(t) || t.Location == nil {
		return false, nil
	}
	past, _, err := r.Tickets(ctx, TicketFilter{ClientID: &t.ClientID, Status: []Status{StatusCompleted}, Limit: 1})
	if err != nil || len(past) == 0 || past[0].VolunteerID == nil {
		return false, err
	}
	v, err := r.Volunteer(ctx, *past[0].VolunteerID)
	if IsCode(err, ENOTFOUND) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	rules, err := e.rules(ctx, r, t, now)
	if err != nil {
		return false, err
	}
	c := Candidate{VolunteerID: v.ID, Name: v.Name}
	if v.Location != nil {
		c.DistanceM = math.Round(DistanceM(*t.Location, *v.Location))
	}
	res := &MatchResult{RadiusKM: e.opts.Radii[len(e.opts.Radii)-1], Hits: 1, vols: map[int64]*Volunteer{v.ID: v}}
	if c.Filtered = rules.Filter(v); c.Filtered == "" && c.DistanceM > res.RadiusKM*1000 {
		c.Filtered = FilterUnavailable // moved away
	}
	if c.Filtered != "" {
		res.Filtered = []Candidate{c}
		return false, e.recordMatch(ctx, r, fx, t, res, "the regular volunteer cannot take it now")
	}
	p := ScoreVolunteer(v, c.DistanceM, res.RadiusKM*1000, t.Lang)
	c.Score, c.Parts = round3(p.Total()), p.Map()
	res.Eligible = []Candidate{c}
	if err := e.recordMatch(ctx, r, fx, t, res, "offered first to the client's regular volunteer"); err != nil {
		return false, err
	}
	return true, e.offerWave(ctx, r, fx, t, res, now)
}

// earthRadiusM is the mean radius of the Earth.
const earthRadiusM = 6371008.8

// DistanceM is the great-circle distance between a and b in metres.
func DistanceM(a, b Location) float64 {
	rad := math.Pi / 180
	dLat, dLon := (b.Lat-a.Lat)*rad, (b.Lon-a.Lon)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}
