package dispatch

import "math"

// The weights of the match score. They add up to 1, so a score is between 0
// and 1. docs/matching.md explains each part; change both together.
const (
	WeightDistance    = 0.40
	WeightLanguage    = 0.15
	WeightFairness    = 0.20
	WeightReliability = 0.20
	WeightCentre      = 0.05
)

// reliabilityPrior is how many imaginary offers, half of them accepted and
// completed, every volunteer starts with: a newcomer scores 0.5 instead of 0
// (never offered) or 1 (one lucky accept), and real history outweighs the
// prior after a few offers.
const reliabilityPrior = 2.0

// Score parts, as keys of Candidate.Parts and of the "match" audit event.
const (
	PartDistance    = "distance"
	PartLanguage    = "language"
	PartFairness    = "fairness"
	PartReliability = "reliability"
	PartCentre      = "centre"
)

// ScoreParts are the parts of one volunteer's score for one ticket, each
// between 0 and 1 before weighting.
type ScoreParts struct {
	Distance    float64
	Language    float64
	Fairness    float64
	Reliability float64
	// Centre is 1 for a volunteer of the ticket's centre (or any volunteer
	// for an unrouted ticket), 0 for one of another centre or of none:
	// across a border, the ticket's own centre goes first at equal
	// distance. ScoreVolunteer knows nothing of centres and scores everyone
	// as the ticket's own; the matcher then sets it (centrePart).
	Centre float64
}

// Total is the weighted sum of the parts.
func (p ScoreParts) Total() float64 {
	return WeightDistance*p.Distance + WeightLanguage*p.Language +
		WeightFairness*p.Fairness + WeightReliability*p.Reliability + WeightCentre*p.Centre
}

// Map returns the parts keyed by name, for the console and the audit row.
func (p ScoreParts) Map() map[string]float64 {
	return map[string]float64{
		PartDistance:    round3(p.Distance),
		PartLanguage:    round3(p.Language),
		PartFairness:    round3(p.Fairness),
		PartReliability: round3(p.Reliability),
		PartCentre:      round3(p.Centre),
	}
}

// ScoreVolunteer scores v for a ticket in language lang, distM metres away,
// where maxM is the widest search radius: someone at the edge of the search
// scores 0 for distance, someone next door 1.
func ScoreVolunteer(v *Volunteer, distM, maxM float64, lang Lang) ScoreParts {
	p := ScoreParts{Centre: 1}
	if maxM > 0 {
		p.Distance = clamp01(1 - distM/maxM)
	}
	// Matching already demands a shared language; speaking the language the
	// client asked in is better than a second language they share.
	if v.SpeaksAny(lang) {
		p.Language = 1
	} else {
		p.Language = 0.5
	}
	// Fairness spreads the work: the part falls with each task of the last
	// week, so the nearest volunteer is not chosen every time while others
	// wait for their first task.
	p.Fairness = 1 / (1 + float64(max(v.RecentTasks, 0)))
	// Reliability: accepted and completed tasks against offers received, both
	// counted, so an accept that is then completed counts twice as much as
	// an accept alone; smoothed by the prior.
	num := float64(max(v.Accepted, 0)+max(v.Completed, 0)) + reliabilityPrior
	den := 2*float64(max(v.Offered, 0)) + 2*reliabilityPrior
	p.Reliability = clamp01(num / den)
	return p
}

func clamp01(x float64) float64 {
	if math.IsNaN(x) || x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// centrePart is the Centre part of v's score for a ticket of rules.
func centrePart(rules *MatchRules, v *Volunteer) float64 {
	if rules.SameCentre(v) {
		return 1
	}
	return 0
}
