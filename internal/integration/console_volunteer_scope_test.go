package integration

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/console"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// withRegistry serves the rig's console again with the hours pages and the
// sign-up registry wired in, as cmd/dispatcher wires them.
func (g *scopeRig) withRegistry() *dispatch.Signups {
	g.t.Helper()
	rc, err := redis.Open(g.ctx, storagetest.RedisURL(), storagetest.RedisPrefix(g.t.(*testing.T)))
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { rc.Close() })
	signups := dispatch.NewSignups(g.store, redis.NewGeoIndex(rc), conMessages{}, dispatch.SignupOptions{})
	con := console.New(console.Options{Store: g.store, Actions: g.engine, Assignments: g.engine, Bus: g.bus,
		Limiter: redis.NewLimiter(rc), LoginAttemptsPerMinute: 50, Heartbeat: time.Hour, Signups: signups,
		Records: console.RecordsOptions{Hours: dispatch.NewHours(g.store, time.UTC), CentreName: "центр"}})
	hs := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)})
	con.Register(hs.Echo())
	srv := httptest.NewServer(hs.Echo())
	g.t.Cleanup(srv.Close)
	g.t.Cleanup(con.Close)
	g.srv = srv
	return signups
}

// pendingIn makes a pending sign-up at loc, as the SMS sign-up leaves one.
func (g *scopeRig) pendingIn(name string, loc dispatch.Location) *dispatch.Volunteer {
	g.t.Helper()
	v := &dispatch.Volunteer{Name: name, Phone: g.phone(), Languages: []dispatch.Lang{dispatch.LangRU},
		Location: &loc, MaxTasks: 1}
	err := g.store.InTx(g.ctx, func(r dispatch.Repo) error {
		if err := r.CreateVolunteer(g.ctx, v); err != nil {
			return err
		}
		return r.(dispatch.SignupRepo).SetRegistry(g.ctx, v.ID, dispatch.RegistryPending)
	})
	if err != nil {
		g.t.Fatal(err)
	}
	return v
}

// volunteerIn creates a volunteer at loc, placed in a centre by the store.
func (g *scopeRig) volunteerIn(name string, loc dispatch.Location) *dispatch.Volunteer {
	g.t.Helper()
	v := &dispatch.Volunteer{Name: name, Phone: g.phone(), Languages: []dispatch.Lang{dispatch.LangRU},
		Location: &loc, Available: true, MaxTasks: 1}
	if err := g.store.CreateVolunteer(g.ctx, v); err != nil {
		g.t.Fatal(err)
	}
	return v
}

func volunteerPath(v *dispatch.Volunteer) string {
	return "/console/volunteers/" + strconv.FormatInt(v.ID, 10)
}

