package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// assets are the templates, the message catalogue and the static files.
//
// Templates: every templates/*.part.html file (the layout, shared fragments)
// is parsed into every page; every other templates/NAME.html is the page
// NAME, which defines "content" (and may redefine "head" for extra assets).
// Every template runs with a *Page as its root, so "$" is always the page.
//
//go:embed templates static i18n
var assets embed.FS

// Page is the data of every console page and fragment. Handlers build it with
// (*Console).Page, set Data (and Flash or Error), and pass it to Render.
// Templates reach the texts with {{$.T "key"}} and the page's own data with
// {{$.Data}}.
type Page struct {
	// Title is the translated page title, shown in <title> and the <h1>.
	Title string
	// Nav is the active navigation item: "queue", "volunteers", "clients",
	// "map", "reports", "simulator" (marked aria-current).
	Nav  string
	Lang dispatch.Lang
	// User is who is logged in; nil on the login page.
	User *dispatch.User
	// CSRF is the session's token: every form posts it back as the hidden
	// field "csrf" (the template "csrf" writes the field).
	CSRF string
	// Flash is a success message, announced politely (role=status).
	Flash string
	// Error is a failure message, shown at the top as an alert.
	Error string
	// Simulator shows the phone simulator's navigation link.
	Simulator bool
	// Data is the page's own data.
	Data any

	url  *url.URL
	cat  catalogue
	now  time.Time
	zone *time.Location
}

// T returns the text of key in the page's language, formatted with args
// (fmt verbs) when there are any.
func (p *Page) T(key string, args ...any) string { return p.cat.text(p.Lang, key, args...) }

// Can reports whether the user has at least role ("viewer", "dispatcher",
// "admin"), to hide forms the user may not send.
func (p *Page) Can(role string) bool {
	return p.User != nil && p.User.Role.Allows(dispatch.Role(role))
}

// Age is how long ago t was, in the page's language ("5 min", "2 h 10 min").
func (p *Page) Age(t time.Time) string {
	d := p.now.Sub(t)
	if d < time.Minute {
		return p.T("age.now")
	}
	m := int(d.Minutes())
	switch {
	case m < 60:
		return p.T("age.min", m)
	case m < 48*60:
		return p.T("age.hmin", m/60, m%60)
	}
	return p.T("age.days", m/(24*60))
}

// When formats a time for the timeline and lists, in the service's time
// zone (Options.Pages.Zone), which is the dispatchers' own.
func (p *Page) When(t time.Time) string {
	if p.zone != nil {
		t = t.In(p.zone)
	}
	return t.Format("2006-01-02 15:04:05")
}

// Skills names skills in the page's language, comma separated.
func (p *Page) Skills(ss []dispatch.Skill) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p.T("skill." + string(s))
	}
	return strings.Join(out, ", ")
}

// Needs names a client's needs in the page's language.
func (p *Page) Needs(ns []dispatch.Need) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = p.T("need." + string(n))
	}
	return strings.Join(out, ", ")
}

// LangLink is one entry of the language switch.
type LangLink struct {
	Lang    dispatch.Lang
	Name    string
	URL     string
	Current bool
}

// LangLinks are the language switch: the current URL with ?lang= set.
func (p *Page) LangLinks() []LangLink {
	names := map[dispatch.Lang]string{dispatch.LangKK: "Қазақша", dispatch.LangRU: "Русский", dispatch.LangEN: "English"}
	var out []LangLink
	for _, l := range dispatch.Langs {
		u := url.URL{Path: "/console"}
		if p.url != nil {
			u = url.URL{Path: p.url.Path, RawQuery: p.url.RawQuery}
		}
		q := u.Query()
		q.Set("lang", string(l))
		u.RawQuery = q.Encode()
		out = append(out, LangLink{Lang: l, Name: names[l], URL: u.String(), Current: l == p.Lang})
	}
	return out
}

