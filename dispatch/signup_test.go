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

func TestSignupTextsInEveryLanguage(t *testing.T) {
	for key, byLang := range signupTexts {
		for _, l := range []Lang{LangKK, LangRU, LangEN} {
			if strings.TrimSpace(byLang[l]) == "" {
				t.Errorf("%s has no %s text", key, l)
			}
		}
	}
	if d := SignupText("district", LangKK); !strings.Contains(d, "7 Павлодар") || strings.Contains(d, "%!") {
		t.Errorf("district list: %q", d)
	}
}
