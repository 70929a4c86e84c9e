package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// decode reads the JSON body into v, strictly: an unknown field, a wrong
// type, a second value or a body that is not JSON is a 400 naming what was
// wrong. An empty body decodes as {} when allowEmpty (actions whose fields
// are all optional).
func decode(c echo.Context, v any, allowEmpty bool) error {
	const op = "api.decode"
	r := c.Request()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return dispatch.Errorf(dispatch.ETOOLARGE, "the request body is larger than %d bytes", mbe.Limit)
		}
		return dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "the request body could not be read"))
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if allowEmpty {
			return nil
		}
		return dispatch.Errorf(dispatch.EINVALID, "the request body is empty; send a JSON object")
	}
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" || !allowEmpty {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType,
				fmt.Sprintf("Content-Type must be application/json, not %q", ct))
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var de *dispatch.Error
		if errors.As(err, &de) {
			return de // a field's own decoder said what is wrong
		}
		return dispatch.Errorf(dispatch.EINVALID, "%s", jsonProblem(err))
	}
	if dec.More() {
		return dispatch.Errorf(dispatch.EINVALID, "the request body holds more than one JSON value")
	}
	return nil
}

// jsonProblem says what is wrong with a body in terms of its fields.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("the request body is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("the request body must be a JSON object, not %s", te.Value)
		}
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, typeName(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the request body is cut short: not valid JSON"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "the request body is not valid JSON"
}

func typeName(kind string) string {
	switch kind {
	case "int", "int64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// pathID parses the :id parameter.
func pathID(c echo.Context, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, dispatch.Errorf(dispatch.EINVALID, "%s id %q is not a positive whole number", what, c.Param("id"))
	}
	return id, nil
}

// page reads limit (default 50, at most 500) and offset.
func page(c echo.Context) (limit, offset int, err error) {
	limit, offset = 50, 0
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return 0, 0, dispatch.Errorf(dispatch.EINVALID, "query parameter limit=%q must be a whole number from 1 to 500", s)
		}
		limit = n
	}
	if s := c.QueryParam("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, dispatch.Errorf(dispatch.EINVALID, "query parameter offset=%q must be a whole number, 0 or more", s)
		}
		offset = n
	}
	return limit, offset, nil
}

// queryBool reads an optional true/false parameter.
func queryBool(c echo.Context, name string) (*bool, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, dispatch.Errorf(dispatch.EINVALID, "query parameter %s=%q must be true or false", name, s)
	}
	return &b, nil
}

// queryInt64 reads an optional positive id parameter.
func queryInt64(c echo.Context, name string) (*int64, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return nil, dispatch.Errorf(dispatch.EINVALID, "query parameter %s=%q must be a positive whole number", name, s)
	}
	return &n, nil
}

// list is the envelope of every list.
type list[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// unprocessable re-codes a validation error of a well-formed body as 422:
// 400 is kept for bodies and parameters that cannot be read at all.
func unprocessable(op string, err error) error {
	if dispatch.IsCode(err, dispatch.EINVALID) {
		return &dispatch.Error{Code: dispatch.EUNPROCESSABLE, Op: op, Message: dispatch.ErrorMessage(err), Err: err}
	}
	return dispatch.E(op, err)
}

func invalidField(format string, args ...any) error {
	return dispatch.Errorf(dispatch.EUNPROCESSABLE, format, args...)
}