// Page starts the data of a page for the request: language, user, CSRF
// token. titleKey is a catalogue key; nav the active navigation item.
func (c *Console) Page(ec echo.Context, nav, titleKey string, data any) *Page {
	p := &Page{
		Nav:       nav,
		Lang:      c.lang(ec),
		Simulator: c.opts.SimulatorMode,
		Data:      data,
		url:       ec.Request().URL,
		cat:       c.cat,
		now:       c.now(),
		zone:      c.opts.Pages.Zone,
	}
	if s := sessionOf(ec); s != nil {
		p.User = s.User
		p.CSRF = s.CSRF
	}
	p.Title = p.T(titleKey)
	return p
}

// Render writes the page template name (templates/NAME.html) inside the
// layout with the given status. The page is rendered into memory first, so
// that a template error is a clean 500 and never half a page.
func (c *Console) Render(ec echo.Context, status int, name string, p *Page) error {
	t, ok := c.tmpl.pages[name]
	if !ok {
		return dispatch.Errorf(dispatch.EINTERNAL, "console: no page template %q", name)
	}
	return c.write(ec, status, t, "layout", p)
}

// RenderFragment writes one template of the shared *.part.html files alone
// (a queue row for the live update), with p as its root.
func (c *Console) RenderFragment(ec echo.Context, status int, name string, p *Page) error {
	return c.write(ec, status, c.tmpl.parts, name, p)
}

func (c *Console) write(ec echo.Context, status int, t *template.Template, name string, p *Page) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, p); err != nil {
		return dispatch.E("console.Render", err)
	}
	h := ec.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", string(p.Lang))
	return ec.HTMLBlob(status, buf.Bytes())
}

// templates are the parsed pages; parts holds the shared templates alone.
type templates struct {
	pages map[string]*template.Template
	parts *template.Template
}

func parseTemplates(fsys fs.FS, funcs template.FuncMap) (*templates, error) {
	base := template.New("console").Funcs(funcs)
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var pages []string
	for _, f := range files {
		if strings.HasSuffix(f, ".part.html") {
			if _, err := base.ParseFS(fsys, f); err != nil {
				return nil, fmt.Errorf("console: %s: %w", f, err)
			}
		} else {
			pages = append(pages, f)
		}
	}
	out := &templates{pages: map[string]*template.Template{}}
	for _, f := range pages {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(fsys, f); err != nil {
			return nil, fmt.Errorf("console: %s: %w", f, err)
		}
		out.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	if out.parts, err = base.Clone(); err != nil {
		return nil, err
	}
	return out, nil
}

// funcs are the template functions that do not depend on the request.
func (c *Console) funcs() template.FuncMap {
	return template.FuncMap{
		"join": func(sep string, v any) string {
			var parts []string
			switch s := v.(type) {
			case []string:
				parts = s
			case []dispatch.Skill:
				for _, x := range s {
					parts = append(parts, string(x))
				}
			case []dispatch.Lang:
				for _, x := range s {
					parts = append(parts, string(x))
				}
			case []dispatch.Need:
				for _, x := range s {
					parts = append(parts, string(x))
				}
			}
			return strings.Join(parts, sep)
		},
		"mask": dispatch.MaskPhone,
		// fv is a form value typed before a failed action, else def.
		"fv": func(m map[string]string, action, key, def string) string {
			if m != nil && m["action"] == action {
				return m[key]
			}
			return def
		},
		"lat": func(l *dispatch.Location) string {
			if l == nil {
				return ""
			}
			return fmt.Sprintf("%.6f", l.Lat)
		},
		"lon": func(l *dispatch.Location) string {
			if l == nil {
				return ""
			}
			return fmt.Sprintf("%.6f", l.Lon)
		},
		"add": func(a, b int) int { return a + b },
		"km":  func(m float64) string { return fmt.Sprintf("%.1f", m/1000) },
		"num": func(f float64) string { return fmt.Sprintf("%.2f", f) },
		"row": func(p *Page, t *dispatch.Ticket) row { return row{P: p, T: t} },
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"coord":    func(f float64) string { return fmt.Sprintf("%.5f", f) },
		"statusOK": func(code int) bool { return code < http.StatusBadRequest },
	}
}
