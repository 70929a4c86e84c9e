package dispatch

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Why a volunteer found near a ticket was left out: Candidate.Filtered.
const (
	FilterOptedOut    = "opted_out"
	FilterUnavailable = "unavailable" // paused, no location, or gone since the index saw them
	FilterDeclined    = "declined"    // declined this ticket
	FilterOffered     = "offered"     // offered this ticket before (expired, withdrawn)
	FilterSkill       = "skill:"      // followed by the missing skill
	FilterLanguage    = "language"
	FilterCapacity    = "capacity"
	FilterWindow      = "window"
	FilterCentre      = "centre" // of another centre, and matching stays in the ticket's
)

// MatchRules are what a ticket asks of a volunteer, apart from distance.
type MatchRules struct {
	Needs []Skill
	// Langs are the ticket's language and the client's: a volunteer must
	// speak at least one.
	Langs []Lang
	// At is when the help is wanted, in the service's time zone, for the
	// volunteer's weekly windows.
	At time.Time
	// Prior are the offers of this ticket so far, by volunteer: nobody is
	// offered the same ticket twice.
	Prior map[int64]OfferStatus
	// Centre is the ticket's centre, 0 when unrouted. With StayInCentre a
	// volunteer of another centre is filtered out; a volunteer of no
	// centre (whose home is in no district) is not, since no centre's
	// tickets would ever reach them otherwise.
	Centre       int64
	StayInCentre bool
}

// SameCentre reports whether v counts as the ticket's own: the ticket is
// unrouted, or v belongs to its centre.
func (m *MatchRules) SameCentre(v *Volunteer) bool {
	return m.Centre == 0 || v.CentreID == m.Centre
}

// Filter returns why v cannot take the ticket, or "" when v can. The order
// of the checks decides which reason a dispatcher sees when several apply:
// the most permanent first.
func (m *MatchRules) Filter(v *Volunteer) string {
	switch {
	case v.OptedOut:
		return FilterOptedOut
	case !v.Available || v.Location == nil:
		return FilterUnavailable
	case m.StayInCentre && v.CentreID != 0 && !m.SameCentre(v):
		return FilterCentre
	}
	if st, ok := m.Prior[v.ID]; ok {
		if st == OfferDeclined {
			return FilterDeclined
		}
		return FilterOffered
	}
	for _, s := range m.Needs {
		if !v.HasSkill(s) {
			return FilterSkill + string(s)
		}
	}
	if !v.SpeaksAny(m.Langs...) {
		return FilterLanguage
	}
	if v.ActiveTasks >= v.MaxTasks {
		return FilterCapacity
	}
	if !v.InWindow(m.At) {
		return FilterWindow
	}
	return ""
}

// MatchResult is one run of the matcher for one ticket.
type MatchResult struct {
	// RadiusKM is the search radius the matcher stopped at.
	RadiusKM float64 `json:"radius_km"`
	// Hits is how many volunteers the geo index returned.
	Hits int `json:"hits"`
	// Eligible are ranked best first; Filtered carry their reason.
	Eligible []Candidate `json:"eligible"`
	Filtered []Candidate `json:"filtered"`
	// volunteers of Eligible, for the offers' messages.
	vols map[int64]*Volunteer
}

// maxSearchLat is the latitude beyond which a geo index (Redis's, on Web
// Mercator) cannot place a point.
const maxSearchLat = 85.05112878

// maxSearchHits caps one geo search: in a dense city the nearest thousand
// volunteers are plenty, and the cap bounds the work of a match.
const maxSearchHits = 1000

// searchLimits are the limits of the geo searches at one radius, tried in
// turn while too few of the hits are eligible.
var searchLimits = []int{4 * candidatePool, maxSearchHits}

// volunteerChunk is how many volunteers one query loads, below any page
// limit the store may enforce.
const volunteerChunk = 100

