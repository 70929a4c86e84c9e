package integration

import (
	"database/sql"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

var ikCSRF = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// volunteerForm opens /volunteer in lang with browser b and returns the
// fields of a valid sign-up for phone (its CSRF token included).
func (g *ikRig) volunteerForm(b *http.Client, lang dispatch.Lang, phone string) url.Values {
	g.t.Helper()
	code, body := g.get(b, "/volunteer?lang="+string(lang))
	if code != http.StatusOK {
		g.t.Fatalf("GET /volunteer: %d\n%s", code, body)
	}
	m := ikCSRF.FindStringSubmatch(body)
	if m == nil || m[1] == "" {
		g.t.Fatalf("no csrf field:\n%s", body)
	}
	return url.Values{"csrf": {html.UnescapeString(m[1])}, "lang": {string(lang)}, "name": {"Әсел Нұрланқызы"},
		"phone": {"8" + phone[2:]}, "district": {"Есиль"}, "languages": {"kk", "ru"}, "skills": {"car", "nonsense"},
		"notes": {"Сенбі күндері"}, "consent": {"yes"}}
}

// sqlDB reads what the store does not show (consent, the outbox by key).
func (g *ikRig) sqlDB() *sql.DB {
	g.t.Helper()
	db, err := sql.Open("postgres", g.url)
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { db.Close() })
	return db
}

func (g *ikRig) count(db *sql.DB, query string, args ...any) int {
	g.t.Helper()
	var n int
	if err := db.QueryRowContext(g.ctx, query, args...).Scan(&n); err != nil {
		g.t.Fatal(err)
	}
	return n
}

