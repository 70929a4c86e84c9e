package dispatch

import (
	"regexp"
	"testing"
)

func TestNewTicketCode(t *testing.T) {
	form := regexp.MustCompile(`^[AEKMHOPCTX]{3}-[0-9]{4}$`)
	seen := map[string]bool{}
	for range 2000 {
		c := NewTicketCode()
		if !form.MatchString(c) {
			t.Fatalf("NewTicketCode() = %q, want three of AEKMHOPCTX, a dash, four digits", c)
		}
		if NormalizeTicketCode(c) != c {
			t.Fatalf("NormalizeTicketCode(%q) = %q, want the code unchanged", c, NormalizeTicketCode(c))
		}
		seen[c] = true
	}
	// Ten million codes: 2000 draws with more than a handful of repeats
	// would mean the generator is not random.
	if len(seen) < 1990 {
		t.Errorf("%d distinct codes in 2000 draws", len(seen))
	}
}

func TestNormalizeTicketCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AKM-1234", "AKM-1234"},
		{"akm-1234", "AKM-1234"},
		{"AKM1234", "AKM-1234"},
		{"akm 1234", "AKM-1234"},
		{"  a k m - 1 2 3 4 ", "AKM-1234"},
		{"АКМ-1234", "AKM-1234"}, // Cyrillic capitals
		{"акм 1234", "AKM-1234"}, // Cyrillic small
		{"аKм1234", "AKM-1234"},  // mixed scripts
		{"ХОР—0001", "XOP-0001"}, // em dash from a phone's autocorrect
		{"TEC.9999", "TEC-9999"},
		{"", ""},
		{"abc-1234", "ABC1234"}, // B is not a code letter: no dash, no match
		{"AKM-123", "AKM123"},
		{"ЖКМ-1234", "ЖKM1234"},
	}
	for _, tt := range tests {
		if got := NormalizeTicketCode(tt.in); got != tt.want {
			t.Errorf("NormalizeTicketCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
