package api

import (
	"net/http"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// clientJSON is a person who asks for help.
type clientJSON struct {
	ID        int64              `json:"id"`
	Phone     string             `json:"phone"`
	Name      string             `json:"name"`
	Lang      dispatch.Lang      `json:"language"`
	Location  *dispatch.Location `json:"location"`
	Address   string             `json:"address"`
	Needs     []dispatch.Need    `json:"needs"`
	Notes     string             `json:"notes"`
	OptedOut  bool               `json:"opted_out"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
}

func clientOut(c *dispatch.Client) clientJSON {
	out := clientJSON{ID: c.ID, Phone: c.Phone, Name: c.Name, Lang: c.Lang, Location: c.Location, Address: c.Address,
		Needs: c.Needs, Notes: c.Notes, OptedOut: c.OptedOut, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if out.Needs == nil {
		out.Needs = []dispatch.Need{}
	}
	return out
}

// clientIn is the body of POST, PUT and PATCH, as volunteerIn.
type clientIn struct {
	Phone    *string   `json:"phone"`
	Name     *string   `json:"name"`
	Lang     *string   `json:"language"`
	Location location  `json:"location"`
	Address  *string   `json:"address"`
	Needs    *[]string `json:"needs"`
	Notes    *string   `json:"notes"`
}

func (a *API) applyClient(cl *dispatch.Client, in clientIn, whole bool) error {
	if whole {
		*cl = dispatch.Client{ID: cl.ID, Lang: dispatch.LangRU, Needs: []dispatch.Need{}, OptedOut: cl.OptedOut, CreatedAt: cl.CreatedAt}
		if in.Phone == nil {
			return invalidField("phone is required")
		}
	}
	var err error
	if in.Phone != nil {
		if cl.Phone, err = a.phone(*in.Phone); err != nil {
			return err
		}
	}
	if in.Name != nil {
		if cl.Name, err = text("name", *in.Name, 200, false); err != nil {
			return err
		}
	}
	if in.Lang != nil {
		l, err := lang("language", *in.Lang)
		if err != nil {
			return err
		}
		if l != "" {
			cl.Lang = l
		}
	}
	if in.Location.Set {
		if err := in.Location.check(); err != nil {
			return err
		}
		cl.Location = in.Location.Value
	}
	if in.Address != nil {
		if cl.Address, err = text("address", *in.Address, 500, false); err != nil {
			return err
		}
	}
	if in.Needs != nil {
		if cl.Needs, err = needs(*in.Needs); err != nil {
			return err
		}
	}
	if in.Notes != nil {
		if cl.Notes, err = text("notes", *in.Notes, 4000, false); err != nil {
			return err
		}
	}
	return nil
}

func (a *API) listClients(c echo.Context) error {
	const op = "api.listClients"
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	cs, total, err := a.store.Clients(c.Request().Context(), dispatch.ClientFilter{Query: c.QueryParam("q"), Limit: limit, Offset: offset})
	if err != nil {
		return dispatch.E(op, err)
	}
	out := list[clientJSON]{Items: []clientJSON{}, Total: total, Limit: limit, Offset: offset}
	for _, cl := range cs {
		out.Items = append(out.Items, clientOut(cl))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getClient(c echo.Context) error {
	const op = "api.getClient"
	id, err := pathID(c, "client")
	if err != nil {
		return err
	}
	cl, err := a.store.Client(c.Request().Context(), id)
	if err != nil {
		return dispatch.E(op, err)
	}
	return c.JSON(http.StatusOK, clientOut(cl))
}

func (a *API) createClient(c echo.Context) error {
	const op = "api.createClient"
	var in clientIn
	if err := decode(c, &in, false); err != nil {
		return err
	}
	cl := &dispatch.Client{}
	if err := a.applyClient(cl, in, true); err != nil {
		return unprocessable(op, err)
	}
	if err := a.store.CreateClient(c.Request().Context(), cl); err != nil {
		return dispatch.E(op, err)
	}
	return c.JSON(http.StatusCreated, clientOut(cl))
}

func (a *API) replaceClient(c echo.Context) error { return a.updateClient(c, true) }
func (a *API) patchClient(c echo.Context) error   { return a.updateClient(c, false) }

func (a *API) updateClient(c echo.Context, whole bool) error {
	const op = "api.updateClient"
	id, err := pathID(c, "client")
	if err != nil {
		return err
	}
	var in clientIn
	if err := decode(c, &in, false); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var cl *dispatch.Client
	err = a.store.InTx(ctx, func(r dispatch.Repo) error {
		var err error
		if cl, err = r.Client(ctx, id); err != nil {
			return err
		}
		if err := a.applyClient(cl, in, whole); err != nil {
			return err
		}
		return r.UpdateClient(ctx, cl)
	})
	if err != nil {
		return unprocessable(op, err)
	}
	return c.JSON(http.StatusOK, clientOut(cl))
}
