package dispatch

import (
	"context"
	"fmt"
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

// Recurring is a request repeated every week at the same time: weekly
// shopping for the same client, say. Where schedules are stored is up to
// the caller; CreateOccurrences turns them into tickets.
type Recurring struct {
	ID          int64
	ClientID    int64
	Category    Category
	Description string
	Lang        Lang
	Location    *Location
	Address     string
	Urgency     Urgency
	Needs       []Skill
	// Day, Start and End (minutes after midnight, in the service's zone)
	// are the weekly time window of the help.
	Day        time.Weekday
	Start, End int
}

// Next is the first window of r that starts after t, in loc.
func (r *Recurring) Next(t time.Time, loc *time.Location) (start, end time.Time) {
	t = t.In(loc)
	ahead := (int(r.Day%7) - int(t.Weekday()) + 7) % 7
	d := time.Date(t.Year(), t.Month(), t.Day()+ahead, 0, 0, 0, 0, loc)
	if !d.Add(time.Duration(r.Start) * time.Minute).After(t) {
		d = d.AddDate(0, 0, 7)
	}
	return d.Add(time.Duration(r.Start) * time.Minute), d.Add(time.Duration(r.End) * time.Minute)
}

// CreateOccurrences makes the ticket of each schedule whose next window
// starts within horizon from now, queued for the engine at once so that
// the volunteer has notice. Each occurrence's SourceID is
// "recurring:<id>:<date>", so a second call, from this process or
// another, creates nothing more. It returns how many tickets it made.
func (e *Engine) CreateOccurrences(ctx context.Context, rs []*Recurring, horizon time.Duration) (int, error) {
	const op = "dispatch.Engine.CreateOccurrences"
	now, made := e.now(), 0
	for _, rc := range rs {
		start, end := rc.Next(now, e.opts.Location)
		if start.Sub(now) > horizon {
			continue
		}
		src := fmt.Sprintf("%s%d:%s", RecurringSourcePrefix, rc.ID, start.Format("2006-01-02"))
		if _, err := e.store.TicketBySource(ctx, src); err == nil {
			continue
		} else if !IsCode(err, ENOTFOUND) {
			return made, E(op, err)
		}
		err := e.inTx(ctx, func(r Repo, fx *engineFx) error {
			t := &Ticket{Channel: ChannelSystem, Category: rc.Category, Description: rc.Description, Lang: rc.Lang,
				Location: rc.Location, Address: rc.Address, Urgency: rc.Urgency, Needs: rc.Needs,
				WindowStart: &start, WindowEnd: &end, Status: StatusNew, ClientID: rc.ClientID, SourceID: src}
			if !t.Urgency.Valid() {
				t.Urgency = UrgencyNormal
			}
			if err := r.CreateTicket(ctx, t); err != nil {
				return err
			}
			reason := fmt.Sprintf("recurring request %d", rc.ID)
			if _, err := fx.transition(ctx, r, t, StatusQueued, ActorSystem, ChannelSystem, reason); err != nil {
				return err
			}
			t.DueAt = &now
			fx.push(t, now)
			return r.UpdateTicket(ctx, t)
		})
		switch {
		case IsCode(err, ECONFLICT): // another process made it first
		case err != nil:
			return made, E(op, err)
		default:
			made++
		}
	}
	return made, nil
}

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
	p.Centre = centrePart(rules, v)
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
