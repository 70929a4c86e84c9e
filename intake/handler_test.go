package intake

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestInHours(t *testing.T) {
	zone := time.FixedZone("Almaty", 5*3600)
	at := func(h, m int) func() time.Time {
		return func() time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, zone).UTC() }
	}
	for _, tc := range []struct {
		number, hours string
		now           func() time.Time
		want          bool
	}{
		{"+77172000000", "09:00-18:00", at(9, 0), true},
		{"+77172000000", "09:00-18:00", at(17, 59), true},
		{"+77172000000", "09:00-18:00", at(18, 0), false},
		{"+77172000000", "09:00-18:00", at(8, 59), false},
		{"+77172000000", "22:00-06:00", at(23, 30), true}, // a night shift
		{"+77172000000", "22:00-06:00", at(5, 0), true},
		{"+77172000000", "22:00-06:00", at(12, 0), false},
		{"", "00:00-23:59", at(12, 0), false}, // no number: voicemail
	} {
		h := &Handler{opts: Options{DispatcherNumber: tc.number, DispatcherHours: tc.hours, Location: zone, Now: tc.now}}
		if got := h.inHours(); got != tc.want {
			t.Errorf("%s at %s: %v, want %v", tc.hours, tc.now().In(zone).Format("15:04"), got, tc.want)
		}
	}
}

func TestAcceptLang(t *testing.T) {
	for header, want := range map[string]dispatch.Lang{
		"":                          dispatch.LangRU,
		"de-DE,de;q=0.9":            dispatch.LangRU,
		"kk":                        dispatch.LangKK,
		"kk-KZ,ru;q=0.9,en;q=0.8":   dispatch.LangKK,
		"ru;q=0.5, en-US;q=0.9":     dispatch.LangEN,
		"en-GB, en;q=0.9, ru;q=0.8": dispatch.LangEN,
	} {
		if got := acceptLang(header); got != want {
			t.Errorf("acceptLang(%q) = %s, want %s", header, got, want)
		}
	}
}

func TestAudioName(t *testing.T) {
	for name, want := range map[string]bool{"greeting.wav": true, "char_A.wav": true, "char_7.wav": true,
		"../x.wav": false, "greeting.mp3": false, ".wav": false, "a/b.wav": false, "a%2fb.wav": false} {
		if audioName(name) != want {
			t.Errorf("audioName(%q) = %v", name, !want)
		}
	}
}

func TestCSRFToken(t *testing.T) {
	h := &Handler{opts: Options{CSRFSecret: []byte("0123456789abcdef0123")}}
	other := &Handler{opts: Options{CSRFSecret: []byte("another secret of 20b")}}
	tok := h.signCSRF(randomToken(18))
	if !h.validCSRF(tok) {
		t.Fatal("own token refused")
	}
	nonce, _, _ := strings.Cut(tok, ".")
	for _, bad := range []string{"", ".", nonce, nonce + ".", other.signCSRF(nonce), tok + "x"} {
		if h.validCSRF(bad) {
			t.Errorf("token %q accepted", bad)
		}
	}
}

func TestPromptsAndFormTextsAreComplete(t *testing.T) {
	fsys := os.DirFS("../configs")
	if _, err := loadPrompts(fsys, t.TempDir(), "http://x", nil); err != nil {
		t.Fatal(err)
	}
	f, err := loadForm(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range dispatch.Langs {
		for _, c := range append(append([]dispatch.Category{}, dispatch.Categories...), dispatch.ConsultCategories...) {
			if f.texts[l]["cat_"+string(c)] == "" {
				t.Errorf("%s: no text for category %s", l, c)
			}
		}
		for _, s := range dispatch.Skills {
			if f.texts[l]["need_"+string(s)] == "" {
				t.Errorf("%s: no text for need %s", l, s)
			}
		}
	}
}
