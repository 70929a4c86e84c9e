package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func (c *Console) registerClients(g *echo.Group) {
	g.GET("/clients", c.clientsPage, c.require(viewPage))
	g.GET("/clients/:id", c.clientPage, c.require(viewPage))
	g.POST("/clients/:id", c.updateClient, c.require(actPage))
}

type clientsData struct {
	Clients []*dispatch.Client
	Query   string
	Page    listPage
}

func (c *Console) clientsPage(ec echo.Context) error {
	d := clientsData{Query: strings.TrimSpace(ec.QueryParam("q"))}
	offset, _ := strconv.Atoi(ec.QueryParam("offset"))
	f := dispatch.ClientFilter{Query: d.Query, Limit: pageSize, Offset: max(0, offset)}
	cs, total, err := c.store.Clients(ec.Request().Context(), f)
	if err != nil {
		return dispatch.E("console.clients", err)
	}
	d.Clients = cs
	d.Page = pager(ec.Request().URL, f.Offset, len(cs), total)
	return c.Render(ec, http.StatusOK, "clients", c.Page(ec, "clients", "clients.title", d))
}

type clientData struct {
	Client  *dispatch.Client
	Tickets []*dispatch.Ticket
	Needs   []dispatch.Need
	Langs   []dispatch.Lang
	Form    url.Values
}

// Value is a typed form value, else the client's.
func (d *clientData) Value(key string) string {
	if d.Form != nil {
		return d.Form.Get(key)
	}
	cl := d.Client
	switch key {
	case "name":
		return cl.Name
	case "address":
		return cl.Address
	case "notes":
		return cl.Notes
	case "language":
		return string(cl.Lang)
	case "lat":
		if cl.Location != nil {
			return strconv.FormatFloat(cl.Location.Lat, 'f', -1, 64)
		}
	case "lon":
		if cl.Location != nil {
			return strconv.FormatFloat(cl.Location.Lon, 'f', -1, 64)
		}
	}
	return ""
}

// HasNeed reports whether the need is ticked.
func (d *clientData) HasNeed(n string) bool {
	if d.Form != nil {
		for _, x := range d.Form["needs"] {
			if x == n {
				return true
			}
		}
		return false
	}
	for _, x := range d.Client.Needs {
		if string(x) == n {
			return true
		}
	}
	return false
}

var allNeeds = []dispatch.Need{dispatch.NeedWheelchair, dispatch.NeedBlind, dispatch.NeedDeaf, dispatch.NeedSpeech, dispatch.NeedElderly}

func (c *Console) clientPage(ec echo.Context) error { return c.showClient(ec, http.StatusOK, "", nil) }

func (c *Console) showClient(ec echo.Context, status int, errMsg string, form url.Values) error {
	const op = "console.client"
	ctx := ec.Request().Context()
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	cl, err := c.store.Client(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	d := &clientData{Client: cl, Needs: allNeeds, Langs: dispatch.Langs, Form: form}
	// A client may have called about places in several centres; a centre's
	// dispatcher sees only the tickets of theirs (and the unrouted).
	scope, err := c.scope(ec)
	if err != nil {
		return dispatch.E(op, err)
	}
	if d.Tickets, _, err = c.store.Tickets(ctx, dispatch.TicketFilter{ClientID: &id, Centre: scope, Limit: 50}); err != nil {
		return dispatch.E(op, err)
	}
	p := c.Page(ec, "clients", "clients.client", d)
	if cl.Name != "" {
		p.Title = cl.Name
	}
	p.Error = errMsg
	if ec.QueryParam("done") == "saved" && errMsg == "" {
		p.Flash = p.T("volunteer.done_saved")
	}
	return c.Render(ec, status, "client", p)
}

func (c *Console) updateClient(ec echo.Context) error {
	const op = "console.updateClient"
	ctx := ec.Request().Context()
	id, err := idParam(ec, "id")
	if err != nil {
		return err
	}
	cl, err := c.store.Client(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	form, _ := ec.FormParams()
	err = clientForm(form, cl)
	if err == nil {
		err = c.store.UpdateClient(ctx, cl)
	}
	if err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
			return dispatch.E(op, err)
		}
		return c.showClient(ec, statusOf(dispatch.ErrorCode(err)), dispatch.ErrorMessage(err), form)
	}
	return ec.Redirect(http.StatusSeeOther, "/console/clients/"+strconv.FormatInt(id, 10)+"?done=saved")
}

func clientForm(f url.Values, cl *dispatch.Client) error {
	cl.Name = strings.TrimSpace(f.Get("name"))
	cl.Address = strings.TrimSpace(f.Get("address"))
	cl.Notes = strings.TrimSpace(f.Get("notes"))
	l, err := dispatch.ParseLang(f.Get("language"))
	if err != nil {
		return err
	}
	cl.Lang = l
	cl.Needs = nil
	for _, n := range f["needs"] {
		ok := false
		for _, k := range allNeeds {
			ok = ok || string(k) == n
		}
		if !ok {
			return dispatch.Errorf(dispatch.EINVALID, "needs: %q is not a known need", n)
		}
		cl.Needs = append(cl.Needs, dispatch.Need(n))
	}
	cl.Location, err = parseLocation(f.Get("lat"), f.Get("lon"))
	return err
}
