package dispatch

import (
	"strings"
	"unicode"
)

// Lang is a language the service speaks: Kazakh, Russian or English.
type Lang string

// The supported languages. Every user-facing text exists in each of them.
const (
	LangKK Lang = "kk"
	LangRU Lang = "ru"
	LangEN Lang = "en"
)

// Langs lists the supported languages in menu order (1 kk, 2 ru, 3 en).
var Langs = []Lang{LangKK, LangRU, LangEN}

// Valid reports whether l is one of the supported languages.
func (l Lang) Valid() bool { return l == LangKK || l == LangRU || l == LangEN }

// ParseLang accepts "kk", "ru", "en" in any case (and "kz" as a common
// mistake for Kazakh).
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "kk", "kz", "kaz":
		return LangKK, nil
	case "ru", "rus":
		return LangRU, nil
	case "en", "eng":
		return LangEN, nil
	}
	return "", Errorf(EINVALID, "language %q is not one of kk, ru, en", s)
}

// kazakhLetters are the Cyrillic letters that Kazakh has and Russian has not.
const kazakhLetters = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"

// latinKazakhMarkers are letters and words typical of Kazakh in the Latin
// script (2021 alphabet and common informal spellings).
var latinKazakhMarkers = []string{"á", "ǵ", "ń", "ó", "ú", "ý", "ı", "ş", "ç", "ğ",
	"sálem", "salem", "raqmet", "rakhmet", "kómek", "komek", "kerek", "qajet", "jaqsy", "iá", "ia ", "joq", "dayin", "daiyn", "kömek"}

// DetectLang guesses the language of a text: Kazakh-specific letters or
// Latin-script Kazakh mean kk, other Cyrillic means ru, anything else en.
func DetectLang(text string) Lang {
	cyr := false
	for _, r := range text {
		if strings.ContainsRune(kazakhLetters, r) {
			return LangKK
		}
		if unicode.Is(unicode.Cyrillic, r) {
			cyr = true
		}
	}
	if cyr {
		return LangRU
	}
	low := " " + strings.ToLower(text) + " "
	for _, m := range latinKazakhMarkers {
		if strings.Contains(low, m) {
			return LangKK
		}
	}
	return LangEN
}
