package intake

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/client"
)

// limitBody refuses a body over the limit with 413 and parses the form, so
// that a malformed one gets 400 saying what is wrong before any handler runs.
func (h *Handler) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > h.opts.BodyLimit {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
				fmt.Sprintf("request body is larger than %d bytes", h.opts.BodyLimit))
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, h.opts.BodyLimit)
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
			return echo.NewHTTPError(http.StatusBadRequest,
				"request body must be a form (Content-Type: application/x-www-form-urlencoded)")
		}
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
					fmt.Sprintf("request body is larger than %d bytes", h.opts.BodyLimit))
			}
			return echo.NewHTTPError(http.StatusBadRequest, "malformed form: "+err.Error())
		}
		return next(c)
	}
}

// checkSignature lets through only requests that Twilio signed: the
// X-Twilio-Signature header must be the HMAC of PUBLIC_BASE_URL plus the
// path and query, followed by the POSTed parameters, under the auth token.
// There is deliberately no way to switch it off; local runs sign with the
// development token.
func (h *Handler) checkSignature(next echo.HandlerFunc) echo.HandlerFunc {
	v := client.NewRequestValidator(h.opts.AuthToken)
	base := strings.TrimRight(h.opts.PublicBaseURL, "/")
	return func(c echo.Context) error {
		sig := c.Request().Header.Get("X-Twilio-Signature")
		if sig == "" {
			return echo.NewHTTPError(http.StatusForbidden, "missing X-Twilio-Signature")
		}
		params := map[string]string{}
		for k, vs := range c.Request().PostForm {
			if len(vs) > 0 {
				params[k] = vs[0]
			}
		}
		if !v.Validate(base+c.Request().URL.RequestURI(), params, sig) {
			return echo.NewHTTPError(http.StatusForbidden, "X-Twilio-Signature does not match")
		}
		return next(c)
	}
}