// candidatePool is how many eligible volunteers, nearest first, the matcher
// ranks at most. Enough for fairness and reliability to choose among, few
// enough that a match in a dense city reads a few hundred rows, not
// thousands.
const candidatePool = 50

// match finds and ranks the volunteers for t, widening the radius until
// Batch are eligible or the widest radius is searched.
func (e *Engine) match(ctx context.Context, r Repo, t *Ticket, now time.Time) (*MatchResult, error) {
	const op = "dispatch.match"
	if t.Location == nil {
		return nil, Errorf(EUNPROCESSABLE, "ticket %s has no location to match from", t.Code)
	}
	if err := t.Location.Validate(); err != nil {
		return nil, err
	}
	if math.Abs(t.Location.Lat) > maxSearchLat {
		return nil, Errorf(EINVALID, "latitude %.5f is beyond the %.2f° a geo index can search", t.Location.Lat, maxSearchLat)
	}
	rules, err := e.rules(ctx, r, t, now)
	if err != nil {
		return nil, E(op, err)
	}
	res, err := e.search(ctx, r, t, rules)
	if err != nil || res.Hits > 0 {
		return res, E(op, err)
	}
	// Nobody at all: if Redis lost the index (a restart, a FLUSHALL), an
	// empty search says nothing about the volunteers, so rebuild it from
	// PostgreSQL now rather than escalate the ticket for want of anyone.
	size, err := e.geo.Size(ctx)
	if err != nil || size >= 0 {
		return res, E(op, err)
	}
	if err := e.RebuildIndex(ctx); err != nil {
		return nil, E(op, err)
	}
	res, err = e.search(ctx, r, t, rules)
	return res, E(op, err)
}

// search is one pass of the widening radii over the geo index. Hits come
// nearest first and are read from PostgreSQL in chunks; the search stops
// as soon as candidatePool volunteers are eligible, so a dense city costs
// no more than a sparse one.
func (e *Engine) search(ctx context.Context, r Repo, t *Ticket, rules *MatchRules) (*MatchResult, error) {
	radii := e.opts.Radii
	maxM := radii[len(radii)-1] * 1000
	res := &MatchResult{vols: map[int64]*Volunteer{}}
	seen := map[int64]bool{}
	for _, km := range radii {
		var hits []GeoHit
		// A short search first: in a dense city its nearest hits are
		// enough; a longer one only when they were mostly filtered out.
		for _, limit := range searchLimits {
			var err error
			if hits, err = e.geo.Near(ctx, *t.Location, km*1000, limit); err != nil {
				return nil, err
			}
			fresh := make([]GeoHit, 0, len(hits))
			for _, h := range hits {
				if !seen[h.VolunteerID] {
					seen[h.VolunteerID] = true
					fresh = append(fresh, h)
				}
			}
			for i := 0; i < len(fresh) && len(res.Eligible) < candidatePool; i += volunteerChunk {
				if err := e.consider(ctx, r, t, rules, fresh[i:min(i+volunteerChunk, len(fresh))], maxM, res); err != nil {
					return nil, err
				}
			}
			if len(res.Eligible) >= candidatePool || len(hits) < limit {
				break
			}
		}
		res.RadiusKM, res.Hits = km, len(hits)
		if len(res.Eligible) >= e.opts.Batch || len(hits) >= maxSearchHits {
			break
		}
	}
	RankCandidates(res.Eligible)
	return res, nil
}

