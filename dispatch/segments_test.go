package dispatch

import (
	"strings"
	"testing"
)

func TestSMSSegments(t *testing.T) {
	tests := []struct {
		name string
		text string
		segs int
		ucs2 bool
	}{
		{"empty", "", 0, false},
		{"short latin", "Reply 1 to accept", 1, false},
		{"160 gsm", strings.Repeat("a", 160), 1, false},
		{"161 gsm", strings.Repeat("a", 161), 2, false},
		{"306 gsm", strings.Repeat("a", 306), 2, false},
		{"307 gsm", strings.Repeat("a", 307), 3, false},
		{"extension counts twice", strings.Repeat("€", 80), 1, false},
		{"extension over", strings.Repeat("€", 80) + "a", 2, false},
		{"gsm accents", "èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà", 1, false},
		{"one cyrillic letter", "Reply 1 to accept, Иә", 1, true},
		{"70 cyrillic", strings.Repeat("д", 70), 1, true},
		{"71 cyrillic", strings.Repeat("д", 71), 2, true},
		{"134 cyrillic", strings.Repeat("ә", 134), 2, true},
		{"135 cyrillic", strings.Repeat("ә", 135), 3, true},
		{"latin kazakh accents", "Iá, kómek", 1, true}, // á and ó are not GSM-7
		{"emoji surrogate pair", strings.Repeat("😀", 35), 1, true},
		{"emoji over", strings.Repeat("😀", 36), 2, true}, // 72 units: 67 + 5
	}
	for _, tt := range tests {
		segs, ucs2 := SMSSegments(tt.text)
		if segs != tt.segs || ucs2 != tt.ucs2 {
			t.Errorf("%s: SMSSegments = %d, %v; want %d, %v", tt.name, segs, ucs2, tt.segs, tt.ucs2)
		}
	}
}