func TestVolunteerFormSignsUpAPendingVolunteer(t *testing.T) {
	g := newIKRig(t, ikOptions{signups: true})
	db := g.sqlDB()
	for _, tc := range []struct {
		lang            dispatch.Lang
		title, district string
	}{
		{dispatch.LangKK, "Ерікті болу", "Астана, Есіл ауданы"},
		{dispatch.LangRU, "Стать волонтёром", "Астана, район Есиль"},
		{dispatch.LangEN, "Become a volunteer", "Astana, Yesil district"},
	} {
		code, body := g.get(g.browser(), "/volunteer?lang="+string(tc.lang))
		if code != http.StatusOK || !strings.Contains(body, tc.title) || !strings.Contains(body, `<option value="Есиль">`+tc.district+`</option>`) {
			t.Fatalf("GET /volunteer?lang=%s: %d, no title %q or district %q\n%s", tc.lang, code, tc.title, tc.district, body)
		}
		checkMarkup(t, body, tc.lang)
	}

	b := g.browser()
	phone := g.phone()
	code, done := g.submit(b, "/volunteer?lang=kk", g.volunteerForm(b, dispatch.LangKK, phone))
	if code != http.StatusOK || !strings.Contains(done, "Тіркелгеніңіз үшін рахмет") {
		t.Fatalf("sign-up: %d\n%s", code, done)
	}
	checkMarkup(t, done, dispatch.LangKK)
	v, err := g.store.VolunteerByPhone(g.ctx, phone)
	if err != nil {
		t.Fatalf("no volunteer: %v", err)
	}
	if v.Name != "Әсел Нұрланқызы" || v.Available || v.Location == nil || v.Location.Lat < 51.09 || v.Location.Lat > 51.16 ||
		len(v.Languages) != 2 || v.Languages[0] != dispatch.LangKK || len(v.Skills) != 1 || !v.HasSkill(dispatch.SkillCar) {
		t.Fatalf("volunteer %+v at %v", v, v.Location)
	}
	var reg, channel string
	var at sql.NullTime
	if err := db.QueryRowContext(g.ctx, `SELECT registry, consent_channel, consent_at FROM volunteers WHERE id = $1`, v.ID).
		Scan(&reg, &channel, &at); err != nil {
		t.Fatal(err)
	}
	if reg != "pending" || channel != "web" || !at.Valid {
		t.Fatalf("registry %q, consent %q at %v; want pending, web, a time", reg, channel, at)
	}
	su, err := g.store.Signup(g.ctx, phone)
	if err != nil || su.Step != dispatch.SignupDone || su.ConsentAt == nil || su.Notes != "Сенбі күндері" ||
		su.VolunteerID == nil || *su.VolunteerID != v.ID || su.District != "Есиль" {
		t.Fatalf("sign-up record %+v, %v", su, err)
	}
	var to, tpl, lang, text string
	if err := db.QueryRowContext(g.ctx, `SELECT to_phone, template, lang, body FROM notifications WHERE key = $1`,
		fmt.Sprintf("signup:%d", v.ID)).Scan(&to, &tpl, &lang, &text); err != nil {
		t.Fatalf("no confirmation queued: %v", err)
	}
	if to != phone || tpl != "signup.done" || lang != "kk" || !strings.Contains(text, "Рахмет") {
		t.Fatalf("confirmation to %s: %s %s %q", dispatch.MaskPhone(to), tpl, lang, text)
	}
	if n := g.count(db, `SELECT count(*) FROM volunteers`); n != 1 {
		t.Fatalf("%d volunteers after one sign-up", n)
	}

	// The same phone again, from another browser with other details: the
	// same page as anyone's, and no second row or text.
	b2 := g.browser()
	again := g.volunteerForm(b2, dispatch.LangKK, phone)
	again.Set("name", "Someone Else")
	code, body := g.submit(b2, "/volunteer?lang=kk", again)
	if code != http.StatusOK || body != done {
		t.Fatalf("duplicate: %d, a page unlike the first sign-up's:\n%s", code, body)
	}
	// A phone of a volunteer a dispatcher entered long ago.
	old := &dispatch.Volunteer{Name: "Ерлан", Phone: g.phone(), Languages: []dispatch.Lang{dispatch.LangRU}, Skills: []dispatch.Skill{}, Available: true, MaxTasks: 1}
	if err := g.store.CreateVolunteer(g.ctx, old); err != nil {
		t.Fatal(err)
	}
	code, body = g.submit(b2, "/volunteer?lang=kk", g.volunteerForm(b2, dispatch.LangKK, old.Phone))
	if code != http.StatusOK || body != done {
		t.Fatalf("existing volunteer's phone: %d, a page unlike a sign-up's:\n%s", code, body)
	}
	if n := g.count(db, `SELECT count(*) FROM volunteers`); n != 2 {
		t.Fatalf("%d volunteers, want the sign-up and the old one", n)
	}
	if n := g.count(db, `SELECT count(*) FROM notifications`); n != 1 {
		t.Fatalf("%d texts queued, want only the first confirmation", n)
	}
	if v2, _ := g.store.VolunteerByPhone(g.ctx, phone); v2.Name != v.Name {
		t.Fatalf("the duplicate changed the name to %q", v2.Name)
	}
	if st := ikRegistry(t, g, old.ID); st != dispatch.RegistryApproved {
		t.Fatalf("the old volunteer is %s now", st)
	}

	// "Not sure" and English: a volunteer without a place, texted in English.
	p3 := g.phone()
	f := g.volunteerForm(b, dispatch.LangEN, p3)
	f.Set("district", "unsure")
	f.Del("skills")
	if code, body := g.submit(b, "/volunteer?lang=en", f); code != http.StatusOK || !strings.Contains(body, "Thank you for signing up") {
		t.Fatalf("unsure: %d\n%s", code, body)
	}
	v3, err := g.store.VolunteerByPhone(g.ctx, p3)
	if err != nil || v3.Location != nil || len(v3.Skills) != 0 {
		t.Fatalf("unsure volunteer %+v %v", v3, err)
	}
	if err := db.QueryRowContext(g.ctx, `SELECT lang FROM notifications WHERE key = $1`, fmt.Sprintf("signup:%d", v3.ID)).Scan(&lang); err != nil || lang != "en" {
		t.Fatalf("confirmation language %q, %v", lang, err)
	}
}

