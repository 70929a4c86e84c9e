package console

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// scope is the centres the logged-in user's lists show (dispatch.ScopeFor):
// a centre's dispatcher sees their centre and the unrouted tickets;
// coordinators, admins and users of no centre see every centre, or the one
// they chose with ?centre=.
func (c *Console) scope(ec echo.Context) (dispatch.CentreScope, error) {
	mine, err := c.centreOf(ec)
	if err != nil {
		return dispatch.CentreScope{}, err
	}
	chosen, err := strconv.ParseInt(ec.QueryParam("centre"), 10, 64)
	if err != nil || chosen < 0 {
		chosen = 0 // no choice, or a mangled one: every centre
	}
	return dispatch.ScopeFor(sessionOf(ec).User.Role, mine, chosen), nil
}

// centrePick is what a list page's centre filter offers: nothing for a
// user bound to a centre, else every centre with the chosen one marked.
type centrePick struct {
	Centres []centreOption
	Chosen  int64
	// Mine is the name of a bound user's centre, shown instead of a choice.
	Mine string
}

type centreOption struct {
	ID   int64
	Name string
}

// centrePicks fills the centre filter of a page for scope s.
func (c *Console) centrePicks(ec echo.Context, s dispatch.CentreScope) (centrePick, error) {
	cs, err := dispatch.ListCentres(ec.Request().Context(), c.store)
	if err != nil {
		return centrePick{}, err
	}
	lang := c.lang(ec)
	out := centrePick{Chosen: s.Centre}
	if s.Unrouted {
		for _, x := range cs {
			if x.ID == s.Centre {
				out.Mine = x.Name(lang)
			}
		}
		return out, nil
	}
	for _, x := range cs {
		out.Centres = append(out.Centres, centreOption{ID: x.ID, Name: x.Name(lang)})
	}
	return out, nil
}
