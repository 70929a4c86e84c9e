package console

import (
	"context"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// A dispatcher of a centre sees that centre's volunteers and those of no
// centre (whose home is in no district: matching offers them every
// centre's tickets, so every centre must be able to reach them), as they
// see their centre's tickets and the unrouted ones. Coordinators, admins
// and users of no centre see all, and may filter the list by centre.

// seesVolunteer reports whether the logged-in user sees v.
func (c *Console) seesVolunteer(ec echo.Context, v *dispatch.Volunteer) (bool, error) {
	mine, err := c.centreOf(ec)
	if err != nil {
		return false, err
	}
	return dispatch.SeesCentre(sessionOf(ec).User.Role, mine, v.CentreID), nil
}

// visibleVolunteer loads volunteer id, answering ENOTFOUND, as for one
// who does not exist, when the volunteer belongs to a centre the user does
// not see: a dispatcher must not learn of another centre's volunteers.
func (c *Console) visibleVolunteer(ec echo.Context, op string, id int64) (*dispatch.Volunteer, error) {
	v, err := c.store.Volunteer(ec.Request().Context(), id)
	if err != nil {
		return nil, dispatch.E(op, err)
	}
	ok, err := c.seesVolunteer(ec, v)
	if err != nil {
		return nil, dispatch.E(op, err)
	}
	if !ok {
		return nil, dispatch.E(op, dispatch.Errorf(dispatch.ENOTFOUND, "volunteer %d not found", id))
	}
	return v, nil
}

// seeVolunteer is visibleVolunteer for the handlers that load the
// volunteer themselves.
func (c *Console) seeVolunteer(ec echo.Context, id int64) error {
	_, err := c.visibleVolunteer(ec, "console.seeVolunteer", id)
	return err
}

// scopeVolunteers limits f to the volunteers the user sees. A user who
// sees every centre may pick one with ?centre=ID, or ?centre=none for the
// volunteers of no centre; the value picked is returned for the form.
func (c *Console) scopeVolunteers(ec echo.Context, f *dispatch.VolunteerFilter) (string, error) {
	mine, err := c.centreOf(ec)
	if err != nil {
		return "", err
	}
	if mine != 0 { // centreOf is 0 for those who see every centre
		f.CentreID, f.NoCentre = mine, true
		return "", nil
	}
	switch q := ec.QueryParam("centre"); q {
	case "":
		return "", nil
	case "none":
		f.NoCentre = true
		return q, nil
	default:
		id, err := strconv.ParseInt(q, 10, 64)
		if err != nil || id <= 0 {
			return "", dispatch.Errorf(dispatch.EINVALID, "centre: %q is not a centre", q)
		}
		f.CentreID = id
		return q, nil
	}
}

// centreKeys maps every centre's ID to its key, for the export.
func (c *Console) centreKeys(ctx context.Context) (map[int64]string, error) {
	out := map[int64]string{}
	err := c.store.InTx(ctx, func(r dispatch.Repo) error {
		cr, err := dispatch.AsCentreRepo(r)
		if err != nil {
			return nil // a store without centres: an empty column
		}
		areas, err := cr.CentreAreas(ctx)
		for _, a := range areas {
			out[a.CentreID] = a.Centre
		}
		return err
	})
	return out, err
}

// centreChoice is a centre in the list filter.
type centreChoice struct {
	ID  int64
	Key string
}

// centreChoices lists the centres for the filter of a user who sees them
// all; nil for a user of one centre, who has nothing to choose.
func (c *Console) centreChoices(ctx context.Context, ec echo.Context) ([]centreChoice, error) {
	mine, err := c.centreOf(ec)
	if err != nil || mine != 0 {
		return nil, err
	}
	var areas []dispatch.Area
	err = c.store.InTx(ctx, func(r dispatch.Repo) error {
		cr, err := dispatch.AsCentreRepo(r)
		if err != nil {
			return nil // a store without centres: no filter
		}
		areas, err = cr.CentreAreas(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []centreChoice
	for _, a := range areas {
		if !seen[a.CentreID] {
			seen[a.CentreID] = true
			out = append(out, centreChoice{ID: a.CentreID, Key: a.Centre})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