func TestVolunteerFormRefusesAndKeepsNothing(t *testing.T) {
	g := newIKRig(t, ikOptions{signups: true})
	db := g.sqlDB()
	nothing := func(what string) {
		t.Helper()
		if n := g.count(db, `SELECT count(*) FROM volunteers`) + g.count(db, `SELECT count(*) FROM signups`) +
			g.count(db, `SELECT count(*) FROM notifications`); n != 0 {
			t.Fatalf("%s: %d rows stored", what, n)
		}
	}
	b := g.browser()
	for _, tc := range []struct {
		lang dispatch.Lang
		want []string
	}{
		{dispatch.LangEN, []string{`href="#name">Enter your name`, `href="#phone">Enter a phone number like`,
			`href="#district">Choose a district`, `href="#language-kk">Choose at least one language`,
			`href="#notes">Make the notes shorter`, `href="#consent">Tick the box`}},
		{dispatch.LangRU, []string{`href="#name">Введите ваше имя`, `href="#phone">Введите номер в виде`,
			`href="#district">Выберите район`, `href="#language-kk">Выберите хотя бы один язык`,
			`href="#notes">Сократите заметки`, `href="#consent">Отметьте согласие`}},
		{dispatch.LangKK, []string{`href="#name">Атыңызды енгізіңіз`, `href="#phone">Нөмірді`,
			`href="#district">Ауданды`, `href="#language-kk">Кемінде бір тілді`,
			`href="#notes">Жазбаны 1000`, `href="#consent">Деректеріңізді сақтауға`}},
	} {
		f := g.volunteerForm(b, tc.lang, g.phone())
		f.Set("name", "")
		f.Set("phone", "12")
		f.Set("district", "Атлантида")
		f.Del("languages")
		f.Set("notes", strings.Repeat("я", dispatch.SignupNotesMax+1))
		f.Del("consent")
		code, body := g.submit(b, "/volunteer?lang="+string(tc.lang), f)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d, want 422", tc.lang, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the summary lacks %q", tc.lang, w)
			}
		}
		for _, id := range []string{"name", "phone", "district", "notes", "consent"} {
			if !regexp.MustCompile(`id="` + id + `"[^>]*aria-invalid="true"`).MatchString(body) {
				t.Errorf("%s: #%s is not marked invalid", tc.lang, id)
			}
		}
		if !strings.Contains(body, `value="12"`) || !strings.Contains(body, `<option value="Есиль">`) {
			t.Errorf("%s: the typed phone or the district list is gone", tc.lang)
		}
		checkMarkup(t, body, tc.lang)
	}
	nothing("invalid fields")

	// Everything right but the consent.
	f := g.volunteerForm(b, dispatch.LangEN, g.phone())
	f.Del("consent")
	if code, body := g.submit(b, "/volunteer?lang=en", f); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Tick the box") || strings.Contains(body, "Enter your name") {
		t.Fatalf("no consent: %d\n%s", code, body)
	}
	nothing("no consent")

	// No CSRF token, another browser's token, a forged one.
	f = g.volunteerForm(b, dispatch.LangEN, g.phone())
	noToken := url.Values{}
	for k, v := range f {
		noToken[k] = v
	}
	noToken.Del("csrf")
	if code, body := g.submit(b, "/volunteer?lang=en", noToken); code != http.StatusForbidden || !strings.Contains(body, "The form has expired") {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := g.submit(g.browser(), "/volunteer?lang=en", f); code != http.StatusForbidden {
		t.Fatalf("a token without its cookie: %d", code)
	}
	// The request form's token is not this form's cookie.
	rb := g.browser()
	_, rbody := g.get(rb, "/request?lang=en")
	f.Set("csrf", formFields(t, rbody).Get("csrf"))
	if code, _ := g.submit(rb, "/volunteer?lang=en", f); code != http.StatusForbidden {
		t.Fatalf("the request form's token: %d", code)
	}
	// The honeypot.
	f = g.volunteerForm(b, dispatch.LangEN, g.phone())
	f.Set("website", "http://spam.example")
	if code, _ := g.submit(b, "/volunteer?lang=en", f); code != http.StatusUnprocessableEntity {
		t.Fatalf("honeypot: %d", code)
	}
	// Switching the language keeps what was typed and stores nothing.
	f = g.volunteerForm(b, dispatch.LangEN, g.phone())
	f.Set("switch", "kk")
	if code, body := g.submit(b, "/volunteer?lang=en", f); code != http.StatusOK || !strings.Contains(body, `<html lang="kk">`) ||
		!strings.Contains(body, "Әсел Нұрланқызы") || strings.Contains(body, "error-summary") {
		t.Fatalf("switch: %d\n%s", code, body)
	}
	nothing("csrf, honeypot, switch")
}