// A Baikonur dispatcher sees Baikonur's volunteers and those of no centre,
// never Saryarka's: not in the list, not their page, hours or export, and
// cannot pause them; the coordinator sees all and filters by centre.
func TestCentreScopeVolunteers(t *testing.T) {
	g := newScopeRig(t)
	g.withRegistry()
	mine := g.volunteerIn("Свой Байконур", dispatch.Location{Lat: 51.2, Lon: 71.47})
	theirs := g.volunteerIn("Чужой Сарыарка", dispatch.Location{Lat: 51.2, Lon: 71.35})
	none := g.volunteerIn("Ничей Алматы", dispatch.Location{Lat: 43.24, Lon: 76.95})
	if mine.CentreID != g.baikonur || theirs.CentreID != g.saryarka || none.CentreID != 0 {
		t.Fatalf("placed in %d, %d, %d: want Baikonur %d, Saryarka %d, none", mine.CentreID, theirs.CentreID,
			none.CentreID, g.baikonur, g.saryarka)
	}
	disp, coord := g.loginAs("baikonur"), g.loginAs("coord")

	_, list := disp.get("/console/volunteers")
	if !strings.Contains(list, mine.Name) || !strings.Contains(list, none.Name) || strings.Contains(list, theirs.Name) {
		t.Fatalf("Baikonur's volunteers list: want %q and %q, not %q:\n%s", mine.Name, none.Name, theirs.Name, list)
	}
	if strings.Contains(list, `name="centre"`) {
		t.Error("a centre's dispatcher is offered a centre filter")
	}
	for _, p := range []string{volunteerPath(theirs), volunteerPath(theirs) + "/hours", volunteerPath(theirs) + "/hours.csv",
		volunteerPath(theirs) + "/hours/statement", "/console/volunteers/999999"} {
		if s, _ := disp.get(p); s != http.StatusNotFound {
			t.Errorf("Baikonur GET %s: %d, want 404", p, s)
		}
	}
	if s, _ := disp.form(volunteerPath(theirs)+"/pause", nil); s != http.StatusNotFound {
		t.Errorf("Baikonur pauses Saryarka's volunteer: %d, want 404", s)
	}
	if got, _ := g.store.Volunteer(g.ctx, theirs.ID); !got.Available {
		t.Error("Saryarka's volunteer was paused by Baikonur's dispatcher")
	}
	for _, v := range []*dispatch.Volunteer{mine, none} {
		for _, p := range []string{volunteerPath(v), volunteerPath(v) + "/hours", volunteerPath(v) + "/hours/statement"} {
			if s, _ := disp.get(p); s != http.StatusOK {
				t.Errorf("Baikonur GET %s: %d, want 200", p, s)
			}
		}
	}
	if s, _ := disp.form(volunteerPath(theirs)+"/hours", url.Values{"month": {"2026-11"}, "minutes": {"60"}, "reason": {"x"}}); s != http.StatusNotFound {
		t.Errorf("Baikonur corrects Saryarka's hours: %d, want 404", s)
	}

	pendMine := g.pendingIn("Заявка Байконур", dispatch.Location{Lat: 51.21, Lon: 71.47})
	pendTheirs := g.pendingIn("Заявка Сарыарка", dispatch.Location{Lat: 51.21, Lon: 71.35})
	_, pend := disp.get("/console/volunteers/pending")
	if !strings.Contains(pend, pendMine.Name) || strings.Contains(pend, pendTheirs.Name) {
		t.Errorf("Baikonur's sign-ups: want %q, not %q:\n%s", pendMine.Name, pendTheirs.Name, pend)
	}
	if s, _ := disp.form(pendingPath(pendTheirs.ID, "approve"), nil); s != http.StatusNotFound {
		t.Errorf("Baikonur approves Saryarka's sign-up: %d, want 404", s)
	}
	if _, pend = coord.get("/console/volunteers/pending"); !strings.Contains(pend, pendMine.Name) || !strings.Contains(pend, pendTheirs.Name) {
		t.Errorf("coordinator's sign-ups lack one of %q, %q", pendMine.Name, pendTheirs.Name)
	}
	csv := func(b *browser, q string) string {
		req, _ := http.NewRequest(http.MethodGet, g.srv.URL+"/console/volunteers.csv"+q, nil)
		res := b.do(req)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("export%s: %d", q, res.StatusCode)
		}
		return string(body)
	}
	if out := csv(disp, ""); !strings.Contains(out, mine.Phone) || strings.Contains(out, theirs.Phone) {
		t.Errorf("Baikonur's export: want %s, not %s:\n%s", mine.Phone, theirs.Phone, out)
	}
	// ?centre= does not widen a centre's dispatcher's view.
	if out := csv(disp, "?centre="+strconv.FormatInt(g.saryarka, 10)); strings.Contains(out, theirs.Phone) {
		t.Errorf("Baikonur's export with ?centre=Saryarka shows Saryarka's volunteer")
	}

	if s, _ := coord.get(volunteerPath(theirs)); s != http.StatusOK {
		t.Errorf("coordinator GET Saryarka's volunteer: %d", s)
	}
	_, list = coord.get("/console/volunteers")
	for _, v := range []*dispatch.Volunteer{mine, theirs, none} {
		if !strings.Contains(list, v.Name) {
			t.Errorf("coordinator's list lacks %q", v.Name)
		}
	}
	q := url.Values{"centre": {strconv.FormatInt(g.saryarka, 10)}}
	_, list = coord.get("/console/volunteers?" + q.Encode())
	if !strings.Contains(list, theirs.Name) || strings.Contains(list, mine.Name) || strings.Contains(list, none.Name) ||
		!strings.Contains(list, `name="centre"`) {
		t.Errorf("coordinator's list of Saryarka: want only %q, with the filter:\n%s", theirs.Name, list)
	}
	_, list = coord.get("/console/volunteers?centre=none")
	if !strings.Contains(list, none.Name) || strings.Contains(list, mine.Name) || strings.Contains(list, theirs.Name) {
		t.Errorf("coordinator's list of no centre: want only %q", none.Name)
	}
	if out := csv(coord, "?centre="+strconv.FormatInt(g.baikonur, 10)); !strings.Contains(out, mine.Phone) || strings.Contains(out, theirs.Phone) {
		t.Errorf("coordinator's Baikonur export: want %s, not %s", mine.Phone, theirs.Phone)
	}
}

