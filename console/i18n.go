package console

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// catalogue holds every console text: language → key → text. It is merged
// from i18n/*.json, one file per area ({"kk":{...},"ru":{...},"en":{...}}),
// so that each area keeps its own texts; a key defined twice is an error.
type catalogue map[dispatch.Lang]map[string]string

func loadCatalogue(fsys fs.FS) (catalogue, error) {
	files, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		return nil, err
	}
	cat := catalogue{}
	for _, l := range dispatch.Langs {
		cat[l] = map[string]string{}
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var m map[dispatch.Lang]map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("console: %s: %w", f, err)
		}
		for l, texts := range m {
			if !l.Valid() {
				return nil, fmt.Errorf("console: %s: language %q is not kk, ru or en", f, l)
			}
			for k, v := range texts {
				if _, dup := cat[l][k]; dup {
					return nil, fmt.Errorf("console: %s: key %q (%s) is defined twice", f, k, l)
				}
				cat[l][k] = v
			}
		}
	}
	return cat, nil
}

// text falls back to English, then to the key itself, so that a missing
// text shows up as a visible key instead of an empty label (the catalogue
// test catches it first).
func (c catalogue) text(l dispatch.Lang, key string, args ...any) string {
	s, ok := c[l][key]
	if !ok {
		if s, ok = c[dispatch.LangEN][key]; !ok {
			s = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

const langCookie = "lang"

// lang picks the page language: ?lang= (remembered in a cookie), then the
// cookie, then Accept-Language, then Russian, the language most callers and
// dispatchers share.
func (c *Console) lang(ec echo.Context) dispatch.Lang {
	if q := ec.QueryParam("lang"); q != "" {
		if l, err := dispatch.ParseLang(q); err == nil {
			ec.SetCookie(&http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: c.opts.CookieSecure, SameSite: http.SameSiteLaxMode})
			return l
		}
	}
	if ck, err := ec.Cookie(langCookie); err == nil {
		if l, err := dispatch.ParseLang(ck.Value); err == nil {
			return l
		}
	}
	return acceptLanguage(ec.Request().Header.Get("Accept-Language"))
}

// acceptLanguage takes the first supported language in the header's order
// (quality values are rarely out of order in practice).
func acceptLanguage(h string) dispatch.Lang {
	for _, part := range strings.Split(h, ",") {
		tag := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		tag = strings.SplitN(tag, "-", 2)[0]
		if l, err := dispatch.ParseLang(tag); err == nil {
			return l
		}
	}
	return dispatch.LangRU
}
