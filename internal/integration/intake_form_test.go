package integration

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var (
	ikHidden = regexp.MustCompile(`name="(csrf|idem)" value="([^"]*)"`)
	ikIDs    = regexp.MustCompile(`\sid="([^"]+)"`)
	ikFors   = regexp.MustCompile(`\sfor="([^"]+)"`)
)

// formFields reads the hidden csrf and idem fields of a rendered form.
func formFields(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range ikHidden.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if v.Get("csrf") == "" || v.Get("idem") == "" {
		t.Fatalf("form without csrf or idem field:\n%s", body)
	}
	return v
}

// checkMarkup is what a screen reader needs and axe checks first: the
// page's language, unique ids, a label for every labelled id, landmarks.
func checkMarkup(t *testing.T, body string, lang dispatch.Lang) {
	t.Helper()
	if !strings.Contains(body, `<html lang="`+string(lang)+`">`) {
		t.Errorf("page language is not %s", lang)
	}
	seen := map[string]bool{}
	for _, m := range ikIDs.FindAllStringSubmatch(body, -1) {
		if seen[m[1]] {
			t.Errorf("id %q is not unique", m[1])
		}
		seen[m[1]] = true
	}
	for _, m := range ikFors.FindAllStringSubmatch(body, -1) {
		if !seen[m[1]] {
			t.Errorf("label for %q labels nothing", m[1])
		}
	}
	// The service's Content-Security-Policy allows no inline style or script.
	if strings.Contains(body, "<style") || strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
		t.Error("page has inline style or script")
	}
	for _, want := range []string{"<main", "<header", "<h1>", "<title>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page has no %s", want)
		}
	}
}

func TestIntakeFormWithoutJavaScript(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	for _, tc := range []struct {
		query, accept string
		lang          dispatch.Lang
		title         string
	}{
		{"?lang=kk", "", dispatch.LangKK, "Көмек сұрау"},
		{"?lang=en", "ru", dispatch.LangEN, "Ask for help"},
		{"", "en-GB,en;q=0.9,ru;q=0.5", dispatch.LangEN, "Ask for help"},
		{"", "kk-KZ, ru;q=0.8", dispatch.LangKK, "Көмек сұрау"},
		{"", "", dispatch.LangRU, "Попросить о помощи"},
	} {
		code, body := g.get(g.browser(), "/request"+tc.query, "Accept-Language", tc.accept)
		if code != http.StatusOK || !strings.Contains(body, tc.title) {
			t.Fatalf("GET /request%s (%s): %d, no %q", tc.query, tc.accept, code, tc.title)
		}
		checkMarkup(t, body, tc.lang)
	}

	for path, ct := range map[string]string{"/request/assets/request.css": "text/css", "/request/assets/request.js": "text/javascript"} {
		res, err := http.Get(g.srv.URL + path)
		if err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), ct) {
			t.Fatalf("GET %s: %v %v", path, res, err)
		}
		res.Body.Close()
	}

	b := g.browser()
	_, body := g.get(b, "/request?lang=ru")
	form := formFields(t, body)
	phone := g.phone()
	form.Set("lang", "ru")
	form.Set("phone", "8"+phone[2:])
	form.Set("name", "Бауыржан")
	form.Set("category", "escort")
	form.Set("description", "Проводить до поликлиники")
	form.Set("address", "г. Астана, район Есиль, ул. Туран 5")
	form.Set("urgency", "urgent")
	form["needs"] = []string{"wheelchair", "car"}
	form.Set("when", "2026-12-24T10:00")
	code, body := g.submit(b, "/request?lang=ru", form)
	if code != http.StatusOK || !strings.Contains(body, "Ваша заявка принята") {
		t.Fatalf("submit: %d\n%s", code, body)
	}
	tk := g.ticketBySource("web:" + form.Get("idem"))
	if !strings.Contains(body, tk.Code) {
		t.Fatalf("success page does not show code %s", tk.Code)
	}
	checkMarkup(t, body, dispatch.LangRU)
	if tk.Channel != dispatch.ChannelWeb || tk.Category != dispatch.CategoryEscort || tk.Urgency != dispatch.UrgencyUrgent ||
		len(tk.Needs) != 2 || tk.WindowStart == nil || tk.Lang != dispatch.LangRU {
		t.Fatalf("ticket %+v", tk)
	}
	// The gazetteer placed "Есиль" in Astana, so the engine gets it.
	if tk.Status != dispatch.StatusQueued || tk.Location == nil || !g.queued(tk.ID) {
		t.Fatalf("ticket %s at %v, want queued at Yesil", tk.Status, tk.Location)
	}
	c, err := g.store.ClientByPhone(g.ctx, phone)
	if err != nil || c.Name != "Бауыржан" || c.Lang != dispatch.LangRU {
		t.Fatalf("client %+v %v", c, err)
	}
	// Sending the same page again (a double click, a reload) is the same ticket.
	if code, body := g.submit(b, "/request?lang=ru", form); code != http.StatusOK || !strings.Contains(body, tk.Code) {
		t.Fatalf("resubmit: %d", code)
	}
	if n := g.tickets(); n != 1 {
		t.Fatalf("%d tickets after a resubmission", n)
	}
}

