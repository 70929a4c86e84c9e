package dispatch

import (
	"testing"
	"unicode/utf8"
)

// FuzzDetectLang: any text, valid UTF-8 or not, gets one of the three
// languages.
func FuzzDetectLang(f *testing.F) {
	for _, s := range []string{"Сәлеметсіз бе", "Здравствуйте", "hello", "salem, komek kerek", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l := DetectLang(s); !l.Valid() {
			t.Fatalf("DetectLang(%q) = %q", s, l)
		}
	})
}

// FuzzNormalizeTicketCode: what a caller or volunteer types as a code
// normalises to valid UTF-8, and normalising twice changes nothing.
func FuzzNormalizeTicketCode(f *testing.F) {
	for _, s := range []string{"AKM-1234", "акм 1234", "akm1234", "", "----", "\xff1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeTicketCode(s)
		if !utf8.ValidString(n) {
			t.Fatalf("NormalizeTicketCode(%q) = %q, invalid UTF-8", s, n)
		}
		if again := NormalizeTicketCode(n); again != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, again)
		}
	})
}
