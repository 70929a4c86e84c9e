package httpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/internal/httpstatus"
	"github.com/labstack/echo/v4"
)

// ErrorBody is what every JSON error looks like.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Status returns the HTTP status for err, and the code and message to show.
// The message never includes the cause.
func Status(err error) (status int, body ErrorBody) {
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, ErrorBody{dispatch.ETOOLARGE,
			fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	case errors.As(err, &he) && !isDispatchError(err):
		code := httpstatus.Code(he.Code)
		if code == "" {
			code = dispatch.EINVALID
			if he.Code >= 500 {
				code = dispatch.EINTERNAL
			}
		}
		msg, ok := he.Message.(string)
		if !ok || msg == "" || he.Code >= 500 {
			msg = http.StatusText(he.Code)
		}
		return he.Code, ErrorBody{code, msg}
	}
	code := dispatch.ErrorCode(err)
	status, ok := httpstatus.Of(code)
	if !ok {
		status, code = http.StatusInternalServerError, dispatch.EINTERNAL
	}
	return status, ErrorBody{code, dispatch.ErrorMessage(err)}
}

func isDispatchError(err error) bool {
	var de *dispatch.Error
	return errors.As(err, &de)
}

// handleError renders err as JSON, or as a small page for the HTML parts of
// the service, and logs the errors that are the service's fault: here, once,
// with the request id, and nowhere else.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	req := c.Request()
	status, body := Status(err)
	switch {
	case errors.Is(err, context.Canceled) && req.Context().Err() != nil:
		// the client went away; nothing to tell it and nothing broken
		status = 499
		s.logger.DebugContext(req.Context(), "http: client gone", "route", c.Path())
	case status >= 500:
		level := slog.LevelError
		if status == http.StatusServiceUnavailable {
			level = slog.LevelWarn
		}
		s.logger.Log(req.Context(), level, "http: request failed",
			"route", c.Path(), "status", status, "code", body.Code, "err", err.Error())
	}
	if he, ok := err.(*echo.HTTPError); ok && he.Code == http.StatusMethodNotAllowed {
		if allow, _ := c.Get(echo.ContextKeyHeaderAllow).(string); allow != "" {
			c.Response().Header().Set("Allow", allow)
		}
	}
	if req.Method == http.MethodHead || status == 499 {
		c.Response().WriteHeader(status)
		return
	}
	var werr error
	if wantsHTML(req) {
		werr = s.errorPage(c, status, body)
	} else {
		werr = c.JSON(status, body)
	}
	if werr != nil {
		s.logger.DebugContext(req.Context(), "http: writing error response", "err", werr)
	}
}

// wantsHTML reports whether the request is for a page people read: the
// console and the public form, unless the client asked for JSON.
func wantsHTML(r *http.Request) bool {
	p := r.URL.Path
	page := p == "/console" || strings.HasPrefix(p, "/console/") || p == "/request" || strings.HasPrefix(p, "/request/")
	if !page {
		return false
	}
	accept := r.Header.Get("Accept")
	return !strings.Contains(accept, "application/json") || strings.Contains(accept, "text/html")
}
