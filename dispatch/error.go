package dispatch

import (
	"errors"
	"fmt"
)

// Error codes. They are kinds, not messages: each maps to one HTTP status in
// the HTTP packages and to one exit status in the command line.
const (
	EINVALID       = "invalid"       // malformed input: 400
	EUNAUTHORIZED  = "unauthorized"  // no or bad credentials: 401
	EFORBIDDEN     = "forbidden"     // authenticated, but not allowed: 403
	ENOTFOUND      = "not_found"     // 404
	ECONFLICT      = "conflict"      // the state does not allow it now: 409
	ETOOLARGE      = "too_large"     // 413
	EUNPROCESSABLE = "unprocessable" // well formed, but semantically wrong: 422
	ERATELIMIT     = "rate_limited"  // 429
	EUNAVAILABLE   = "unavailable"   // a dependency is down: 503
	EINTERNAL      = "internal"      // a bug or an unexpected failure: 500
)

// Error is the one error type of the domain. Op names the operation that
// failed ("intake.Submit"), Code its kind, Message a text that is safe to show
// to the person who made the request, and Err the underlying cause, which is
// logged but never shown.
type Error struct {
	Code    string
	Op      string
	Message string
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := e.Code
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// E wraps err with an operation name. An *Error keeps its code and message;
// anything else becomes EINTERNAL. A nil err gives nil.
func E(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) {
		return &Error{Code: de.Code, Op: op, Message: de.Message, Err: err}
	}
	return &Error{Code: EINTERNAL, Op: op, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human readable message of err's first *Error that
// has one, or a generic text for internal errors, so that no cause (an SQL
// text, a phone number) leaks to a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			break
		}
		if e.Message != "" {
			return e.Message
		}
		err = e.Err
	}
	return "Internal error."
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
