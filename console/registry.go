package console

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// pendingLimit bounds the sign-ups shown at once; approving some brings
// the next ones up.
const pendingLimit = 200

// pendingRow is a pending volunteer with what their sign-up (by SMS or the
// public form) recorded (nil for a volunteer who came otherwise).
type pendingRow struct {
	Volunteer *dispatch.Volunteer
	Signup    *dispatch.Signup
}

// ConsentAt is when the volunteer consented, if the sign-up recorded it.
func (r pendingRow) ConsentAt() *time.Time {
	if r.Signup == nil {
		return nil
	}
	return r.Signup.ConsentAt
}

// District is the district the volunteer named.
func (r pendingRow) District() string {
	if r.Signup == nil {
		return ""
	}
	return r.Signup.District
}

// Notes are when the volunteer said they can help (the public form).
func (r pendingRow) Notes() string {
	if r.Signup == nil {
		return ""
	}
	return r.Signup.Notes
}

func (c *Console) pendingPage(ec echo.Context) error {
	return c.showPending(ec, http.StatusOK, "", ec.QueryParam("done"))
}

func (c *Console) showPending(ec echo.Context, status int, errMsg, done string) error {
	rows, err := c.pending(ec.Request().Context())
	if err != nil {
		return err
	}
	// A centre's dispatcher sees the sign-ups of their centre (and of
	// none), as in the volunteers list.
	seen := rows[:0]
	for _, r := range rows {
		ok, err := c.seesVolunteer(ec, r.Volunteer)
		if err != nil {
			return dispatch.E("console.pending", err)
		}
		if ok {
			seen = append(seen, r)
		}
	}
	rows = seen
	p := c.Page(ec, "pending", "registry.title", rows)
	p.Error = errMsg
	switch done {
	case "approve":
		p.Flash = p.T("registry.approved")
	case "reject":
		p.Flash = p.T("registry.rejected")
	}
	return c.Render(ec, status, "registry", p)
}

// pending lists the waiting volunteers with their sign-ups, read in one
// transaction so that a sign-up matches its volunteer.
func (c *Console) pending(ctx context.Context) ([]pendingRow, error) {
	const op = "console.pending"
	vols, err := c.opts.Signups.Pending(ctx, pendingLimit)
	if err != nil {
		return nil, dispatch.E(op, err)
	}
	rows := make([]pendingRow, len(vols))
	err = c.store.InTx(ctx, func(r dispatch.Repo) error {
		sr := signupRepoOf(r)
		for i, v := range vols {
			rows[i].Volunteer = v
			if sr == nil {
				continue
			}
			su, err := sr.Signup(ctx, v.Phone)
			switch {
			case dispatch.IsCode(err, dispatch.ENOTFOUND):
			case err != nil:
				return err
			default:
				rows[i].Signup = su
			}
		}
		return nil
	})
	return rows, dispatch.E(op, err)
}

// signupRepoOf finds the sign-up store under r's wrappers (the service
// wraps the store to wake the senders), nil if there is none.
func signupRepoOf(r dispatch.Repo) dispatch.SignupRepo {
	for {
		if sr, ok := r.(dispatch.SignupRepo); ok {
			return sr
		}
		u, ok := r.(interface{ Unwrap() dispatch.Repo })
		if !ok {
			return nil
		}
		r = u.Unwrap()
	}
}

// registryStep approves or rejects a pending volunteer.
func (c *Console) registryStep(approve bool) echo.HandlerFunc {
	return func(ec echo.Context) error {
		const op = "console.registryStep"
		id, err := idParam(ec, "id")
		if err != nil {
			return err
		}
		if err := c.seeVolunteer(ec, id); err != nil {
			return err
		}
		ctx := ec.Request().Context()
		done := "reject"
		if approve {
			done = "approve"
			_, err = c.opts.Signups.Approve(ctx, id)
		} else {
			err = c.opts.Signups.Reject(ctx, id)
		}
		if err != nil {
			code := dispatch.ErrorCode(err)
			if code == dispatch.EINTERNAL || code == dispatch.EUNAVAILABLE {
				return dispatch.E(op, err)
			}
			return c.showPending(ec, statusOf(code), dispatch.ErrorMessage(err), "")
		}
		c.log.Info("console: registry", "volunteer", id, "step", done, "by", string(actor(ec)))
		return ec.Redirect(http.StatusSeeOther, "/console/volunteers/pending?done="+done)
	}
}

// volunteersCSV sends every volunteer the user sees (a centre's dispatcher
// their centre's, a coordinator all or the ?centre= picked) in the import
// layout, so that a centre can edit the list in a spreadsheet and import
// it again.
func (c *Console) volunteersCSV(ec echo.Context) error {
	const op = "console.volunteersCSV"
	ctx := ec.Request().Context()
	var scope dispatch.VolunteerFilter
	if _, err := c.scopeVolunteers(ec, &scope); err != nil {
		return err
	}
	var all []*dispatch.Volunteer
	for {
		f := scope
		f.Limit, f.Offset = 500, len(all)
		vs, total, err := c.store.Volunteers(ctx, f)
		if err != nil {
			return dispatch.E(op, err)
		}
		all = append(all, vs...)
		if len(vs) == 0 || len(all) >= total {
			break
		}
	}
	// Into memory first: an error half way must be a clean 500, not a
	// truncated file that looks whole.
	var buf bytes.Buffer
	keys, err := c.centreKeys(ctx)
	if err != nil {
		return dispatch.E(op, err)
	}
	if err := dispatch.WriteVolunteerCSV(&buf, all, keys); err != nil {
		return dispatch.E(op, err)
	}
	h := ec.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="volunteers-`+c.now().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	return ec.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
