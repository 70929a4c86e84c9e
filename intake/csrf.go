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
// while a person is typing.

const csrfCookie = "dsp_form_csrf"

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

// csrfToken returns the browser's valid token, or sets a new one.
func (h *Handler) csrfToken(c echo.Context) string {
	if ck, err := c.Cookie(csrfCookie); err == nil && h.validCSRF(ck.Value) {
		return ck.Value
	}
	tok := h.signCSRF(randomToken(18))
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: tok, Path: "/request", HttpOnly: true,
		Secure: h.opts.CookieSecure, SameSite: http.SameSiteLaxMode})
	return tok
}

// checkCSRF reports whether the POSTed token matches the cookie and is ours.
func (h *Handler) checkCSRF(c echo.Context) bool {
	ck, err := c.Cookie(csrfCookie)
	field := c.FormValue("csrf")
	if err != nil || field == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ck.Value), []byte(field)) == 1 && h.validCSRF(field)
}
