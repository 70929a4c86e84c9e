package integration

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kz-volunteers/dispatcher/console"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/httpd"
	"github.com/kz-volunteers/dispatcher/storage/postgres/pgtest"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// regRig is the console rig with the sign-up registry wired in, as
// cmd/dispatcher wires it, and the geo index it fills.
type regRig struct {
	*conRig
	signups *dispatch.Signups
	geo     dispatch.GeoIndex
	texts   int
}

func newRegRig(t *testing.T) *regRig {
	t.Helper()
	g := newConRig(t) // for its users, store and helpers; its server is not used
	_, store := pgtest.New(t)
	rc, err := redis.Open(g.ctx, storagetest.RedisURL(), storagetest.RedisPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	geo := redis.NewGeoIndex(rc)
	r := &regRig{conRig: g, geo: geo, signups: dispatch.NewSignups(store, geo, conMessages{}, dispatch.SignupOptions{})}
	g.store, g.bus = store, redis.NewBus(rc)
	g.engine = dispatch.NewEngine(store, redis.NewQueue(rc, 5*time.Second), geo, g.bus, conMessages{},
		dispatch.EngineOptions{Radii: []float64{3, 10, 25}})
	g.con = console.New(console.Options{Store: store, Actions: g.engine, Assignments: g.engine, Bus: g.bus,
		Limiter: redis.NewLimiter(rc), LoginAttemptsPerMinute: 5, Heartbeat: time.Hour, Signups: r.signups})
	hs := httpd.New(httpd.Options{Logger: slog.New(slog.DiscardHandler)})
	g.con.Register(hs.Echo())
	g.srv = httptest.NewServer(hs.Echo())
	t.Cleanup(g.srv.Close)
	t.Cleanup(g.con.Close)
	for _, role := range []dispatch.Role{dispatch.RoleDispatcher, dispatch.RoleViewer} {
		h, err := bcrypt.GenerateFromPassword([]byte(conPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CreateUser(g.ctx, &dispatch.User{Name: string(role), Role: role, PasswordHash: string(h)}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// signUp runs a whole SMS sign-up in Russian and returns the pending
// volunteer it ends in.
func (r *regRig) signUp(name string) *dispatch.Volunteer {
	r.t.Helper()
	phone := r.phone()
	for _, body := range []string{"волонтер", name, "1", "23", "1", "да"} {
		r.texts++
		m := &dispatch.InboundMessage{MessageSID: fmt.Sprintf("SMreg%029d", r.texts), From: phone, Body: body}
		if ok, err := r.signups.HandleSignup(r.ctx, m); err != nil || !ok {
			r.t.Fatalf("sign-up text %q: handled=%v %v", body, ok, err)
		}
	}
	v, err := r.store.VolunteerByPhone(r.ctx, phone)
	if err != nil {
		r.t.Fatalf("no volunteer after the sign-up: %v", err)
	}
	return v
}

func (r *regRig) registry(id int64) dispatch.RegistryStatus {
	r.t.Helper()
	var st dispatch.RegistryStatus
	err := r.store.InTx(r.ctx, func(repo dispatch.Repo) error {
		var err error
		st, err = repo.(dispatch.SignupRepo).Registry(r.ctx, id)
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func (r *regRig) inGeo(v *dispatch.Volunteer) bool {
	r.t.Helper()
	hits, err := r.geo.Near(r.ctx, *v.Location, 1000, 100)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, h := range hits {
		if h.VolunteerID == v.ID {
			return true
		}
	}
	return false
}

func pendingPath(id int64, step string) string {
	return "/console/volunteers/pending/" + strconv.FormatInt(id, 10) + "/" + step
}

// A pending SMS sign-up is listed with what the volunteer gave; approved
// from the page, it ends approved, available and in the geo index (so the
// matcher finds it); rejected, it stays unavailable and leaves the list.
func TestConsoleRegistryApproveAndReject(t *testing.T) {
	r := newRegRig(t)
	a, b := r.signUp("Дана Оспанова"), r.signUp("Ержан Ким")
	if a.Available || a.Location == nil || r.inGeo(a) {
		t.Fatalf("a pending sign-up is available or indexed: %+v", a)
	}
	d := r.login(dispatch.RoleDispatcher)
	status, body := d.get("/console/volunteers/pending?lang=ru")
	if status != http.StatusOK || !strings.Contains(body, "Дана Оспанова") || !strings.Contains(body, "Ержан Ким") ||
		!strings.Contains(body, "район Алматы") || !strings.Contains(body, pendingPath(a.ID, "approve")) {
		t.Fatalf("pending page %d lacks a sign-up, its district or its form:\n%s", status, body)
	}

	if status, body := d.form(pendingPath(a.ID, "approve"), nil); status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", status, body)
	}
	got, err := r.store.Volunteer(r.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Available || r.registry(a.ID) != dispatch.RegistryApproved || !r.inGeo(got) {
		t.Fatalf("after approval: available=%v registry=%s in geo=%v", got.Available, r.registry(a.ID), r.inGeo(got))
	}

	if status, body := d.form(pendingPath(b.ID, "reject"), nil); status != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", status, body)
	}
	if got, err := r.store.Volunteer(r.ctx, b.ID); err != nil || got.Available || r.registry(b.ID) != dispatch.RegistryRejected || r.inGeo(got) {
		t.Fatalf("after rejection: %+v registry=%s (%v)", got, r.registry(b.ID), err)
	}
	// A rejected sign-up cannot be approved by a stale page.
	if status, _ := d.form(pendingPath(b.ID, "approve"), nil); status != http.StatusConflict {
		t.Fatalf("approving a rejected volunteer: %d, want 409", status)
	}
	if _, body := d.get("/console/volunteers/pending"); strings.Contains(body, "Дана Оспанова") || strings.Contains(body, "Ержан Ким") {
		t.Fatal("a decided sign-up is still listed as pending")
	}
}

// A viewer sees neither the list nor may approve: 403, and the volunteer
// stays pending. A dispatcher's approve without the CSRF token is refused
// too.
func TestConsoleRegistryViewerCannotApprove(t *testing.T) {
	r := newRegRig(t)
	v := r.signUp("Айжан")
	vw := r.login(dispatch.RoleViewer)
	if status, _ := vw.get("/console/volunteers/pending"); status != http.StatusForbidden {
		t.Fatalf("viewer's pending page: %d, want 403", status)
	}
	if status, _ := vw.form(pendingPath(v.ID, "approve"), nil); status != http.StatusForbidden {
		t.Fatalf("viewer's approve: %d, want 403", status)
	}
	d := r.login(dispatch.RoleDispatcher)
	if res := d.post(pendingPath(v.ID, "approve"), url.Values{"csrf": {"forged"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("approve with a forged token: %d, want 403", res.StatusCode)
	}
	if st := r.registry(v.ID); st != dispatch.RegistryPending {
		t.Fatalf("registry %s after refused approvals, want pending", st)
	}
}

// The volunteers export is a CSV attachment that a viewer may download and
// that dispatch's import parser reads back whole: every volunteer, with
// name, phone, languages, skills and place.
func TestConsoleVolunteersCSVRoundTrips(t *testing.T) {
	r := newRegRig(t)
	want := map[string]*dispatch.Volunteer{}
	for _, name := range []string{"Асель", `=HYPERLINK("x")`, "Иван, \"Ваня\" Петров"} {
		v := r.volunteer(name)
		want[v.Phone] = v
	}
	p := r.signUp("Нұрлан")
	want[p.Phone] = p
	vw := r.login(dispatch.RoleViewer)
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/console/volunteers.csv", nil)
	res := vw.do(req)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	im, err := dispatch.ParseVolunteerCSV(bytes.NewReader(body), nil)
	if err != nil || len(im.Errors) != 0 {
		t.Fatalf("the export does not parse back: %v %+v\n%s", err, im, body)
	}
	if len(im.Rows) != len(want) {
		t.Fatalf("%d rows parsed, want %d", len(im.Rows), len(want))
	}
	for _, row := range im.Rows {
		w, ok := want[row.Volunteer.Phone]
		if !ok {
			t.Fatalf("unknown phone %q in the export", row.Volunteer.Phone)
		}
		got := row.Volunteer
		if strings.TrimLeft(got.Name, "'") != w.Name || fmt.Sprint(got.Languages) != fmt.Sprint(w.Languages) ||
			fmt.Sprint(got.Skills) != fmt.Sprint(w.Skills) || got.Available != w.Available || got.MaxTasks != w.MaxTasks ||
			(got.Location == nil) != (w.Location == nil) {
			t.Errorf("%s: exported %+v, want %+v", w.Phone, got, w)
		}
	}
}