func TestIntakeFormErrorsKeepWhatWasTyped(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	b := g.browser()
	_, body := g.get(b, "/request?lang=en")
	form := formFields(t, body)
	form.Set("phone", "12")
	form.Set("description", `Need <b>"help"</b> with stairs`)
	form.Set("address", "Karaganda")
	form.Set("when", "someday")
	form["needs"] = []string{"medical"}
	code, body := g.submit(b, "/request?lang=en", form)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d, want 422", code)
	}
	checkMarkup(t, body, dispatch.LangEN)
	for _, want := range []string{
		`role="alert"`, `autofocus`, // the summary is announced and focused
		`<a href="#phone">Enter a phone number like`,
		`<a href="#category-escort">Choose what kind of help`,
		`<a href="#when">Enter the date and time`,
		`aria-describedby="phone-hint phone-error"`,
		`value="12"`, `value="Karaganda"`, `value="someday"`,
		`Need &lt;b&gt;&#34;help&#34;&lt;/b&gt; with stairs</textarea>`, // typed text, escaped
		`value="medical" checked`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("error page lacks %s", want)
		}
	}
	if n := g.tickets(); n != 0 {
		t.Fatalf("%d tickets from an invalid form", n)
	}
	// Switching the language keeps the values too, and creates nothing.
	form.Set("switch", "kk")
	code, body = g.submit(b, "/request?lang=en", form)
	if code != http.StatusOK || !strings.Contains(body, `<html lang="kk">`) || !strings.Contains(body, `value="Karaganda"`) {
		t.Fatalf("language switch: %d lost the values or the language", code)
	}
}

func TestIntakeFormRefusesForgeriesAndRobots(t *testing.T) {
	g := newIKRig(t, ikOptions{formRate: 2})
	b := g.browser()
	_, body := g.get(b, "/request?lang=en")
	good := formFields(t, body)
	good.Set("phone", g.phone())
	good.Set("category", "home")
	good.Set("description", "Please help me hang a curtain")

	// Another site's post: no cookie, or a token we did not sign.
	if code, body := g.submit(g.browser(), "/request", good); code != http.StatusForbidden || !strings.Contains(body, "Please help me hang a curtain") {
		t.Fatalf("no cookie: %d, want 403 with the values kept", code)
	}
	forged := url.Values{}
	for k, v := range good {
		forged[k] = v
	}
	forged.Set("csrf", "abc.def")
	if code, _ := g.submit(b, "/request", forged); code != http.StatusForbidden {
		t.Fatalf("forged token: %d, want 403", code)
	}
	// The honeypot.
	robot := url.Values{}
	for k, v := range good {
		robot[k] = v
	}
	robot.Set("website", "http://spam.example")
	if code, _ := g.submit(b, "/request", robot); code != http.StatusUnprocessableEntity {
		t.Fatalf("honeypot: %d, want 422", code)
	}
	if n := g.tickets(); n != 0 {
		t.Fatalf("%d tickets from refused posts", n)
	}
	// Two per minute from one address: the third is refused, values kept.
	for i := range 3 {
		good.Set("idem", "rate-"+string(rune('a'+i)))
		code, body := g.submit(b, "/request", good)
		if i < 2 && code != http.StatusOK {
			t.Fatalf("post %d: %d", i, code)
		}
		if i == 2 && (code != http.StatusTooManyRequests || !strings.Contains(body, "hang a curtain")) {
			t.Fatalf("post %d: %d, want 429 with the values", i, code)
		}
	}
}
