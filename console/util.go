package console

import (
	"net/url"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// idParam reads a numeric path parameter, ENOTFOUND when it is not a number
// (a mistyped URL is a page that does not exist).
func idParam(ec echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(ec.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, dispatch.Errorf(dispatch.ENOTFOUND, "no such %s: %q", name, ec.Param(name))
	}
	return id, nil
}

// sortErrors orders an import report by line, keeping each line's fields
// in the order they were found.
func sortErrors(es []dispatch.ImportError) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
}
