package dispatch

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WebSignup is what the public volunteer form collects.
type WebSignup struct {
	Name  string
	Phone string // E.164: the form normalises it
	// Lang is the page's language: the confirmation's and, when
	// Languages is empty, the one the volunteer is taken to speak.
	Lang Lang
	// District is a centre's district as CentreAreas names it, or "" for
	// "not sure".
	District  string
	Languages []Lang
	Skills    []Skill
	Notes     string // when they can help, free text
}

// Limits of the form's free text, checked here as well as by the form.
const (
	SignupNameMax  = 100
	SignupNotesMax = 1000
)

// errSignupExists ends, without a change, a sign-up whose phone is known.
var errSignupExists = Errorf(ECONFLICT, "this phone is a volunteer's or has a sign-up already")

// Districts lists the centres' districts a volunteer can choose.
func (s *Signups) Districts(ctx context.Context) ([]Area, error) {
	const op = "dispatch.Signups.Districts"
	var out []Area
	err := s.store.InTx(ctx, func(r Repo) error {
		cr, err := extension[CentreRepo](op, r)
		if err != nil {
			return err
		}
		out, err = cr.CentreAreas(ctx)
		return err
	})
	return out, E(op, err)
}

// SignUp makes a pending volunteer from the public form, records the
// consent (channel web) and queues the confirmation text in w.Lang, all in
// one transaction: the same end as an SMS sign-up's.
//
// A phone that is a volunteer's already, or has a finished sign-up, changes
// nothing and is no error: the public form must not tell a stranger whose
// number is registered. An SMS sign-up left half-way is replaced.
func (s *Signups) SignUp(ctx context.Context, w WebSignup) error {
	const op = "dispatch.Signups.SignUp"
	if err := w.validate(); err != nil {
		return E(op, err)
	}
	err := s.store.InTx(ctx, func(r Repo) error {
		sr, err := signupRepo(op, r)
		if err != nil {
			return err
		}
		if _, err := r.VolunteerByPhone(ctx, w.Phone); err == nil {
			return errSignupExists
		} else if !IsCode(err, ENOTFOUND) {
			return err
		}
		switch old, err := sr.Signup(ctx, w.Phone); {
		case err == nil && (old.Step == SignupDone || old.VolunteerID != nil):
			return errSignupExists
		case err != nil && !IsCode(err, ENOTFOUND):
			return err
		}
		su := &Signup{Phone: w.Phone, Lang: w.Lang, Step: SignupDone, Name: w.Name,
			Languages: w.Languages, Skills: w.Skills, Notes: w.Notes}
		if w.District != "" {
			if su.District, su.Location, err = s.place(ctx, r, w.District); err != nil {
				return err
			}
		}
		if len(su.Languages) == 0 {
			su.Languages = []Lang{w.Lang}
		}
		if su.Skills == nil {
			su.Skills = []Skill{}
		}
		now := s.opts.Now()
		su.ConsentAt = &now
		v := &Volunteer{Name: su.Name, Phone: su.Phone, Languages: su.Languages, Skills: su.Skills,
			Location: su.Location, Available: false, MaxTasks: 1}
		if err := sr.CreateVolunteer(ctx, v); IsCode(err, ECONFLICT) {
			return errSignupExists // the same phone sent twice at once
		} else if err != nil {
			return err
		}
		su.VolunteerID = &v.ID
		if err := sr.SetRegistry(ctx, v.ID, RegistryPending); err != nil {
			return err
		}
		if err := sr.RecordConsent(ctx, v.ID, now, ChannelWeb); err != nil {
			return err
		}
		if err := sr.SaveSignup(ctx, su); err != nil {
			return err
		}
		return s.reply(ctx, r, "signup:"+strconv.FormatInt(v.ID, 10), v.Phone, "done", w.Lang)
	})
	if err == errSignupExists {
		return nil
	}
	return E(op, err)
}

// place finds the chosen district among the centres' and takes its middle
// for the volunteer's place until a dispatcher sets a better one.
func (s *Signups) place(ctx context.Context, r Repo, district string) (string, *Location, error) {
	cr, err := extension[CentreRepo]("dispatch.Signups.place", r)
	if err != nil {
		return "", nil, err
	}
	areas, err := cr.CentreAreas(ctx)
	if err != nil {
		return "", nil, err
	}
	a, ok := AreaNamed(areas, district)
	if !ok {
		return "", nil, Errorf(EINVALID, "district %q is not one of the centres'", district)
	}
	if l, ok := a.Polygon.Middle(); ok {
		return a.District, &l, nil
	}
	return a.District, nil, nil
}

func (w *WebSignup) validate() error {
	w.Name, w.Notes, w.District = strings.TrimSpace(w.Name), strings.TrimSpace(w.Notes), strings.TrimSpace(w.District)
	switch {
	case w.Name == "" || utf8.RuneCountInString(w.Name) > SignupNameMax:
		return Errorf(EINVALID, "name must be 1 to %d characters", SignupNameMax)
	case w.Phone == "":
		return Errorf(EINVALID, "phone is required")
	case !w.Lang.Valid():
		return Errorf(EINVALID, "language %q is not one of kk, ru, en", w.Lang)
	case utf8.RuneCountInString(w.Notes) > SignupNotesMax:
		return Errorf(EINVALID, "notes must be at most %d characters", SignupNotesMax)
	}
	for _, l := range w.Languages {
		if !l.Valid() {
			return Errorf(EINVALID, "language %q is not one of kk, ru, en", l)
		}
	}
	for _, k := range w.Skills {
		if !k.Valid() {
			return Errorf(EINVALID, "skill %q is not one of wheelchair, sign_language, car, medical", k)
		}
	}
	return nil
}
