package integration

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// TestBarrierLifecycleAndPublicPage: an accessibility ticket becomes a
// barrier report by itself; a dispatcher moves it through verified, sent and
// fixed in the console (a skipped step is refused); the public page lists it
// in kk, ru and en with the place and status, and never the reporter's name,
// phone or words.
func TestBarrierLifecycleAndPublicPage(t *testing.T) {
	g := newRecRig(t)
	reporter := g.client("Сапарова Айгерим")
	desc := "Нет пандуса у аптеки, я на коляске, мой телефон 87017778899"
	tk := g.newTicket(reporter, func(tk *dispatch.Ticket) {
		tk.Channel = dispatch.ChannelWeb
		tk.Category = dispatch.CategoryAccessibility
		tk.Description = desc
		tk.Address = "пр. Республики 24"
	})
	other := g.newTicket(g.client("Другой Клиент"), nil) // not a barrier
	secrets := []string{reporter.Name, reporter.Phone, reporter.Phone[1:], desc, "87017778899", "коляске"}

	// the public page lists the new report without login
	anon := g.anonymous()
	status, body := anon.get("/barriers?lang=ru")
	if status != http.StatusOK || !strings.Contains(body, "Место уточняется") || !strings.Contains(body, "Сообщено") ||
		!strings.Contains(body, "Пандус") {
		t.Fatalf("public page before: %d\n%s", status, body)
	}
	// the address is the reporter's until a dispatcher has checked it
	mustNotContain(t, "public page", body, append(secrets, "пр. Республики 24")...)

	b := g.login(dispatch.RoleDispatcher)
	path := "/console/barriers/" + strconv.FormatInt(tk.ID, 10)
	if status, body := b.get("/console/barriers"); status != 200 || !strings.Contains(body, tk.Code) || strings.Contains(body, other.Code) {
		t.Fatalf("console list: %d\n%s", status, body)
	}
	// a skipped step is refused and says why
	if status, body := b.form(path, url.Values{"action": {"fixed"}}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "cannot become fixed") {
		t.Fatalf("reported → fixed: %d\n%s", status, body)
	}
	// sending needs the body's name
	steps := []url.Values{
		{"action": {"place"}, "place_name": {"Аптека «Фармация»"}, "district": {"Есильский район"}, "place_kind": {"ramp"}},
		{"action": {"verified"}, "note": {"Проверено волонтёром: ступени 40 см"}},
	}
	for _, v := range steps {
		res := b.post(path, withCSRF(b, v))
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("step %v: %d", v, res.StatusCode)
		}
	}
	if status, body := b.form(path, url.Values{"action": {"sent"}, "sent_to": {"  "}}); status != http.StatusBadRequest ||
		!strings.Contains(body, "name the body") {
		t.Fatalf("sent without a body: %d\n%s", status, body)
	}
	for _, v := range []url.Values{
		{"action": {"sent"}, "sent_to": {"Акимат Есильского района"}, "note": {"Письмо №17"}},
		{"action": {"fixed"}, "note": {"Пандус установлен"}},
	} {
		if res := b.post(path, withCSRF(b, v)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("step %v: %d", v, res.StatusCode)
		}
	}
	rep, err := g.barriers.Get(g.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != dispatch.BarrierFixed || rep.VerifiedAt == nil || rep.SentAt == nil || rep.ClosedAt == nil ||
		rep.SentTo != "Акимат Есильского района" || rep.CloseNote != "Пандус установлен" || rep.District != "Есильский район" {
		t.Fatalf("report after the lifecycle: %+v", rep)
	}
	status, body = b.get(path)
	if status != 200 || !strings.Contains(body, "Акимат Есильского района") || !strings.Contains(body, "Пандус установлен") {
		t.Fatalf("console detail: %d\n%s", status, body)
	}
	evs, err := g.store.Events(g.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == dispatch.EventBarrier {
			n++
			if e.Actor != "user:dispatcher" {
				t.Errorf("barrier event by %q", e.Actor)
			}
		}
	}
	if n != 4 {
		t.Fatalf("%d barrier events on the timeline, want 4 (place, verified, sent, fixed)", n)
	}

	fixed := map[string]string{"kk": "Жойылды", "ru": "Устранено", "en": "Fixed"}
	title := map[string]string{"kk": "Кедергілер туралы хабарламалар", "ru": "Сообщения о барьерах", "en": "Reported barriers"}
	for _, lang := range []string{"kk", "ru", "en"} {
		status, body := anon.get("/barriers?lang=" + lang)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", lang, status)
		}
		for _, want := range []string{`<html lang="` + lang + `">`, title[lang], fixed[lang], "Аптека «Фармация»",
			"Есильский район", "пр. Республики 24", `<th scope="col">`, `<main id="main">`} {
			if !strings.Contains(body, strings.ReplaceAll(want, "«", "&laquo;")) && !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %q", lang, want)
			}
		}
		mustNotContain(t, "public page ("+lang+")", body, append(secrets, tk.Code, "Акимат", "Пандус установлен", "ступени 40")...)
		checkBarrierMarkup(t, lang, body)
	}
}

// checkBarrierMarkup is what can be checked without a browser (the e2e suite runs
// axe-core on the page): one h1, every table cell under a header, ids unique,
// the language named, no empty links.
func checkBarrierMarkup(t *testing.T, lang, body string) {
	t.Helper()
	if n := strings.Count(body, "<h1"); n != 1 {
		t.Errorf("%s: %d h1", lang, n)
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if ids[m[1]] {
			t.Errorf("%s: id %q twice", lang, m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if !ids[m[1]] {
			t.Errorf("%s: link to missing #%s", lang, m[1])
		}
	}
	if regexp.MustCompile(`<a [^>]*>\s*</a>`).MatchString(body) {
		t.Errorf("%s: an empty link", lang)
	}
	if strings.Count(body, "<table") != strings.Count(body, "<caption") {
		t.Errorf("%s: a table without a caption", lang)
	}
}

// withCSRF adds the session's token to a form.
func withCSRF(b *browser, v url.Values) url.Values {
	out := url.Values{}
	for k, x := range v {
		out[k] = x
	}
	out.Set("csrf", b.csrf)
	return out
}
