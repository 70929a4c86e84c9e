package dispatch

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// codeLetters look the same in Latin and Cyrillic print, so a code read from
// an SMS in either script, or typed on either keyboard, is the same code.
const codeLetters = "AEKMHOPCTX"

// cyrillicLookAlikes maps the Cyrillic twins of codeLetters (both cases) to
// the Latin letters codes are stored with.
var cyrillicLookAlikes = map[rune]rune{
	'А': 'A', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'Х': 'X',
	'а': 'A', 'е': 'E', 'к': 'K', 'м': 'M', 'н': 'H', 'о': 'O', 'р': 'P', 'с': 'C', 'т': 'T', 'х': 'X',
}

// NewTicketCode returns a ticket's public code: three letters from
// codeLetters, a dash and four digits ("AKM-1234"). It is short enough to
// read aloud and type on a keypad, and drawn from crypto/rand over ten
// million values, so that a code seen once does not lead to its neighbours.
// Codes can collide; the store retries with another.
func NewTicketCode() string {
	var b strings.Builder
	b.Grow(8)
	for range 3 {
		b.WriteByte(codeLetters[randN(len(codeLetters))])
	}
	b.WriteByte('-')
	for range 4 {
		b.WriteByte(byte('0' + randN(10)))
	}
	return b.String()
}

func randN(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		// crypto/rand does not fail on supported platforms; a code must
		// never be predictable, so there is no weaker fallback.
		panic("dispatch: crypto/rand: " + err.Error())
	}
	return int(v.Int64())
}

// NormalizeTicketCode brings a code as a person typed or dictated it to the
// stored form: case is ignored, Cyrillic look-alike letters become Latin, and
// spaces, dashes and dots are dropped, so "акм 1234" and "akm1234" both give
// "AKM-1234". Input that is not three letters and four digits comes back
// upper-cased without separators, which matches no code.
func NormalizeTicketCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '_' || r == '\t' || r == '–' || r == '—':
			continue
		case cyrillicLookAlikes[r] != 0:
			b.WriteRune(cyrillicLookAlikes[r])
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	c := b.String()
	if len(c) == 7 && isCodeLetters(c[:3]) && isDigits(c[3:]) {
		return c[:3] + "-" + c[3:]
	}
	return c
}

func isCodeLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(codeLetters, s[i]) < 0 {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
