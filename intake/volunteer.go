package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// VolunteerSignups is the registry the public sign-up form writes to
// (*dispatch.Signups is one).
type VolunteerSignups interface {
	// Districts lists the centres' districts to choose from.
	Districts(ctx context.Context) ([]dispatch.Area, error)
	// SignUp makes a pending volunteer; a known phone changes nothing and
	// is no error, so the answer never tells whose number is registered.
	SignUp(ctx context.Context, w dispatch.WebSignup) error
}

// districtUnsure is the district choice "not sure": a dispatcher asks.
const districtUnsure = "unsure"

// volunteerForm is the public volunteer sign-up form, GET and POST
// /volunteer: the request form's layout, CSRF defence, honeypot, rate
// limit and language switch, without JavaScript.
type volunteerForm struct {
	tmpl  *template.Template
	texts map[dispatch.Lang]map[string]string
}

func loadVolunteerForm(fsys fs.FS) (*volunteerForm, error) {
	tmpl, err := template.ParseFS(fsys, "web/volunteer.html")
	if err != nil {
		return nil, fmt.Errorf("volunteer form template: %w", err)
	}
	f := &volunteerForm{tmpl: tmpl}
	b, err := fs.ReadFile(fsys, "web/volunteer.json")
	if err != nil {
		return nil, fmt.Errorf("volunteer form texts: %w", err)
	}
	if err := json.Unmarshal(b, &f.texts); err != nil {
		return nil, fmt.Errorf("volunteer form texts web/volunteer.json: %w", err)
	}
	want := strings.Join(sortedKeys(f.texts[dispatch.Langs[0]]), ",")
	for _, l := range dispatch.Langs {
		if got := strings.Join(sortedKeys(f.texts[l]), ","); len(f.texts[l]) == 0 || got != want {
			return nil, fmt.Errorf("volunteer form texts web/volunteer.json: %s's keys differ from %s's", l, dispatch.Langs[0])
		}
	}
	return f, nil
}

// volunteerValues are what the person typed, shown again on every
// re-render.
type volunteerValues struct {
	Name, Phone, District, Notes string
	Languages, Skills            []string
	Consent                      bool
}

type volunteerPage struct {
	Lang dispatch.Lang
	T    map[string]string
	V    volunteerValues
	pageErrors
	CSRF      string
	Switch    []langButton
	Districts []districtChoice
	Languages []choice
	Skills    []choice
	Done      bool
}

// districtChoice is an option of the district list; Lang is set when the
// name could not be given in the page's language (a screen reader then
// reads it as Russian).
type districtChoice struct {
	Value, Label, Lang string
	Selected           bool
}