// ikRegistry is a volunteer's registry status.
func ikRegistry(t *testing.T, g *ikRig, id int64) dispatch.RegistryStatus {
	t.Helper()
	var st dispatch.RegistryStatus
	err := g.store.InTx(g.ctx, func(r dispatch.Repo) error {
		var err error
		st, err = r.(*postgres.Store).Registry(g.ctx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The request form offers the consultation topics in a group of their own,
// and one chosen there waits for a consultant, with a page that says so.
func TestRequestFormOffersConsultationsApart(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	for lang, legend := range map[dispatch.Lang]string{dispatch.LangKK: "Маған кеңес керек, келу емес",
		dispatch.LangRU: "Мне нужна консультация, а не приход", dispatch.LangEN: "I need advice, not a visit"} {
		_, body := g.get(g.browser(), "/request?lang="+string(lang))
		group := regexp.MustCompile(`(?s)<fieldset class="group" id="consult-group"[^>]*>\s*<legend>([^<]*)</legend>(.*?)</fieldset>`).FindStringSubmatch(body)
		if group == nil || group[1] != legend {
			t.Fatalf("%s: no consultation group headed %q", lang, legend)
		}
		for _, c := range dispatch.ConsultCategories {
			if !strings.Contains(group[2], `value="`+string(c)+`"`) {
				t.Errorf("%s: %s is not in the consultation group", lang, c)
			}
		}
		if strings.Contains(group[2], `value="escort"`) {
			t.Errorf("%s: a visit is offered among the consultations", lang)
		}
		checkMarkup(t, body, lang)
	}
	b := g.browser()
	_, body := g.get(b, "/request?lang=en")
	form := formFields(t, body)
	form.Set("lang", "en")
	form.Set("phone", g.phone())
	form.Set("category", "housing")
	form.Set("description", "My landlord will not let me put up a ramp")
	code, body := g.submit(b, "/request?lang=en", form)
	if code != http.StatusOK || !strings.Contains(body, "A consultant will call or text you back") || strings.Contains(body, "looking for a volunteer") {
		t.Fatalf("consultation: %d\n%s", code, body)
	}
	tk := g.ticketBySource("web:" + form.Get("idem"))
	if tk.Category != dispatch.CategoryHousing || tk.Status != dispatch.StatusEscalated || tk.Reason != dispatch.ReasonConsultation || g.queued(tk.ID) {
		t.Fatalf("consultation ticket %s %s %q", tk.Category, tk.Status, tk.Reason)
	}
	ns, err := g.store.Notifications(g.ctx, tk.ID)
	if err != nil || len(ns) != 1 || ns[0].Template != dispatch.TemplateReceivedConsult ||
		!strings.Contains(ns[0].Body, "consultant") || !strings.Contains(ns[0].Body, tk.Code) {
		t.Fatalf("the consultation's text must name a consultant, not a volunteer: %+v %v", ns, err)
	}
}
