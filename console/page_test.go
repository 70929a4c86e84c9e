package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Every key of the catalogue exists in all three languages, so that no
// page shows an English text or a bare key to a Kazakh or Russian reader.
func TestCatalogueComplete(t *testing.T) {
	cat, err := loadCatalogue(assets)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range dispatch.Langs {
		for k := range cat[a] {
			for _, b := range dispatch.Langs {
				if cat[b][k] == "" {
					t.Errorf("key %q exists in %s but not in %s", k, a, b)
				}
			}
		}
	}
}

func TestLoginPageLanguages(t *testing.T) {
	c := New(Options{})
	e := echo.New()
	c.Register(e)
	for _, tc := range []struct{ query, accept, want, lang string }{
		{"?lang=kk", "", "Құпиясөз", "kk"},
		{"?lang=en", "ru", "Password", "en"},
		{"", "ru-RU,ru;q=0.9", "Пароль", "ru"},
		{"", "kk-KZ", "Құпиясөз", "kk"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/console/login"+tc.query, nil)
		req.Header.Set("Accept-Language", tc.accept)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, tc.want) || !strings.Contains(body, `<html lang="`+tc.lang+`">`) {
			t.Errorf("%s %s: %d, want %q in lang %s:\n%s", tc.query, tc.accept, rec.Code, tc.want, tc.lang, body)
		}
		if !strings.Contains(body, `id="login"`) || !strings.Contains(body, `name="csrf"`) {
			t.Errorf("login form or its token missing")
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("a long enough secret")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "a long enough secret") || CheckPassword(h, "a long enough secreT") {
		t.Error("CheckPassword does not tell the right password from a wrong one")
	}
	for _, pw := range []string{"short", strings.Repeat("x", 73)} {
		if _, err := HashPassword(pw); !dispatch.IsCode(err, dispatch.EINVALID) || dispatch.ErrorMessage(err) == "" {
			t.Errorf("HashPassword(%d bytes) = %v, want EINVALID with a message", len(pw), err)
		}
	}
}
