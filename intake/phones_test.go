package intake

import (
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestPhonesNormalize(t *testing.T) {
	p := Phones{}
	for _, tc := range []struct{ in, want string }{
		{"+7 701 234 56 78", "+77012345678"},
		{"87012345678", "+77012345678"},
		{"8 (701) 234-56-78", "+77012345678"},
		{"7012345678", "+77012345678"},
		{"0077012345678", "+77012345678"},
		{"+7 727 250 00 00", "+77272500000"},
		{"+44 20 7946 0958", "+442079460958"},
	} {
		got, err := p.Normalize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "hello", "+7 701", "12"} {
		if _, err := p.Normalize(bad); dispatch.ErrorCode(err) != dispatch.EINVALID || dispatch.ErrorMessage(err) == "" {
			t.Errorf("Normalize(%q) = %v; want EINVALID with a message", bad, err)
		}
	}
}
