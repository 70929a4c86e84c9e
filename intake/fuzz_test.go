package intake

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// FuzzPhones: whatever a caller types or Twilio sends as From, Normalize
// either refuses it or returns E.164 that normalises to itself.
func FuzzPhones(f *testing.F) {
	for _, s := range []string{"+77011234567", "8 701 123 45 67", "87011234567", "007 701 123 4567", "", "+", "12", "+7 (701) 123-45-67 доб. 5", "\x00+7701"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Phones{}.Normalize(raw)
		if err != nil {
			if dispatch.ErrorMessage(err) == "" {
				t.Fatalf("Normalize(%q): an error without a message", raw)
			}
			return
		}
		if !e164.MatchString(got) {
			t.Fatalf("Normalize(%q) = %q, not E.164", raw, got)
		}
		again, err := Phones{}.Normalize(got)
		if err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, then %q, %v", raw, got, again, err)
		}
	})
}

// FuzzFormValidate feeds arbitrary form fields to the web form's
// validation: it never panics, and what it accepts is a well-formed request
// (E.164 phone, known category, a real location or none, a bounded text),
// while each refusal names its field in the page's language.
func FuzzFormValidate(f *testing.F) {
	fm, err := loadForm(configs.Files)
	if err != nil {
		f.Fatal(err)
	}
	h := &Handler{opts: Options{Phones: Phones{}, Location: time.UTC}, form: fm}
	f.Add("+77011234567", "shopping", "Купить хлеб", "2026-12-24T10:00", "51.17", "71.43", "kk")
	f.Add("", "", "", "", "", "", "en")
	f.Add("8 701 123 45 67", "escort", "<script>alert(1)</script>'; DROP TABLE tickets; --", "24.12.2026 10:00", "NaN", "1e309", "ru")
	f.Fuzz(func(t *testing.T, phone, category, description, when, lat, lon, lang string) {
		l, err := dispatch.ParseLang(lang)
		if err != nil {
			l = dispatch.LangRU
		}
		v := formValues{Phone: phone, Category: category, Description: description, When: when, Lat: lat, Lon: lon, Idem: "x"}
		p := h.page(l, v, "csrf")
		req, ok := h.validate(p, v)
		if !ok {
			if len(p.Errors) == 0 {
				t.Fatal("refused without an error in the summary")
			}
			for _, e := range p.Errors {
				if e.Field == "" || strings.TrimSpace(e.Text) == "" {
					t.Fatalf("an error without a field or a text: %+v", e)
				}
			}
			return
		}
		if !e164.MatchString(req.Phone) || !req.Category.Valid() {
			t.Fatalf("accepted a malformed request: %+v", req)
		}
		if req.Location != nil && req.Location.Validate() != nil {
			t.Fatalf("accepted a location off the globe: %+v", req.Location)
		}
		if utf8.RuneCountInString(req.Description) > 4000 {
			t.Fatal("accepted an overlong description")
		}
	})
}

// FuzzGeocodeGazetteer: free-text addresses from texts and forms never
// crash the offline gazetteer, and a place it finds is a real point.
func FuzzGeocodeGazetteer(f *testing.F) {
	g, err := NewGeocoder(configs.Files, "")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Астана, Есиль", "Almaty Medeu district", "Павлодар ул. Торайгырова 1", "", "ҚАРАҒАНДЫ", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		loc, err := g.Geocode(t.Context(), addr)
		if err != nil {
			if !dispatch.IsCode(err, dispatch.ENOTFOUND) && !dispatch.IsCode(err, dispatch.EINVALID) {
				t.Fatalf("Geocode(%q): unexpected %v", addr, err)
			}
			return
		}
		if loc.Validate() != nil {
			t.Fatalf("Geocode(%q) = %+v, not a real point", addr, loc)
		}
	})
}

// FuzzVolunteerValidate feeds arbitrary fields to the volunteer form's
// validation: it never panics; what it accepts is a sign-up the domain
// accepts too (E.164 phone, a known district or none, known languages and
// skills, bounded texts); each refusal names its field.
func FuzzVolunteerValidate(f *testing.F) {
	vf, err := loadVolunteerForm(configs.Files)
	if err != nil {
		f.Fatal(err)
	}
	h := &Handler{opts: Options{Phones: Phones{}}, volunteer: vf}
	areas := []dispatch.Area{{District: "Есиль"}, {District: "Павлодар"}}
	f.Add("Дана", "+77011234567", "Есиль", "kk", "car", "Сенбі", true, "ru")
	f.Add("", "", "", "", "", "", false, "en")
	f.Add("<script>", "8 701 123 45 67", "unsure", "xx", "wheelchair", strings.Repeat("я", 1001), true, "kk")
	f.Fuzz(func(t *testing.T, name, phone, district, lang1, skill, notes string, consent bool, lang string) {
		l, err := dispatch.ParseLang(lang)
		if err != nil || l == "" {
			l = dispatch.LangRU
		}
		v := volunteerValues{Name: strings.TrimSpace(name), Phone: phone, District: district, Notes: strings.TrimSpace(notes),
			Languages: []string{lang1}, Skills: []string{skill}, Consent: consent}
		p := h.volunteerPage(l, v, areas, "csrf")
		w, ok := h.validateVolunteer(p, v, areas)
		if !ok {
			if len(p.Errors) == 0 {
				t.Fatal("refused without an error in the summary")
			}
			for _, e := range p.Errors {
				if e.Field == "" || strings.TrimSpace(e.Text) == "" {
					t.Fatalf("an error without a field or a text: %+v", e)
				}
			}
			return
		}
		if !consent || !e164.MatchString(w.Phone) || len(w.Languages) == 0 || w.Name == "" ||
			utf8.RuneCountInString(w.Name) > dispatch.SignupNameMax || utf8.RuneCountInString(w.Notes) > dispatch.SignupNotesMax {
			t.Fatalf("accepted a malformed sign-up: %+v (consent %v)", w, consent)
		}
		if _, known := dispatch.AreaNamed(areas, w.District); w.District != "" && !known {
			t.Fatalf("accepted district %q", w.District)
		}
		for _, s := range w.Skills {
			if !s.Valid() {
				t.Fatalf("accepted skill %q", s)
			}
		}
	})
}
