package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// eraseClient carries out a person's request to erase their data (issue 8):
// POST /clients/{id}/erase. The store does the work (postgres.Store is a
// dispatch.RetentionStore); the API keeps no service of its own for it, so
// that Options stays as it is.
func (a *API) eraseClient(c echo.Context) error {
	const op = "api.eraseClient"
	id, err := pathID(c, "client")
	if err != nil {
		return err
	}
	rs, ok := a.store.(dispatch.RetentionStore)
	if !ok {
		return dispatch.E(op, dispatch.Errorf(dispatch.EINTERNAL, "the store cannot erase personal data"))
	}
	ctx := c.Request().Context()
	if err := dispatch.NewRetention(rs, dispatch.RetentionOptions{Logger: a.log}).Erase(ctx, id, actor(c)); err != nil {
		return dispatch.E(op, err)
	}
	cl, err := a.store.Client(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	return c.JSON(http.StatusOK, clientOut(cl))
}
