package api

import (
	"net/http"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// volunteerJSON is a volunteer as partners see it: the contract's fields
// first, then what the service adds.
type volunteerJSON struct {
	ID          int64              `json:"id"`
	Name        string             `json:"name"`
	Phone       string             `json:"phone"`
	Languages   []dispatch.Lang    `json:"languages"`
	Skills      []dispatch.Skill   `json:"skills"`
	Location    *dispatch.Location `json:"location"`
	Available   bool               `json:"available"`
	MaxTasks    int                `json:"max_tasks"`
	OptedOut    bool               `json:"opted_out"`
	Windows     []dispatch.Window  `json:"windows"`
	ActiveTasks int                `json:"active_tasks"`
	CreatedAt   time.Time          `json:"created_at"`
	UpdatedAt   time.Time          `json:"updated_at"`
}

func volunteerOut(v *dispatch.Volunteer) volunteerJSON {
	out := volunteerJSON{ID: v.ID, Name: v.Name, Phone: v.Phone, Languages: v.Languages, Skills: v.Skills,
		Location: v.Location, Available: v.Available, MaxTasks: v.MaxTasks, OptedOut: v.OptedOut,
		Windows: v.Windows, ActiveTasks: v.ActiveTasks, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	if out.Languages == nil {
		out.Languages = []dispatch.Lang{}
	}
	if out.Skills == nil {
		out.Skills = []dispatch.Skill{}
	}
	if out.Windows == nil {
		out.Windows = []dispatch.Window{}
	}
	return out
}

// volunteerIn is the body of POST, PUT and PATCH. Absent fields are nil:
// POST and PUT give them their defaults, PATCH leaves them as they are.
type volunteerIn struct {
	Name      *string            `json:"name"`
	Phone     *string            `json:"phone"`
	Languages *[]string          `json:"languages"`
	Skills    *[]string          `json:"skills"`
	Location  location           `json:"location"`
	Available *bool              `json:"available"`
	MaxTasks  *int               `json:"max_tasks"`
	Windows   *[]dispatch.Window `json:"windows"`
}

// apply writes in onto v. With whole (POST, PUT) every field is set, absent
// ones to their defaults; otherwise only the fields present.
func (a *API) applyVolunteer(v *dispatch.Volunteer, in volunteerIn, whole bool) error {
	if whole {
		def := dispatch.Volunteer{ID: v.ID, Languages: []dispatch.Lang{dispatch.LangRU}, Skills: []dispatch.Skill{},
			Available: true, MaxTasks: 1, OptedOut: v.OptedOut, CreatedAt: v.CreatedAt}
		*v = def
		if in.Name == nil {
			return invalidField("name is required")
		}
		if in.Phone == nil {
			return invalidField("phone is required")
		}
	}
	var err error
	if in.Name != nil {
		if v.Name, err = text("name", *in.Name, 200, true); err != nil {
			return err
		}
	}
	if in.Phone != nil {
		if v.Phone, err = a.phone(*in.Phone); err != nil {
			return err
		}
	}
	if in.Languages != nil {
		if v.Languages, err = langs(*in.Languages); err != nil {
			return err
		}
		if len(v.Languages) == 0 {
			return invalidField("languages needs at least one of kk, ru, en")
		}
	}
	if in.Skills != nil {
		if v.Skills, err = skills("skills", *in.Skills); err != nil {
			return err
		}
	}
	if in.Location.Set {
		if err := in.Location.check(); err != nil {
			return err
		}
		v.Location = in.Location.Value
	}
	if in.Available != nil {
		v.Available = *in.Available
	}
	if in.MaxTasks != nil {
		if *in.MaxTasks < 1 || *in.MaxTasks > 20 {
			return invalidField("max_tasks must be from 1 to 20, not %d", *in.MaxTasks)
		}
		v.MaxTasks = *in.MaxTasks
	}
	if in.Windows != nil {
		for i, w := range *in.Windows {
			if w.Day < 0 || w.Day > 6 || w.Start < 0 || w.End > 24*60 || w.Start >= w.End {
				return invalidField("windows[%d]: day must be 0 (Sunday) to 6 and 0 <= start < end <= 1440 minutes", i)
			}
		}
		v.Windows = *in.Windows
	}
	return nil
}

func (a *API) listVolunteers(c echo.Context) error {
	const op = "api.listVolunteers"
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	f := dispatch.VolunteerFilter{Query: c.QueryParam("q"), Limit: limit, Offset: offset}
	if s := c.QueryParam("skill"); s != "" {
		if f.Skill = dispatch.Skill(s); !f.Skill.Valid() {
			return dispatch.Errorf(dispatch.EINVALID, "query parameter skill=%q is not one of wheelchair, sign_language, car, medical", s)
		}
	}
	if s := c.QueryParam("language"); s != "" {
		if f.Lang, err = dispatch.ParseLang(s); err != nil {
			return dispatch.Errorf(dispatch.EINVALID, "query parameter language=%q is not one of kk, ru, en", s)
		}
	}
	if f.Available, err = queryBool(c, "available"); err != nil {
		return err
	}
	vs, total, err := a.store.Volunteers(c.Request().Context(), f)
	if err != nil {
		return dispatch.E(op, err)
	}
	out := list[volunteerJSON]{Items: []volunteerJSON{}, Total: total, Limit: limit, Offset: offset}
	for _, v := range vs {
		out.Items = append(out.Items, volunteerOut(v))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getVolunteer(c echo.Context) error {
	const op = "api.getVolunteer"
	id, err := pathID(c, "volunteer")
	if err != nil {
		return err
	}
	v, err := a.store.Volunteer(c.Request().Context(), id)
	if err != nil {
		return dispatch.E(op, err)
	}
	return c.JSON(http.StatusOK, volunteerOut(v))
}

func (a *API) createVolunteer(c echo.Context) error {
	const op = "api.createVolunteer"
	var in volunteerIn
	if err := decode(c, &in, false); err != nil {
		return err
	}
	v := &dispatch.Volunteer{}
	if err := a.applyVolunteer(v, in, true); err != nil {
		return unprocessable(op, err)
	}
	ctx := c.Request().Context()
	if err := a.store.CreateVolunteer(ctx, v); err != nil {
		return dispatch.E(op, err)
	}
	return a.reindexed(c, op, v.ID, http.StatusCreated)
}

func (a *API) replaceVolunteer(c echo.Context) error { return a.updateVolunteer(c, true) }
func (a *API) patchVolunteer(c echo.Context) error   { return a.updateVolunteer(c, false) }

func (a *API) updateVolunteer(c echo.Context, whole bool) error {
	const op = "api.updateVolunteer"
	id, err := pathID(c, "volunteer")
	if err != nil {
		return err
	}
	var in volunteerIn
	if err := decode(c, &in, false); err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = a.store.InTx(ctx, func(r dispatch.Repo) error {
		v, err := r.Volunteer(ctx, id)
		if err != nil {
			return err
		}
		if err := a.applyVolunteer(v, in, whole); err != nil {
			return err
		}
		if err := dispatch.CheckAvailable(v); err != nil {
			return err
		}
		return r.UpdateVolunteer(ctx, v)
	})
	if err != nil {
		return unprocessable(op, err)
	}
	return a.reindexed(c, op, id, http.StatusOK)
}

// reindexed has the engine look at the volunteer again (SetAvailable with
// the stored value refreshes the geo index: a new location, a resumed
// volunteer) and answers with the volunteer as stored.
func (a *API) reindexed(c echo.Context, op string, id int64, status int) error {
	ctx := c.Request().Context()
	v, err := a.store.Volunteer(ctx, id)
	if err != nil {
		return dispatch.E(op, err)
	}
	if err := a.assign.SetAvailable(ctx, id, v.Available, actor(c)); err != nil {
		return dispatch.E(op, err)
	}
	return c.JSON(status, volunteerOut(v))
}

func (a *API) pauseVolunteer(c echo.Context) error  { return a.setAvailable(c, false) }
func (a *API) resumeVolunteer(c echo.Context) error { return a.setAvailable(c, true) }

func (a *API) setAvailable(c echo.Context, available bool) error {
	const op = "api.setAvailable"
	id, err := pathID(c, "volunteer")
	if err != nil {
		return err
	}
	if err := a.assign.SetAvailable(c.Request().Context(), id, available, actor(c)); err != nil {
		return dispatch.E(op, err)
	}
	v, err := a.store.Volunteer(c.Request().Context(), id)
	if err != nil {
		return dispatch.E(op, err)
	}
	return c.JSON(http.StatusOK, volunteerOut(v))
}
