// Package httpstatus is THE error table: the one place a dispatch error code
// becomes an HTTP status, shared by every HTTP package (httpd's error
// handler, and the pages that intake and the console render themselves) so
// that none keeps a copy.
package httpstatus

import (
	"net/http"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var statusOf = map[string]int{
	dispatch.EINVALID:       http.StatusBadRequest,
	dispatch.EUNAUTHORIZED:  http.StatusUnauthorized,
	dispatch.EFORBIDDEN:     http.StatusForbidden,
	dispatch.ENOTFOUND:      http.StatusNotFound,
	dispatch.ECONFLICT:      http.StatusConflict,
	dispatch.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	dispatch.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	dispatch.ERATELIMIT:     http.StatusTooManyRequests,
	dispatch.EUNAVAILABLE:   http.StatusServiceUnavailable,
	dispatch.EINTERNAL:      http.StatusInternalServerError,
}

// Of returns the status for an error code, and false for a code the table
// does not know (which callers treat as internal).
func Of(code string) (int, bool) {
	s, ok := statusOf[code]
	return s, ok
}

// OfError returns the status for err's code; 500 for anything unknown.
func OfError(err error) int {
	if s, ok := statusOf[dispatch.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Code returns the error code a status stands for ("" when none does), for
// errors that come with a status only (the router's 404 and 405).
func Code(status int) string {
	for c, s := range statusOf { // one code per status
		if s == status {
			return c
		}
	}
	return ""
}
