package dispatch_test

import (
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestBarrierTransitions(t *testing.T) {
	ok := [][2]dispatch.BarrierStatus{
		{"reported", "verified"}, {"verified", "sent"}, {"sent", "fixed"},
		{"reported", "rejected"}, {"verified", "rejected"}, {"sent", "rejected"},
	}
	for _, p := range ok {
		if err := dispatch.CheckBarrierTransition(p[0], p[1]); err != nil {
			t.Errorf("%s → %s: %v", p[0], p[1], err)
		}
	}
	bad := [][2]dispatch.BarrierStatus{
		{"reported", "sent"}, {"reported", "fixed"}, {"fixed", "sent"}, {"rejected", "verified"}, {"sent", "verified"},
	}
	for _, p := range bad {
		if err := dispatch.CheckBarrierTransition(p[0], p[1]); dispatch.ErrorCode(err) != dispatch.EUNPROCESSABLE {
			t.Errorf("%s → %s: %v, want EUNPROCESSABLE", p[0], p[1], err)
		}
	}
	if err := dispatch.CheckBarrierTransition("reported", "gone"); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Errorf("unknown status: %v", err)
	}
}

func TestGuessPlaceKind(t *testing.T) {
	cases := map[string]dispatch.PlaceKind{
		"Нет пандуса у аптеки":             dispatch.PlaceRamp,
		"Дәріханада пандус жоқ":            dispatch.PlaceRamp,
		"the lift at the clinic is broken": dispatch.PlaceLift,
		"Лифт не работает в поликлинике":   dispatch.PlaceLift,
		"no accessible toilet at the mall": dispatch.PlaceToilet,
		"светофор без звука на переходе":   dispatch.PlaceCrossing,
		"высокое крыльцо, нельзя заехать":  dispatch.PlaceEntrance,
		"something else entirely":          dispatch.PlaceOther,
	}
	for text, want := range cases {
		if got := dispatch.GuessPlaceKind(text); got != want {
			t.Errorf("%q: %s, want %s", text, got, want)
		}
	}
}
