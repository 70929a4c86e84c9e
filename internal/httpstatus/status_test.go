package httpstatus

import (
	"errors"
	"net/http"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestTable(t *testing.T) {
	cases := map[string]int{
		dispatch.EINVALID: 400, dispatch.EUNAUTHORIZED: 401, dispatch.EFORBIDDEN: 403, dispatch.ENOTFOUND: 404,
		dispatch.ECONFLICT: 409, dispatch.ETOOLARGE: 413, dispatch.EUNPROCESSABLE: 422, dispatch.ERATELIMIT: 429,
		dispatch.EUNAVAILABLE: 503, dispatch.EINTERNAL: 500,
	}
	for code, want := range cases {
		if got, ok := Of(code); !ok || got != want {
			t.Errorf("Of(%s) = %d, want %d", code, got, want)
		}
		if got := Code(want); got != code {
			t.Errorf("Code(%d) = %q, want %q", want, got, code)
		}
		if got := OfError(dispatch.Errorf(code, "x")); got != want {
			t.Errorf("OfError(%s) = %d", code, got)
		}
	}
	if got := OfError(errors.New("plain")); got != http.StatusInternalServerError {
		t.Errorf("a plain error: %d", got)
	}
	if got := Code(http.StatusTeapot); got != "" {
		t.Errorf("Code(418) = %q", got)
	}
}
