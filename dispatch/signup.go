package dispatch

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// RegistryStatus is where a volunteer stands in the registry. Only approved
// volunteers are made available and put in the geo index; a pending one
// (signed up by SMS or the public form) waits for a dispatcher.
type RegistryStatus string

// Registry states.
const (
	RegistryPending  RegistryStatus = "pending"
	RegistryApproved RegistryStatus = "approved"
	RegistryRejected RegistryStatus = "rejected"
)

// SignupStep is the question an SMS sign-up waits an answer to.
type SignupStep string

// Sign-up steps, in order. SignupDone is never stored: the sign-up row is
// kept with it only as a record of the consent.
const (
	SignupName         SignupStep = "name"
	SignupDistrictStep SignupStep = "district"
	SignupLanguages    SignupStep = "languages"
	SignupSkills       SignupStep = "skills"
	SignupConsent      SignupStep = "consent"
	SignupDone         SignupStep = "done"
)

// Signup is one sign-up, keyed by the phone: an SMS conversation in
// progress, or the record of a finished one or of the public form.
type Signup struct {
	Phone     string     `json:"-"`
	Lang      Lang       `json:"-"`
	Step      SignupStep `json:"-"`
	Name      string     `json:"name"`
	District  string     `json:"district"`
	Location  *Location  `json:"location,omitempty"`
	Languages []Lang     `json:"languages"`
	Skills    []Skill    `json:"skills"`
	// Notes are the public form's free text on when the volunteer can help.
	Notes     string     `json:"notes,omitempty"`
	ConsentAt *time.Time `json:"-"`
	// VolunteerID is set once the sign-up has made a pending volunteer.
	VolunteerID *int64    `json:"-"`
	CreatedAt   time.Time `json:"-"`
	UpdatedAt   time.Time `json:"-"`
}

// SignupRepo is a Repo that also keeps sign-ups and the registry status.
// storage/postgres's transaction implements it; the sign-up code asks the
// Repo it is given for it, so that a sign-up, its volunteer and its reply
// commit together without widening Repo for every other implementation.
type SignupRepo interface {
	Repo
	// Signup returns the sign-up in progress for phone, ENOTFOUND if none.
	Signup(ctx context.Context, phone string) (*Signup, error)
	// SaveSignup inserts or replaces the sign-up of s.Phone.
	SaveSignup(ctx context.Context, s *Signup) error
	// DeleteSignup forgets the sign-up of phone (none is no error).
	DeleteSignup(ctx context.Context, phone string) error
	// SetRegistry sets a volunteer's registry status (ENOTFOUND).
	SetRegistry(ctx context.Context, volunteerID int64, st RegistryStatus) error
	// Registry returns a volunteer's registry status (ENOTFOUND), locking
	// the volunteer's row until the transaction ends.
	Registry(ctx context.Context, volunteerID int64) (RegistryStatus, error)
	// PendingVolunteers lists pending volunteers, oldest first.
	PendingVolunteers(ctx context.Context, limit int) ([]*Volunteer, error)
	// RecordConsent records when and through which channel a volunteer
	// agreed that their data is kept (ENOTFOUND).
	RecordConsent(ctx context.Context, volunteerID int64, at time.Time, channel Channel) error
}

func signupRepo(op string, r Repo) (SignupRepo, error) { return extension[SignupRepo](op, r) }

// signupKeywords start a sign-up; the keyword sets its language. Kazakh is
// accepted in Cyrillic and Latin script.
var signupKeywords = map[string]Lang{
	"volunteer": LangEN, "волонтер": LangRU, "волонтёр": LangRU,
	"ерікті": LangKK, "erikti": LangKK, "eriktі": LangKK,
}

// SignupKeyword reports whether body is a sign-up keyword and in which
// language to go on.
func SignupKeyword(body string) (Lang, bool) {
	w := strings.ToLower(strings.TrimFunc(body, func(r rune) bool { return !unicode.IsLetter(r) }))
	l, ok := signupKeywords[w]
	return l, ok
}

// District is a district a sign-up can name by number or by name;
// its point stands for the volunteer's place until a dispatcher sets a
// better one.
type District struct {
	Name  map[Lang]string
	Point Location
}

// SignupDistricts are offered by number in the district question.
var SignupDistricts = []District{
	{map[Lang]string{LangKK: "Астана, Алматы ауданы", LangRU: "Астана, район Алматы", LangEN: "Astana, Almaty district"}, Location{Lat: 51.145, Lon: 71.520}},
	{map[Lang]string{LangKK: "Астана, Байқоңыр ауданы", LangRU: "Астана, район Байконур", LangEN: "Astana, Baikonur district"}, Location{Lat: 51.170, Lon: 71.470}},
	{map[Lang]string{LangKK: "Астана, Есіл ауданы", LangRU: "Астана, район Есиль", LangEN: "Astana, Yesil district"}, Location{Lat: 51.120, Lon: 71.430}},
	{map[Lang]string{LangKK: "Астана, Сарыарқа ауданы", LangRU: "Астана, район Сарыарка", LangEN: "Astana, Saryarka district"}, Location{Lat: 51.200, Lon: 71.400}},
	{map[Lang]string{LangKK: "Астана, Нұра ауданы", LangRU: "Астана, район Нура", LangEN: "Astana, Nura district"}, Location{Lat: 51.070, Lon: 71.400}},
	{map[Lang]string{LangKK: "Көкшетау", LangRU: "Кокшетау", LangEN: "Kokshetau"}, Location{Lat: 53.283, Lon: 69.383}},
	{map[Lang]string{LangKK: "Павлодар", LangRU: "Павлодар", LangEN: "Pavlodar"}, Location{Lat: 52.287, Lon: 76.967}},
}

