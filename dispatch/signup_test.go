package dispatch

import (
	"slices"
	"strings"
	"testing"
)

func TestSignupKeyword(t *testing.T) {
	for body, want := range map[string]Lang{"VOLUNTEER": LangEN, " volunteer! ": LangEN, "Волонтер": LangRU,
		"ВОЛОНТЁР": LangRU, "ЕРІКТІ": LangKK, "erikti": LangKK} {
		if got, ok := SignupKeyword(body); !ok || got != want {
			t.Errorf("SignupKeyword(%q) = %s, %v; want %s", body, got, ok, want)
		}
	}
	for _, body := range []string{"", "help", "нужна помощь волонтер", "volunteers"} {
		if _, ok := SignupKeyword(body); ok {
			t.Errorf("SignupKeyword(%q) took a request for a keyword", body)
		}
	}
}

func TestSignupAdvance(t *testing.T) {
	s := &Signup{Lang: LangRU, Step: SignupName}
	steps := []struct{ body, key string }{
		{"", "name"},
		{"Дана Оспанова", "district"},
		{"3", "languages"},
		{"12x", "languages"}, // a letter: ask again
		{"9", "languages"},   // out of range
		{"2, 1, 2", "skills"},
		{"", "skills"},
		{"0", "consent"},
		{"может быть", "consent"},
		{"Да", "done"},
	}
	for _, st := range steps {
		if got := s.Advance(st.body); got != st.key {
			t.Fatalf("answer %q: reply %q, want %q (step %s)", st.body, got, st.key, s.Step)
		}
	}
	if s.Step != SignupDone || s.Name != "Дана Оспанова" || s.Location == nil || !strings.Contains(s.District, "Есиль") ||
		!slices.Equal(s.Languages, []Lang{LangRU, LangKK}) || len(s.Skills) != 0 {
		t.Fatalf("finished sign-up %+v", s)
	}
}

func TestSignupDistrictByNameAndFreeText(t *testing.T) {
	s := &Signup{Lang: LangKK, Step: SignupDistrictStep}
	s.Advance("Павлодар")
	if s.Location == nil || s.District != "Павлодар" {
		t.Fatalf("by name: %q %v", s.District, s.Location)
	}
	s = &Signup{Lang: LangEN, Step: SignupDistrictStep}
	s.Advance("Shymkent, near the bazaar")
	if s.Location != nil || s.District != "Shymkent, near the bazaar" || s.Step != SignupLanguages {
		t.Fatalf("free text: %q %v %s", s.District, s.Location, s.Step)
	}
}

func TestSignupRefusedConsentEnds(t *testing.T) {
	s := &Signup{Lang: LangKK, Step: SignupConsent}
	if got := s.Advance("жоқ"); got != "cancelled" || s.Step != "" {
		t.Fatalf("refusal: %q, step %q", got, s.Step)
	}
}

func TestSignupDistrictList(t *testing.T) {
	for _, l := range Langs {
		d := SignupDistrictList(l)
		if strings.Count(d, ";") != len(SignupDistricts)-1 {
			t.Errorf("%s: %d districts in %q", l, strings.Count(d, ";")+1, d)
		}
	}
	if d := SignupDistrictList(LangKK); !strings.Contains(d, "7 Павлодар") || !strings.HasPrefix(d, "1 Астана, Алматы ауданы") {
		t.Errorf("district list: %q", d)
	}
}

func TestDistrictName(t *testing.T) {
	for _, c := range []struct {
		name string
		lang Lang
		want string
	}{
		{"Есиль", LangEN, "Astana, Yesil district"},
		{"Есиль", LangKK, "Астана, Есіл ауданы"},
		{"Кокшетау", LangEN, "Kokshetau"},
		{"Шымкент", LangEN, "Шымкент"}, // not in the list: its own name
		{"3", LangEN, "3"},
	} {
		if got := DistrictName(c.name, c.lang); got != c.want {
			t.Errorf("DistrictName(%q, %s) = %q, want %q", c.name, c.lang, got, c.want)
		}
	}
}

func TestPolygonMiddleIsInside(t *testing.T) {
	p := Polygon{Ring{{71.3, 51.09}, {71.5, 51.09}, {71.5, 51.16}, {71.3, 51.16}, {71.3, 51.09}}}
	m, ok := p.Middle()
	if !ok || !p.Contains(m) || m.Lat < 51.124 || m.Lat > 51.126 || m.Lon < 71.39 || m.Lon > 71.41 {
		t.Fatalf("middle %v %v", m, ok)
	}
	if _, ok := (Polygon{}).Middle(); ok {
		t.Fatal("an empty polygon has a middle")
	}
}
