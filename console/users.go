package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Administrators manage console accounts here; `dispatcher user add` does
// the same from the command line.
func (c *Console) registerUsers(g *echo.Group) {
	g.GET("/users", c.usersPage, c.require(adminPg))
	g.POST("/users", c.createUser, c.require(adminPg))
}

type usersData struct {
	Users []*dispatch.User
	Roles []dispatch.Role
	Name  string
	Role  string
}

func (c *Console) usersPage(ec echo.Context) error {
	return c.showUsers(ec, http.StatusOK, "", &usersData{Role: string(dispatch.RoleDispatcher)})
}

func (c *Console) showUsers(ec echo.Context, status int, errMsg string, d *usersData) error {
	d.Roles = []dispatch.Role{dispatch.RoleViewer, dispatch.RoleDispatcher, dispatch.RoleAdmin}
	if ul, ok := c.store.(dispatch.UserLister); ok {
		us, err := ul.Users(ec.Request().Context())
		if err != nil {
			return dispatch.E("console.users", err)
		}
		d.Users = us
	}
	p := c.Page(ec, "users", "users.title", d)
	p.Error = errMsg
	if ec.QueryParam("done") == "created" && errMsg == "" {
		p.Flash = p.T("users.created")
	}
	return c.Render(ec, status, "users", p)
}

func (c *Console) createUser(ec echo.Context) error {
	d := &usersData{Name: strings.TrimSpace(ec.FormValue("name")), Role: ec.FormValue("role")}
	err := func() error {
		if d.Name == "" {
			return dispatch.Errorf(dispatch.EINVALID, "name: the user name is empty")
		}
		role, err := dispatch.ParseRole(d.Role)
		if err != nil {
			return err
		}
		pw := ec.FormValue("password")
		if pw != ec.FormValue("password2") {
			return dispatch.Errorf(dispatch.EINVALID, "password: the two passwords differ")
		}
		h, err := HashPassword(pw)
		if err != nil {
			return err
		}
		return c.store.CreateUser(ec.Request().Context(), &dispatch.User{Name: d.Name, Role: role, PasswordHash: h})
	}()
	if err != nil {
		if code := dispatch.ErrorCode(err); code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
			return dispatch.E("console.createUser", err)
		}
		return c.showUsers(ec, statusOf(dispatch.ErrorCode(err)), dispatch.ErrorMessage(err), d)
	}
	c.log.InfoContext(ec.Request().Context(), "console: user created", "user", d.Name, "role", d.Role, "by", string(actor(ec)))
	return ec.Redirect(http.StatusSeeOther, "/console/users?done=created")
}
