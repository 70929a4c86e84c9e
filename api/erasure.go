package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// ClientEraser erases a client's personal data on their request
// (*dispatch.Retention is one).
type ClientEraser interface {
	Erase(ctx context.Context, clientID int64, actor dispatch.Actor) error
}

// eraseClient carries out a person's request to erase their data (issue 8):
// POST /clients/{id}/erase; 409 while the client has an open ticket.
func (a *API) eraseClient(c echo.Context) error {
	const op = "api.eraseClient"
	id, err := pathID(c, "client")
	if err != nil {
		return err
	}
	er := a.eraser
	if er == nil {
		rs, ok := a.store.(dispatch.RetentionStore)
		if !ok {
			return dispatch.E(op, dispatch.Errorf(dispatch.EINTERNAL, "api: no Eraser and the store cannot erase personal data"))
		}
		er = dispatch.NewRetention(rs, dispatch.RetentionOptions{Logger: a.log})
	}
	ctx := c.Request().Context()
	if err := er.Erase(ctx, id, actor(c)); err != nil {
		return dispatch.E(op, err)
	}
	cl, err := a.store.Client(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	return c.JSON(http.StatusOK, clientOut(cl))
}
