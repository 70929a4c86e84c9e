package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// form is the accessible public request form (configs/web/).
type form struct {
	tmpl  *template.Template
	texts map[dispatch.Lang]map[string]string
}

func loadForm(fsys fs.FS) (*form, error) {
	tmpl, err := template.ParseFS(fsys, "web/request.html")
	if err != nil {
		return nil, fmt.Errorf("form template: %w", err)
	}
	for _, asset := range []string{"web/request.css", "web/request.js"} {
		if _, err := fs.Stat(fsys, asset); err != nil {
			return nil, fmt.Errorf("form: %w", err)
		}
	}
	f := &form{tmpl: tmpl, texts: map[dispatch.Lang]map[string]string{}}
	var keys string
	for _, l := range dispatch.Langs {
		b, err := fs.ReadFile(fsys, "web/"+string(l)+".json")
		if err != nil {
			return nil, fmt.Errorf("form texts: %w", err)
		}
		t := map[string]string{}
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("form texts web/%s.json: %w", l, err)
		}
		k := strings.Join(sortedKeys(t), ",")
		if keys == "" {
			keys = k
		} else if k != keys {
			return nil, fmt.Errorf("form texts web/%s.json: keys differ from web/%s.json's", l, dispatch.Langs[0])
		}
		f.texts[l] = t
	}
	return f, nil
}

// formValues are what the person typed, shown again on every re-render.
type formValues struct {
	Phone, Name, Category, Description, Address, Urgency, When, Lat, Lon, Idem string
	Needs                                                                      []string
}

type formError struct{ Field, Text string }

// pageErrors are a form page's errors: each field's own message, shown by
// the field, and the summary at the top in field order, whose links move
// focus to target (a group's first box, where the field is a group).
type pageErrors struct {
	Err    map[string]string
	Errors []formError
}

func (e *pageErrors) add(field, target, text string) {
	if field != "" {
		e.Err[field] = text
	}
	e.Errors = append(e.Errors, formError{Field: target, Text: text})
}