// signupYes are the answers that give consent.
var signupYes = map[string]bool{"yes": true, "y": true, "да": true, "иә": true, "ия": true, "ie": true, "ia": true, "iä": true, "ok": true}

// signupNo are the answers that refuse consent and end the sign-up.
var signupNo = map[string]bool{"no": true, "n": true, "нет": true, "жоқ": true, "zhoq": true, "joq": true, "zhok": true}

// Advance takes the answer body to s's current question and returns the
// key of the text to send back (the message signup.<key>). An answer that does not fit
// leaves the step as it is and asks again. A refused consent ends the
// sign-up with step "" (the caller forgets it).
func (s *Signup) Advance(body string) string {
	body = strings.TrimSpace(body)
	word := strings.ToLower(strings.Trim(body, " .!"))
	switch s.Step {
	case SignupName:
		if body == "" || len([]rune(body)) > 100 {
			return "name"
		}
		s.Name, s.Step = body, SignupDistrictStep
		return "district"
	case SignupDistrictStep:
		if body == "" || len([]rune(body)) > 200 {
			return "district"
		}
		s.District, s.Location = body, nil
		if d, ok := matchDistrict(word); ok {
			s.District, s.Location = d.Name[s.Lang], &d.Point
		}
		s.Step = SignupLanguages
		return "languages"
	case SignupLanguages:
		langs := pickDigits(word, []Lang{LangKK, LangRU, LangEN})
		if len(langs) == 0 {
			return "languages"
		}
		s.Languages, s.Step = langs, SignupSkills
		return "skills"
	case SignupSkills:
		skills := pickDigits(word, Skills)
		if len(skills) == 0 && word != "0" {
			return "skills"
		}
		s.Skills, s.Step = skills, SignupConsent
		return "consent"
	case SignupConsent:
		switch {
		case signupYes[word]:
			s.Step = SignupDone
			return "done"
		case signupNo[word]:
			s.Step = ""
			return "cancelled"
		}
		return "consent"
	}
	return "name"
}

// SignupDistrictList is the numbered district list of the district
// question: built here from SignupDistricts rather than written into the
// message templates, so that the numbers and the list cannot disagree.
func SignupDistrictList(lang Lang) string {
	if !lang.Valid() {
		lang = LangRU
	}
	parts := make([]string, len(SignupDistricts))
	for i, d := range SignupDistricts {
		parts[i] = strconv.Itoa(i+1) + " " + d.Name[lang]
	}
	return strings.Join(parts, "; ")
}

// DistrictName names a centre's district (an Area's District, in Russian)
// in lang, through the sign-up list; a district the list does not know
// keeps its own name.
func DistrictName(district string, lang Lang) string {
	if _, err := strconv.Atoi(strings.TrimSpace(district)); err == nil {
		return district // a number picks from the SMS list, not a name
	}
	if d, ok := matchDistrict(strings.ToLower(strings.TrimSpace(district))); ok && lang.Valid() {
		return d.Name[lang]
	}
	return district
}

// matchDistrict finds a district by its number in the list or by its
// name in any language, with or without the city and the word "district".
func matchDistrict(word string) (District, bool) {
	if n, err := strconv.Atoi(word); err == nil && n >= 1 && n <= len(SignupDistricts) {
		return SignupDistricts[n-1], true
	}
	w := districtKey(word)
	for _, d := range SignupDistricts {
		for _, name := range d.Name {
			if w != "" && (w == districtKey(name) || w == strings.ToLower(name)) {
				return d, true
			}
		}
	}
	return District{}, false
}

// districtKey is a district's name without the city and the generic word.
func districtKey(s string) string {
	s = strings.ToLower(s)
	if i := strings.LastIndex(s, ","); i >= 0 {
		s = s[i+1:]
	}
	var out []string
	for _, f := range strings.Fields(s) {
		switch f {
		case "район", "ауданы", "district", "audany":
			continue
		}
		out = append(out, f)
	}
	return strings.Join(out, " ")
}

// pickDigits maps each digit 1..len(from) in s to from's item, once each,
// in the order given; other characters (spaces, commas) are skipped. A
// digit out of range makes the whole answer invalid.
func pickDigits[T comparable](s string, from []T) []T {
	var out []T
	seen := map[int]bool{}
	for _, r := range s {
		if r < '0' || r > '9' {
			if unicode.IsLetter(r) {
				return nil
			}
			continue
		}
		n := int(r - '0')
		if n < 1 || n > len(from) {
			return nil
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, from[n-1])
		}
	}
	return out
}