func (p *volunteerPage) fail(field, key string) {
	target := field
	if field == "languages" {
		target = "language-" + string(dispatch.Langs[0])
	}
	p.add(field, target, p.T[key])
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (h *Handler) volunteerPage(lang dispatch.Lang, v volunteerValues, areas []dispatch.Area, csrf string) *volunteerPage {
	t := h.volunteer.texts[lang]
	p := &volunteerPage{Lang: lang, T: t, V: v, pageErrors: pageErrors{Err: map[string]string{}}, CSRF: csrf}
	for _, l := range dispatch.Langs {
		p.Switch = append(p.Switch, langButton{Code: string(l), Name: h.volunteer.texts[l]["lang_name"], Current: l == lang})
		p.Languages = append(p.Languages, choice{Value: string(l), Label: t["language_"+string(l)], Checked: has(v.Languages, string(l))})
	}
	seen := map[string]bool{}
	for _, a := range areas {
		if seen[a.District] {
			continue
		}
		seen[a.District] = true
		d := districtChoice{Value: a.District, Label: dispatch.DistrictName(a.District, lang), Selected: v.District == a.District}
		if d.Label == a.District && lang != dispatch.LangRU {
			d.Lang = string(dispatch.LangRU)
		}
		p.Districts = append(p.Districts, d)
	}
	for _, s := range dispatch.Skills {
		p.Skills = append(p.Skills, choice{Value: string(s), Label: t["skill_"+string(s)], Checked: has(v.Skills, string(s))})
	}
	return p
}

func (h *Handler) renderVolunteer(c echo.Context, status int, p *volunteerPage) error {
	return writePage(c, h.volunteer.tmpl, status, p.Lang, p)
}

// districts are the centres' districts; without them (the database is
// down) the form still offers "not sure" rather than failing.
func (h *Handler) districts(ctx context.Context) []dispatch.Area {
	areas, err := h.opts.Signups.Districts(ctx)
	if err != nil {
		h.log.Warn("intake: volunteer form without the district list", "err", err)
		return nil
	}
	return areas
}

func (h *Handler) volunteerGet(c echo.Context) error {
	ctx := c.Request().Context()
	return h.renderVolunteer(c, http.StatusOK,
		h.volunteerPage(formLang(c), volunteerValues{}, h.districts(ctx), h.csrfToken(c, volunteerCSRF)))
}

func readVolunteer(c echo.Context) volunteerValues {
	f := c.Request().PostForm
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	return volunteerValues{Name: get("name"), Phone: get("phone"), District: get("district"), Notes: get("notes"),
		Languages: f["languages"], Skills: f["skills"], Consent: get("consent") == "yes"}
}

// volunteerPost signs the volunteer up, or shows the form again with every
// typed value and the errors summarised at the top. Whether the phone was
// known before is not shown: the thank-you page is the same.
func (h *Handler) volunteerPost(c echo.Context) error {
	ctx := c.Request().Context()
	v := readVolunteer(c)
	lang, switching := postLang(c)
	csrfOK := h.checkCSRF(c, volunteerCSRF)
	areas := h.districts(ctx)
	p := h.volunteerPage(lang, v, areas, h.csrfToken(c, volunteerCSRF))
	switch {
	case switching:
		return h.renderVolunteer(c, http.StatusOK, p) // nothing is stored: no harm without a token
	case !csrfOK:
		p.fail("", "err_csrf")
		return h.renderVolunteer(c, http.StatusForbidden, p)
	case c.FormValue("website") != "":
		// The honeypot: only a robot fills a field nobody can see.
		p.fail("", "err_generic")
		return h.renderVolunteer(c, http.StatusUnprocessableEntity, p)
	}
	w, ok := h.validateVolunteer(p, v, areas)
	if !ok {
		return h.renderVolunteer(c, http.StatusUnprocessableEntity, p)
	}
	if !h.allowPost(c, "volunteer") {
		p.fail("", "err_rate")
		return h.renderVolunteer(c, http.StatusTooManyRequests, p)
	}
	if err := h.opts.Signups.SignUp(ctx, w); err != nil {
		status := statusOf(err)
		if status >= 500 {
			h.log.Error("intake: volunteer sign-up not saved", "err", err)
		}
		p.fail("", "err_generic")
		return h.renderVolunteer(c, status, p)
	}
	p.Done = true
	return h.renderVolunteer(c, http.StatusOK, p)
}

// validateVolunteer checks the form in field order and builds the sign-up.
func (h *Handler) validateVolunteer(p *volunteerPage, v volunteerValues, areas []dispatch.Area) (dispatch.WebSignup, bool) {
	w := dispatch.WebSignup{Name: v.Name, Lang: p.Lang, Notes: v.Notes}
	switch n := utf8.RuneCountInString(v.Name); {
	case n == 0:
		p.fail("name", "err_name")
	case n > dispatch.SignupNameMax:
		p.fail("name", "err_name_long")
	}
	switch phone, err := h.opts.Phones.Normalize(v.Phone); {
	case v.Phone == "":
		p.fail("phone", "err_phone_required")
	case err != nil:
		p.fail("phone", "err_phone_invalid")
	default:
		w.Phone = phone
	}
	switch _, known := dispatch.AreaNamed(areas, v.District); {
	case v.District == districtUnsure:
	case v.District != "" && known:
		w.District = v.District
	default:
		p.fail("district", "err_district")
	}
	for _, l := range dispatch.Langs {
		if has(v.Languages, string(l)) {
			w.Languages = append(w.Languages, l)
		}
	}
	if len(w.Languages) == 0 {
		p.fail("languages", "err_languages")
	}
	for _, s := range dispatch.Skills {
		if has(v.Skills, string(s)) {
			w.Skills = append(w.Skills, s)
		}
	}
	if utf8.RuneCountInString(v.Notes) > dispatch.SignupNotesMax {
		p.fail("notes", "err_notes")
	}
	if !v.Consent {
		p.fail("consent", "err_consent")
	}
	return w, len(p.Errors) == 0
}
