package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDoc describes every route, body and error of the API. A test walks
// the router and this document both ways, so that neither can drift.
//
//go:embed openapi.json
var openAPIDoc []byte

func openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPIDoc)
}