// A volunteer created in the console with a home lands in the centre of
// that home; edited to a home in another district, they move with it.
func TestConsoleVolunteerLandsInTheirCentre(t *testing.T) {
	g := newScopeRig(t)
	coord := g.loginAs("coord")
	form := url.Values{"name": {"Новый Волонтёр"}, "phone": {g.phone()}, "languages": {"ru"}, "max_tasks": {"1"},
		"lat": {"51.2"}, "lon": {"71.35"}}
	if s, body := coord.form("/console/volunteers", form); s != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", s, body)
	}
	v, err := g.store.VolunteerByPhone(g.ctx, form.Get("phone"))
	if err != nil {
		t.Fatal(err)
	}
	if v.CentreID != g.saryarka {
		t.Fatalf("created at a Saryarka home: centre %d, want %d", v.CentreID, g.saryarka)
	}
	form.Set("lon", "71.47")
	if s, body := coord.form(volunteerPath(v), form); s != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", s, body)
	}
	if v, _ = g.store.Volunteer(g.ctx, v.ID); v.CentreID != g.baikonur {
		t.Fatalf("moved to a Baikonur home: centre %d, want %d", v.CentreID, g.baikonur)
	}
}

// The import's centre column places a row in the centre it names (kept as
// chosen); without it the home decides; a centre's dispatcher cannot add
// volunteers to another centre.
func TestConsoleImportCentreColumn(t *testing.T) {
	g := newScopeRig(t)
	coord, disp := g.loginAs("coord"), g.loginAs("baikonur")
	p1, p2, p3 := g.phone(), g.phone(), g.phone()
	file := "name,phone,lat,lon,centre\n" +
		"По дому," + p1 + ",51.2,71.35,\n" +
		"Выбранный," + p2 + ",51.2,71.35,astana-baikonur\n"
	if s, body := coord.form("/console/volunteers/import", url.Values{"csv": {file}, "step": {"commit"}}); s != http.StatusOK {
		t.Fatalf("coordinator's import: %d\n%s", s, body)
	}
	for phone, want := range map[string]int64{p1: g.saryarka, p2: g.baikonur} {
		v, err := g.store.VolunteerByPhone(g.ctx, phone)
		if err != nil {
			t.Fatal(err)
		}
		if v.CentreID != want || v.CentreChosen != (phone == p2) {
			t.Errorf("imported %s: centre %d chosen %v, want %d", v.Name, v.CentreID, v.CentreChosen, want)
		}
	}
	other := "name,phone,lat,lon\nЧужой," + p3 + ",51.2,71.35\n"
	if s, _ := disp.form("/console/volunteers/import", url.Values{"csv": {other}, "step": {"commit"}}); s != http.StatusUnprocessableEntity {
		t.Errorf("Baikonur imports a Saryarka volunteer: %d, want 422", s)
	}
	if _, err := g.store.VolunteerByPhone(g.ctx, p3); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Errorf("the refused row was written: %v", err)
	}
}