// consider loads the volunteers of hits in one query, filters and scores
// them into res.
func (e *Engine) consider(ctx context.Context, r Repo, t *Ticket, rules *MatchRules, hits []GeoHit, maxM float64, res *MatchResult) error {
	vols, err := loadVolunteers(ctx, r, hits)
	if err != nil {
		return err
	}
	for _, h := range hits {
		v := vols[h.VolunteerID]
		c := Candidate{VolunteerID: h.VolunteerID, DistanceM: h.DistanceM}
		if v == nil {
			c.Filtered = FilterUnavailable
			res.Filtered = append(res.Filtered, c)
			continue
		}
		c.Name = v.Name
		if c.Filtered = rules.Filter(v); c.Filtered != "" {
			res.Filtered = append(res.Filtered, c)
			continue
		}
		p := ScoreVolunteer(v, h.DistanceM, maxM, t.Lang)
		p.Centre = centrePart(rules, v)
		c.Score, c.Parts = round3(p.Total()), p.Map()
		res.Eligible = append(res.Eligible, c)
		res.vols[v.ID] = v
	}
	return nil
}

// rules gathers what the matcher needs to know about t besides its place.
func (e *Engine) rules(ctx context.Context, r Repo, t *Ticket, now time.Time) (*MatchRules, error) {
	at := now
	if t.WindowStart != nil && t.WindowStart.After(now) {
		at = *t.WindowStart
	}
	m := &MatchRules{Needs: t.Needs, Langs: []Lang{t.Lang}, At: at.In(e.opts.Location), Prior: map[int64]OfferStatus{}}
	if c, err := r.Client(ctx, t.ClientID); err == nil {
		if c.Lang != t.Lang && c.Lang.Valid() {
			m.Langs = append(m.Langs, c.Lang)
		}
	} else if !IsCode(err, ENOTFOUND) {
		return nil, err
	}
	offers, err := r.Offers(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range offers {
		m.Prior[o.VolunteerID] = o.Status
	}
	m.StayInCentre = e.opts.StayInCentre
	if cr, err := AsCentreRepo(r); err == nil {
		if m.Centre, _, err = cr.TicketCentre(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// loadVolunteers reads the volunteers of hits in a few queries, not one per
// hit.
func loadVolunteers(ctx context.Context, r Repo, hits []GeoHit) (map[int64]*Volunteer, error) {
	out := make(map[int64]*Volunteer, len(hits))
	for i := 0; i < len(hits); i += volunteerChunk {
		j := min(i+volunteerChunk, len(hits))
		ids := make([]int64, 0, j-i)
		for _, h := range hits[i:j] {
			ids = append(ids, h.VolunteerID)
		}
		vs, _, err := r.Volunteers(ctx, VolunteerFilter{IDs: ids, Limit: len(ids)})
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			out[v.ID] = v
		}
	}
	return out, nil
}

// RankCandidates sorts eligible candidates best first: by score, then the
// nearer, then the lower ID, so that the order is always the same.
func RankCandidates(cs []Candidate) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.DistanceM != b.DistanceM {
			return a.DistanceM < b.DistanceM
		}
		return a.VolunteerID < b.VolunteerID
	})
}

// NoMatchReason explains to a dispatcher why nobody could be offered t, from
// what the matcher filtered: "no volunteer within 25 km with skill car
// (filtered: skill:car 3, language 1)".
func NoMatchReason(t *Ticket, res *MatchResult) string {
	var b strings.Builder
	if len(res.Filtered) == 0 {
		b.WriteString("no available volunteer")
	} else {
		b.WriteString("no volunteer")
	}
	fmt.Fprintf(&b, " within %g km", res.RadiusKM)
	if len(t.Needs) > 0 {
		skills := make([]string, len(t.Needs))
		for i, s := range t.Needs {
			skills[i] = string(s)
		}
		fmt.Fprintf(&b, " with skill %s", strings.Join(skills, ", "))
	}
	if len(res.Filtered) == 0 {
		return b.String()
	}
	counts := map[string]int{}
	var order []string
	for _, c := range res.Filtered {
		if counts[c.Filtered] == 0 {
			order = append(order, c.Filtered)
		}
		counts[c.Filtered]++
	}
	sort.SliceStable(order, func(i, j int) bool { return counts[order[i]] > counts[order[j]] })
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	fmt.Fprintf(&b, " (filtered: %s)", strings.Join(parts, ", "))
	return b.String()
}
