package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// BarrierLister lists barrier reports (*dispatch.Barriers is one).
type BarrierLister interface {
	List(ctx context.Context, f dispatch.BarrierFilter) ([]*dispatch.BarrierReport, int, error)
}

// BarriersOptions configure the public barriers page. Barriers and Files are
// required.
type BarriersOptions struct {
	Barriers BarrierLister
	// Files holds web/barriers.html, web/barriers.json, web/barriers.css
	// (configs.Files).
	Files fs.FS
	// Location is the zone the dates are shown in (UTC when nil).
	Location *time.Location
}

// BarriersPage is the public list of barrier reports, GET /barriers: no
// login, in kk, ru and en. It shows the place, its district, the status and
// the dates, and nothing else: the view below has no field that could carry
// a reporter's name, phone or words.
type BarriersPage struct {
	opts  BarriersOptions
	tmpl  *template.Template
	texts map[dispatch.Lang]map[string]string
	css   []byte
}

// NewBarriersPage reads the page's template, texts and style.
func NewBarriersPage(opts BarriersOptions) (*BarriersPage, error) {
	if opts.Barriers == nil || opts.Files == nil {
		return nil, fmt.Errorf("intake: barriers page: Barriers and Files are required")
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	p := &BarriersPage{opts: opts}
	b, err := fs.ReadFile(opts.Files, "web/barriers.json")
	if err != nil {
		return nil, fmt.Errorf("intake: barriers page: %w", err)
	}
	if err := json.Unmarshal(b, &p.texts); err != nil {
		return nil, fmt.Errorf("intake: web/barriers.json: %w", err)
	}
	for _, l := range dispatch.Langs {
		if len(p.texts[l]) != len(p.texts[dispatch.LangEN]) {
			return nil, fmt.Errorf("intake: web/barriers.json: %s has %d texts, en %d", l, len(p.texts[l]), len(p.texts[dispatch.LangEN]))
		}
	}
	if p.css, err = fs.ReadFile(opts.Files, "web/barriers.css"); err != nil {
		return nil, fmt.Errorf("intake: barriers page: %w", err)
	}
	p.tmpl, err = template.New("barriers").ParseFS(opts.Files, "web/barriers.html")
	if err != nil {
		return nil, fmt.Errorf("intake: web/barriers.html: %w", err)
	}
	return p, nil
}

// Register adds GET /barriers and its stylesheet to e.
func (p *BarriersPage) Register(e *echo.Echo) {
	e.GET("/barriers", p.list)
	e.GET("/barriers/assets/barriers.css", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		return c.Blob(http.StatusOK, "text/css; charset=utf-8", p.css)
	})
}

// publicBarrier is all the page shows of a report.
type publicBarrier struct {
	Name, Address      string
	Kind               string // text key
	Status, StatusKey  string
	Reported, LastStep string // dates, 2006-01-02
}

type barrierGroup struct {
	Name, Anchor string
	Rows         []publicBarrier
}

type barriersView struct {
	Lang   dispatch.Lang
	Switch []struct {
		Code, Name, URL string
		Current         bool
	}
	Groups []barrierGroup
	Total  int
	texts  map[string]string
}

// T is the text of key, formatted with args when given.
func (v *barriersView) T(key string, args ...any) string {
	s, ok := v.texts[key]
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// publicLimit is the most reports the page lists: the store's page limit.
const publicLimit = 500

func (p *BarriersPage) list(c echo.Context) error {
	const op = "intake.barriers"
	lang := formLang(c)
	rs, _, err := p.opts.Barriers.List(c.Request().Context(), dispatch.BarrierFilter{
		Status: []dispatch.BarrierStatus{dispatch.BarrierReported, dispatch.BarrierVerified, dispatch.BarrierSent, dispatch.BarrierFixed},
		Limit:  publicLimit,
	})
	if err != nil {
		return dispatch.E(op, err)
	}
	v := &barriersView{Lang: lang, texts: p.texts[lang], Total: len(rs)}
	for _, l := range dispatch.Langs {
		q := url.Values{"lang": {string(l)}}
		v.Switch = append(v.Switch, struct {
			Code, Name, URL string
			Current         bool
		}{string(l), p.texts[l]["lang_name"], "/barriers?" + q.Encode(), l == lang})
	}
	// The store lists by district already; a new group starts where the
	// district changes.
	for _, r := range rs {
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Name != p.districtName(lang, r.District) {
			v.Groups = append(v.Groups, barrierGroup{Name: p.districtName(lang, r.District), Anchor: "d" + strconv.Itoa(n+1)})
		}
		g := &v.Groups[len(v.Groups)-1]
		g.Rows = append(g.Rows, p.public(r))
	}
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, "page", v); err != nil {
		return dispatch.E(op, err)
	}
	h := c.Response().Header()
	h.Set("Content-Language", string(lang))
	h.Set("Cache-Control", "public, max-age=60")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

func (p *BarriersPage) districtName(lang dispatch.Lang, d string) string {
	if d == "" {
		return p.texts[lang]["no_district"]
	}
	return d
}

func (p *BarriersPage) public(r *dispatch.BarrierReport) publicBarrier {
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(p.opts.Location).Format("2006-01-02")
	}
	last := r.ClosedAt
	if last == nil {
		last = r.SentAt
	}
	if last == nil {
		last = r.VerifiedAt
	}
	// The address is the reporter's words until a dispatcher has checked
	// it: "no ramp at my entrance" names a home. From verified on, it is
	// the place's address as the dispatcher left it.
	addr := r.PlaceAddress
	if r.Status == dispatch.BarrierReported {
		addr = ""
	}
	return publicBarrier{Name: r.PlaceName, Address: addr, Kind: "kind." + string(r.PlaceKind),
		Status: string(r.Status), StatusKey: "status." + string(r.Status),
		Reported: day(&r.ReportedAt), LastStep: day(last)}
}
