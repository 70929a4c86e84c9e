package dispatch

import (
	"strings"
	"testing"
	"time"
)

// able is a volunteer who passes every filter of rulesAt's rules.
func able(id int64) *Volunteer {
	return &Volunteer{ID: id, Name: "v", Languages: []Lang{LangRU}, Skills: []Skill{SkillCar},
		Location: &Location{Lat: 51.17, Lon: 71.43}, Available: true, MaxTasks: 1}
}

// tuesday10 is Tuesday 10:00, inside the window {Tuesday 9:00–18:00}.
var tuesday10 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func rulesAt(at time.Time) *MatchRules {
	return &MatchRules{Needs: []Skill{SkillCar}, Langs: []Lang{LangRU, LangKK}, At: at,
		Prior: map[int64]OfferStatus{7: OfferDeclined, 8: OfferExpired}}
}

func TestFilterExcludesEach(t *testing.T) {
	tests := []struct {
		name   string
		change func(v *Volunteer)
		want   string
	}{
		{"eligible", func(v *Volunteer) {}, ""},
		{"opted out", func(v *Volunteer) { v.OptedOut = true }, FilterOptedOut},
		{"paused", func(v *Volunteer) { v.Available = false }, FilterUnavailable},
		{"no location", func(v *Volunteer) { v.Location = nil }, FilterUnavailable},
		{"declined before", func(v *Volunteer) { v.ID = 7 }, FilterDeclined},
		{"offered before", func(v *Volunteer) { v.ID = 8 }, FilterOffered},
		{"missing skill", func(v *Volunteer) { v.Skills = []Skill{SkillWheelchair} }, "skill:car"},
		{"no shared language", func(v *Volunteer) { v.Languages = []Lang{LangEN} }, FilterLanguage},
		{"client's language is enough", func(v *Volunteer) { v.Languages = []Lang{LangKK} }, ""},
		{"full", func(v *Volunteer) { v.ActiveTasks = 1 }, FilterCapacity},
		{"room for a second task", func(v *Volunteer) { v.MaxTasks, v.ActiveTasks = 2, 1 }, ""},
		{"outside window", func(v *Volunteer) { v.Windows = []Window{{Day: time.Wednesday, Start: 0, End: 1440}} }, FilterWindow},
		{"inside window", func(v *Volunteer) { v.Windows = []Window{{Day: time.Tuesday, Start: 540, End: 1080}} }, ""},
		{"window ends before", func(v *Volunteer) { v.Windows = []Window{{Day: time.Tuesday, Start: 540, End: 600}} }, FilterWindow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := able(1)
			tt.change(v)
			if got := rulesAt(tuesday10).Filter(v); got != tt.want {
				t.Errorf("Filter = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFilterWindowUsesTheServiceZone(t *testing.T) {
	almaty := time.FixedZone("Asia/Almaty", 5*3600)
	v := able(1)
	v.Windows = []Window{{Day: time.Tuesday, Start: 9 * 60, End: 12 * 60}}
	// 06:00 UTC is 11:00 in Almaty: inside; the same instant read in UTC is not.
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	if got := rulesAt(at.In(almaty)).Filter(v); got != "" {
		t.Errorf("in Almaty time: %q, want eligible", got)
	}
	if got := rulesAt(at).Filter(v); got != FilterWindow {
		t.Errorf("in UTC: %q, want %q", got, FilterWindow)
	}
}

func TestScoreCloserIsBetter(t *testing.T) {
	v := able(1)
	near := ScoreVolunteer(v, 500, 25000, LangRU).Total()
	far := ScoreVolunteer(v, 20000, 25000, LangRU).Total()
	if near <= far {
		t.Errorf("near %.3f <= far %.3f", near, far)
	}
	if p := ScoreVolunteer(v, 30000, 25000, LangRU); p.Distance != 0 {
		t.Errorf("beyond the widest radius distance part = %v, want 0", p.Distance)
	}
}

func TestScoreParts(t *testing.T) {
	v := able(1)
	base := ScoreVolunteer(v, 1000, 25000, LangRU)
	if base.Language != 1 {
		t.Errorf("same language part = %v, want 1", base.Language)
	}
	if p := ScoreVolunteer(v, 1000, 25000, LangKK); p.Language != 0.5 || p.Total() >= base.Total() {
		t.Errorf("shared second language part = %v, total %v vs %v", p.Language, p.Total(), base.Total())
	}
	busy := able(2)
	busy.RecentTasks = 3
	if p := ScoreVolunteer(busy, 1000, 25000, LangRU); p.Fairness != 0.25 || p.Total() >= base.Total() {
		t.Errorf("3 recent tasks: fairness %v, total %v vs %v", p.Fairness, p.Total(), base.Total())
	}
	if base.Reliability != 0.5 {
		t.Errorf("newcomer reliability = %v, want the prior 0.5", base.Reliability)
	}
	good, bad := able(3), able(4)
	good.Offered, good.Accepted, good.Completed = 10, 9, 9
	bad.Offered = 10
	g, b := ScoreVolunteer(good, 1000, 25000, LangRU).Reliability, ScoreVolunteer(bad, 1000, 25000, LangRU).Reliability
	if !(g > 0.5 && b < 0.5 && g <= 1 && b >= 0) {
		t.Errorf("reliability good %v, bad %v: want good > 0.5 > bad, within 0..1", g, b)
	}
	lucky := able(5)
	lucky.Offered, lucky.Accepted, lucky.Completed = 1, 1, 1
	if r := ScoreVolunteer(lucky, 1000, 25000, LangRU).Reliability; r >= g {
		t.Errorf("one lucky accept %v should not beat a long good record %v", r, g)
	}
	if tot := (ScoreParts{1, 1, 1, 1, 1}).Total(); tot < 0.999 || tot > 1.001 {
		t.Errorf("weights add up to %v, want 1", tot)
	}
}

func TestRankCandidates(t *testing.T) {
	cs := []Candidate{
		{VolunteerID: 3, Score: 0.5, DistanceM: 100},
		{VolunteerID: 2, Score: 0.9, DistanceM: 900},
		{VolunteerID: 5, Score: 0.5, DistanceM: 50},
		{VolunteerID: 4, Score: 0.5, DistanceM: 50},
	}
	RankCandidates(cs)
	var got []int64
	for _, c := range cs {
		got = append(got, c.VolunteerID)
	}
	want := []int64{2, 4, 5, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

func TestNoMatchReason(t *testing.T) {
	tk := &Ticket{Needs: []Skill{SkillCar}}
	res := &MatchResult{RadiusKM: 25, Filtered: []Candidate{
		{Filtered: "skill:car"}, {Filtered: FilterLanguage}, {Filtered: "skill:car"}}}
	got := NoMatchReason(tk, res)
	want := "no volunteer within 25 km with skill car (filtered: skill:car 2, language 1)"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := NoMatchReason(&Ticket{}, &MatchResult{RadiusKM: 25}); !strings.HasPrefix(got, "no available volunteer within 25 km") {
		t.Errorf("nobody found: %q", got)
	}
}

func TestDistanceM(t *testing.T) {
	astana, almaty := Location{Lat: 51.1694, Lon: 71.4491}, Location{Lat: 43.2389, Lon: 76.8897}
	if d := DistanceM(astana, almaty) / 1000; d < 960 || d > 980 {
		t.Errorf("Astana–Almaty %.0f km, want about 970", d)
	}
	north := Location{Lat: astana.Lat + 1, Lon: astana.Lon}
	if d := DistanceM(astana, north) / 1000; d < 111 || d > 111.4 {
		t.Errorf("one degree of latitude %.1f km, want about 111.2", d)
	}
	if d := DistanceM(astana, astana); d != 0 {
		t.Errorf("no distance %v", d)
	}
}
