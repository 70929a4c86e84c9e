package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// erasureData is the confirmation page of an erasure request.
type erasureData struct {
	Client *dispatch.Client
	// Erased: the client is already anonymised (its phone is a placeholder).
	Erased bool
}

func (c *Console) erasureView(ec echo.Context) (*Page, error) {
	id, err := idParam(ec, "id")
	if err != nil {
		return nil, err
	}
	cl, err := c.store.Client(ec.Request().Context(), id)
	if err != nil {
		return nil, dispatch.E("console.erasure", err)
	}
	d := &erasureData{Client: cl, Erased: cl.Phone == dispatch.ClientPlaceholderPhone(cl.ID)}
	return c.Page(ec, "clients", "erasure.title", d), nil
}

func (c *Console) erasurePage(ec echo.Context) error {
	p, err := c.erasureView(ec)
	if err != nil {
		return err
	}
	if ec.QueryParam("done") != "" {
		p.Flash = p.T("erasure.done")
	}
	return c.Render(ec, http.StatusOK, "erasure", p)
}

// erase carries out the request; a client with an open ticket is refused
// (409) with the store's message naming the ticket.
func (c *Console) erase(ec echo.Context) error {
	const op = "console.erase"
	p, err := c.erasureView(ec)
	if err != nil {
		return err
	}
	d := p.Data.(*erasureData)
	if ec.FormValue("confirm") != "yes" {
		p.Error = p.T("erasure.must_confirm")
		return c.Render(ec, http.StatusBadRequest, "erasure", p)
	}
	actor := dispatch.Actor("user:" + sessionOf(ec).User.Name)
	if err := c.opts.Records.Retention.Erase(ec.Request().Context(), d.Client.ID, actor); err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
			return dispatch.E(op, err)
		}
		p.Error = dispatch.ErrorMessage(err)
		return c.Render(ec, statusOf(dispatch.ErrorCode(err)), "erasure", p)
	}
	return ec.Redirect(http.StatusSeeOther, "/console/clients/"+strconv.FormatInt(d.Client.ID, 10)+"/erase?done=1")
}
