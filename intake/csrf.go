package intake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// The form's CSRF defence is a signed double submit: the same token in a
// cookie and in a hidden field, and signed with the server's secret, so that
// another site can neither read the cookie nor forge a token that passes.
// The cookie lives as long as the browser session: nothing here expires
// while a person is typing. Each public form has its own cookie, sent only
// to its own path.

// csrfScope is one form's cookie: its name and the path it is sent to.
type csrfScope struct{ cookie, path string }

var (
	requestCSRF   = csrfScope{cookie: "dsp_form_csrf", path: "/request"}
	volunteerCSRF = csrfScope{cookie: "dsp_volunteer_csrf", path: "/volunteer"}
)

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func (h *Handler) signCSRF(nonce string) string {
	m := hmac.New(sha256.New, h.opts.CSRFSecret)
	m.Write([]byte("form-csrf:" + nonce))
	return nonce + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *Handler) validCSRF(token string) bool {
	nonce, _, ok := strings.Cut(token, ".")
	if !ok || nonce == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h.signCSRF(nonce)), []byte(token)) == 1
}

// csrfToken returns the browser's valid token of form sc, or sets a new one.
func (h *Handler) csrfToken(c echo.Context, sc csrfScope) string {
	if ck, err := c.Cookie(sc.cookie); err == nil && h.validCSRF(ck.Value) {
		return ck.Value
	}
	tok := h.signCSRF(randomToken(18))
	c.SetCookie(&http.Cookie{Name: sc.cookie, Value: tok, Path: sc.path, HttpOnly: true,
		Secure: h.opts.CookieSecure, SameSite: http.SameSiteLaxMode})
	return tok
}

// checkCSRF reports whether the POSTed token matches form sc's cookie and
// is ours.
func (h *Handler) checkCSRF(c echo.Context, sc csrfScope) bool {
	ck, err := c.Cookie(sc.cookie)
	field := c.FormValue("csrf")
	if err != nil || field == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ck.Value), []byte(field)) == 1 && h.validCSRF(field)
}