// writePage renders a form page's template with the headers every public
// page carries: not cached (it holds a CSRF token and what was typed), and
// in its language.
func writePage(c echo.Context, tmpl *template.Template, status int, lang dispatch.Lang, p any) error {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "page", p); err != nil {
		return dispatch.E("intake.writePage", err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Content-Language", string(lang))
	return c.HTMLBlob(status, buf.Bytes())
}

type choice struct {
	Value, Label string
	Checked      bool
}

type langButton struct {
	Code, Name string
	Current    bool
}

type ticketView struct {
	Code          string
	NeedsLocation bool
	Consult       bool // a consultant calls back: no volunteer is sought
}

type formPage struct {
	Lang dispatch.Lang
	T    map[string]string
	V    formValues
	pageErrors
	CSRF       string
	Switch     []langButton
	Categories []choice
	Consults   []choice // the consultation topics, offered apart
	Needs      []choice
	Ticket     *ticketView
}

func (h *Handler) page(lang dispatch.Lang, v formValues, csrf string) *formPage {
	t := h.form.texts[lang]
	p := &formPage{Lang: lang, T: t, V: v, pageErrors: pageErrors{Err: map[string]string{}}, CSRF: csrf}
	for _, l := range dispatch.Langs {
		p.Switch = append(p.Switch, langButton{Code: string(l), Name: h.form.texts[l]["lang_name"], Current: l == lang})
	}
	for _, c := range dispatch.Categories {
		p.Categories = append(p.Categories, choice{Value: string(c), Label: t["cat_"+string(c)], Checked: v.Category == string(c)})
	}
	for _, c := range dispatch.ConsultCategories {
		p.Consults = append(p.Consults, choice{Value: string(c), Label: t["cat_"+string(c)], Checked: v.Category == string(c)})
	}
	for _, s := range dispatch.Skills {
		checked := false
		for _, n := range v.Needs {
			checked = checked || n == string(s)
		}
		p.Needs = append(p.Needs, choice{Value: string(s), Label: t["need_"+string(s)], Checked: checked})
	}
	return p
}

func (p *formPage) fail(field, key string) {
	target := field
	if field == "category" {
		target = "category-" + string(dispatch.Categories[0])
	}
	p.add(field, target, p.T[key])
}

func (h *Handler) render(c echo.Context, status int, p *formPage) error {
	return writePage(c, h.form.tmpl, status, p.Lang, p)
}

// formLang is ?lang=, else the form's own field, else Accept-Language.
func formLang(c echo.Context) dispatch.Lang {
	for _, s := range []string{c.QueryParam("lang"), c.Request().PostFormValue("lang")} {
		if l, err := dispatch.ParseLang(s); err == nil && s != "" {
			return l
		}
	}
	return acceptLang(c.Request().Header.Get("Accept-Language"))
}

// acceptLang picks the most wanted of kk, ru, en; ru when none is asked for.
func acceptLang(header string) dispatch.Lang {
	best, bestQ := dispatch.LangRU, -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if l, err := dispatch.ParseLang(primary); err == nil && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// formAsset serves the form's stylesheet and script: files of the service's
// own origin, as the Content-Security-Policy wants them.
func (h *Handler) formAsset(c echo.Context) error {
	types := map[string]string{"request.css": "text/css; charset=utf-8", "request.js": "text/javascript; charset=utf-8"}
	name := c.Param("file")
	ct, ok := types[name]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such file")
	}
	b, err := fs.ReadFile(h.opts.Files, "web/"+name)
	if err != nil {
		return dispatch.E("intake.formAsset", err)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, ct, b)
}

func (h *Handler) formGet(c echo.Context) error {
	v := formValues{Urgency: string(dispatch.UrgencyNormal), Idem: randomToken(12)}
	return h.render(c, http.StatusOK, h.page(formLang(c), v, h.csrfToken(c, requestCSRF)))
}

func readForm(c echo.Context) formValues {
	f := c.Request().PostForm
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	return formValues{Phone: get("phone"), Name: get("name"), Category: get("category"),
		Description: get("description"), Address: get("address"), Urgency: get("urgency"), When: get("when"),
		Lat: get("lat"), Lon: get("lon"), Idem: get("idem"), Needs: f["needs"]}
}

// postLang is the language a posted public form is shown in, and whether
// the post only asked to switch to another (a language button).
func postLang(c echo.Context) (dispatch.Lang, bool) {
	lang := formLang(c)
	switching := c.Request().PostForm.Has("switch")
	if l, err := dispatch.ParseLang(c.FormValue("switch")); switching && err == nil && l != "" {
		lang = l
	}
	return lang, switching
}

// allowPost counts a public form's post against its per-address limit
// (FORM_RATE_PER_MINUTE). A person asking for help is not turned away
// because Redis is down: the limit then lets the post through.
func (h *Handler) allowPost(c echo.Context, form string) bool {
	allowed, err := h.opts.Limiter.Allow(c.Request().Context(), form+":"+c.RealIP(), h.opts.FormRate, time.Minute)
	if err != nil {
		h.log.Warn("intake: form rate limit unavailable, allowing", "form", form, "err", err)
		return true
	}
	return allowed
}

// formPost creates the ticket, or shows the form again with every typed
// value and the errors summarised at the top.
func (h *Handler) formPost(c echo.Context) error {
	ctx := c.Request().Context()
	v := readForm(c)
	if v.Idem == "" || len(v.Idem) > 64 {
		v.Idem = randomToken(12)
	}
	lang, switching := postLang(c)
	csrfOK := h.checkCSRF(c, requestCSRF)
	p := h.page(lang, v, h.csrfToken(c, requestCSRF))
	if !csrfOK {
		if switching {
			return h.render(c, http.StatusOK, p) // nothing is created: no harm in showing the form
		}
		p.fail("", "err_csrf")
		return h.render(c, http.StatusForbidden, p)
	}
	if switching {
		return h.render(c, http.StatusOK, p)
	}
	if c.FormValue("website") != "" {
		// The honeypot: only a robot fills a field nobody can see.
		p.fail("", "err_generic")
		return h.render(c, http.StatusUnprocessableEntity, p)
	}
	req, ok := h.validate(p, v)
	ok = h.attachPhotos(c, p, &req) && ok
	if !ok {
		return h.render(c, http.StatusUnprocessableEntity, p)
	}
	if !h.allowPost(c, "form") {
		p.fail("", "err_rate")
		return h.render(c, http.StatusTooManyRequests, p)
	}
	res, err := h.opts.Intake.Submit(ctx, req)
	if err != nil && h.journal(ctx, err, &dispatch.JournalEntry{Kind: dispatch.JournalRequest, Request: &req}) {
		p.Ticket = &ticketView{} // received; the code follows by text (journal.go)
		return h.render(c, http.StatusOK, p)
	}
	if err != nil {
		status := statusOf(err)
		if status >= 500 {
			h.log.Error("intake: form request not saved", "err", err)
		}
		p.fail("", "err_generic")
		return h.render(c, status, p)
	}
	p.Ticket = &ticketView{Code: res.Ticket.Code,
		NeedsLocation: res.Ticket.Status == dispatch.StatusEscalated && res.Ticket.Reason == dispatch.ReasonNeedsLocation,
		Consult:       res.Ticket.Category.Consult()}
	return h.render(c, http.StatusOK, p)
}

// validate checks the form in field order and builds the intake request.
func (h *Handler) validate(p *formPage, v formValues) (dispatch.IntakeRequest, bool) {
	req := dispatch.IntakeRequest{SourceID: "web:" + v.Idem, Channel: dispatch.ChannelWeb, Name: v.Name,
		Category: dispatch.Category(v.Category), Description: v.Description, Lang: p.Lang, Address: v.Address,
		Urgency: dispatch.UrgencyNormal, Actor: dispatch.ActorClient}
	switch phone, err := h.opts.Phones.Normalize(v.Phone); {
	case v.Phone == "":
		p.fail("phone", "err_phone_required")
	case err != nil:
		p.fail("phone", "err_phone_invalid")
	default:
		req.Phone = phone
	}
	if !req.Category.Valid() {
		p.fail("category", "err_category")
	}
	if utf8.RuneCountInString(v.Description) > 4000 {
		p.fail("description", "err_description")
	}
	if v.Urgency == string(dispatch.UrgencyUrgent) {
		req.Urgency = dispatch.UrgencyUrgent
	}
	for _, n := range v.Needs {
		if s := dispatch.Skill(n); s.Valid() {
			req.Needs = append(req.Needs, s)
		}
	}
	if v.When != "" {
		when, err := parseWhen(v.When, h.opts.Location)
		if err != nil {
			p.fail("when", "err_when")
		} else {
			req.WindowStart = &when
		}
	}
	if lat, err1 := strconv.ParseFloat(v.Lat, 64); err1 == nil {
		if lon, err2 := strconv.ParseFloat(v.Lon, 64); err2 == nil {
			if loc := (dispatch.Location{Lat: lat, Lon: lon}); loc.Validate() == nil {
				req.Location = &loc
			}
		}
	}
	return req, len(p.Errors) == 0
}

// parseWhen reads datetime-local's value, or the same typed by hand where
// a browser shows a plain text box.
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "02.01.2006 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date and time")
}
