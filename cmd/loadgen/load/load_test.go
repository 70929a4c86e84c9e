package load

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/notify"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

// The classifier must recognise every text the service really renders, in
// every language, or the simulated volunteers would never answer.
func TestClassifierKnowsTheServiceTexts(t *testing.T) {
	ts, err := notify.NewTemplates(configs.Files)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"Code": "AKM-1234", "Category": dispatch.CategoryShopping, "DistanceKM": "1.2",
		"TTLMinutes": 10, "ClientName": "Айгерим", "ClientPhone": "+77011234567", "Address": "Астана, Абая 1",
		"Description": "Купить продукты", "VolunteerName": "Ерлан", "When": "", "Window": ""}
	for _, lang := range dispatch.Langs {
		for _, kind := range []string{KindOffer, KindAssigned, KindReceived, KindCallback, KindClientAsg} {
			body, err := ts.Render(kind, lang, data)
			if err != nil {
				t.Fatalf("%s %s: %v", kind, lang, err)
			}
			got, code := c.Classify(body)
			if got != kind || code != "AKM-1234" {
				t.Errorf("%s in %s: %q classified as %s, code %q", kind, lang, body, got, code)
			}
		}
		for _, other := range []string{"volunteer.taken", "volunteer.help", "client.done"} {
			body, err := ts.Render(other, lang, data)
			if err != nil {
				t.Fatalf("%s %s: %v", other, lang, err)
			}
			if got, _ := c.Classify(body); got != KindOther {
				t.Errorf("%s in %s: %q classified as %s", other, lang, body, got)
			}
		}
	}
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := summarize(ds)
	if l.N != 100 || l.P50 != 50 || l.P95 != 95 || l.P99 != 99 || l.Max != 100 {
		t.Errorf("summarize = %+v, want n 100, p50 50, p95 95, p99 99, max 100", l)
	}
	if (summarize(nil) != Latency{}) {
		t.Error("summarize(nil) is not zero")
	}
}

func TestOnlyLoopbackTargets(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80"} {
		if err := loopback(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "https://example.org", "127.0.0.1:8080", ""} {
		if err := loopback(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

func TestReportOutputs(t *testing.T) {
	rep := &Report{Label: "t", Targets: []string{"http://127.0.0.1:1"}, Rate: 10, Duration: "1s",
		Webhooks: Latency{N: 2, P50: 1, P99: 2, Max: 3}, Errors: map[string]int{"sms_http_503": 2},
		Books:    &Books{Balanced: false, Lost: 1, Problems: []string{"lost one"}},
		Timeline: []Second{{T: 0, Sent: 5, P50: 1, P99: 2, Max: 3}, {T: 1, Sent: 4, Errors: 1, P50: 1, P99: 5, Max: 9}}}
	md := rep.Markdown()
	for _, want := range []string{"do not balance", "lost 1", "sms_http_503 2", "- lost one"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	svg := rep.SVG()
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<polyline") != 3 || !strings.HasSuffix(svg, "</svg>\n") {
		t.Errorf("svg malformed:\n%s", svg)
	}
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
}

// The books must be able to say no: a lost request, a text sent twice and
// an impossible state are each caught.
func TestBooksCatchLossDuplicatesAndBadStates(t *testing.T) {
	const phone = "+77071234567"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/clients":
			fmt.Fprintf(w, `{"items":[{"id":1,"phone":%q}],"total":1}`, phone)
		case "/api/v1/tickets":
			fmt.Fprint(w, `{"items":[{"id":1,"code":"AKM-1234","status":"queued","client_id":1},
				{"id":2,"code":"AKM-5678","status":"assigned","client_id":1}],"total":2}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	c, err := NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	fake, err := NewFakeTwilio("127.0.0.1:0", c)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	r, err := NewRunner(Config{Targets: []string{api.URL}, PublicBaseURL: api.URL, WebhookToken: "x",
		APITokens: []string{"tok"}, Rate: 1, Duration: time.Second}, fake)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // three requests answered 2xx, two tickets
		r.intakes = append(r.intakes, &intake{channel: GroupSMS, phone: phone, accepted: true, attempts: 1})
	}
	ts, err := notify.NewTemplates(configs.Files)
	if err != nil {
		t.Fatal(err)
	}
	body, err := ts.Render(KindReceived, dispatch.LangRU, map[string]any{"Code": "AKM-1234"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the same confirmation twice
		form := url.Values{"To": {phone}, "From": {"+77000000000"}, "Body": {body}}
		req, _ := http.NewRequest(http.MethodPost, fake.URL()+"/2010-04-01/Accounts/"+twiliotest.AccountSID+"/Messages.json",
			strings.NewReader(form.Encode()))
		req.SetBasicAuth(twiliotest.AccountSID, twiliotest.AuthToken)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("fake Twilio answered %d", resp.StatusCode)
		}
	}
	b, err := r.checkBooks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.Balanced || b.Lost != 1 || b.DuplicateTexts != 1 || b.BadState != 1 || b.Tickets != 2 {
		t.Errorf("books = %+v; want unbalanced with 1 lost, 1 text twice, 1 bad state, 2 tickets", b)
	}
}
