package dispatch

import (
	"strings"
	"unicode/utf16"
)

// gsm7Basic is the GSM 03.38 default alphabet: one septet each.
const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsm7Extension are reached through the escape code: two septets each.
const gsm7Extension = "\f^{}\\[~]|€"

// SMSSegments counts the SMS parts text is sent in, and whether it needs
// UCS-2. GSM-7 fits 160 septets in one part, 153 in each of several (the
// rest carries the join header); one character outside GSM-7 (any Cyrillic
// letter) makes the whole text UCS-2: 70 UTF-16 units alone, 67 in parts.
// Every part is billed and a long text may arrive out of order on an old
// phone, so the templates are held to a budget of parts.
func SMSSegments(text string) (segments int, ucs2 bool) {
	if text == "" {
		return 0, false
	}
	septets := 0
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsm7Basic, r):
			septets++
		case strings.ContainsRune(gsm7Extension, r):
			septets += 2
		default:
			ucs2 = true
		}
		if ucs2 {
			break
		}
	}
	if !ucs2 {
		return parts(septets, 160, 153), false
	}
	return parts(len(utf16.Encode([]rune(text))), 70, 67), true
}

func parts(n, single, multi int) int {
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}
