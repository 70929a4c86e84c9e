package notify_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/notify"
)

// realistic is data as the engine and intake pass it, with long Kazakh
// names and addresses, so that the budgets hold for real messages.
var realistic = map[string]any{
	"Code": "AKM-1234", "Category": "accessibility", "DistanceKM": 12, "Window": "02.12 14:00–16:00",
	"TTLMinutes": 10, "ClientName": "Гүлнәр Жұмабекқызы", "ClientPhone": "+77011234567",
	"Address":       "Астана, Сарыарқа ауданы, Кенесары көшесі 40, 12 пәтер",
	"Description":   "Мүгедектер арбасымен емханаға дейін жеткізіп, кейін үйге қайтаруға көмек керек. Лифт істемейді.",
	"VolunteerName": "Айгерім", "When": "02.12 14:00–16:00", "Codes": []string{"AKM-1234", "XOT-5678", "PCE-9012"},
	"Text": "Мен 20 минуттан кейін келемін, подъезд алдында күтіңіз",
}

// budget is the most SMS parts each message may take with realistic data;
// the rest take one part in English and at most two in Kazakh or Russian.
var budget = map[string]int{
	"volunteer.offer":          3,
	"volunteer.assigned":       5,
	"volunteer.help":           3,
	"volunteer.which_code":     2,
	"client.dispatcher":        8,
	"relay.from_volunteer":     2,
	"relay.from_client":        2,
	"relay.closed":             2,
	"client.received_callback": 2,
	"client.help":              2,
	"client.assigned":          2,
}

func TestEveryTemplateRendersWithinBudget(t *testing.T) {
	ts, err := notify.NewTemplates(configs.Files)
	if err != nil {
		t.Fatal(err)
	}
	for key := range notify.Fields {
		for _, lang := range dispatch.Langs {
			text, err := ts.Render(key, lang, realistic)
			if err != nil {
				t.Errorf("%s %s: %v", key, lang, err)
				continue
			}
			if strings.Contains(text, "<no value>") || strings.Contains(text, "%!") {
				t.Errorf("%s %s: placeholder left in %q", key, lang, text)
			}
			segs, ucs2 := dispatch.SMSSegments(text)
			max := budget[key]
			if max == 0 {
				max = 1
				if lang != dispatch.LangEN {
					max = 2
				}
			}
			if segs > max {
				t.Errorf("%s %s: %d parts (ucs2 %v), budget %d: %q", key, lang, segs, ucs2, max, text)
			}
			if lang == dispatch.LangEN && !strings.ContainsAny(text, "АаӘәКк") && ucs2 {
				t.Errorf("%s en: needs UCS-2 without Cyrillic data: %q", key, text)
			}
		}
	}
}

// The district question carries the list the sign-up code builds: its
// parts are budgeted here with the real list in every language.
func TestSignupDistrictQuestionListsEveryDistrict(t *testing.T) {
	ts, err := notify.NewTemplates(configs.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range dispatch.Langs {
		list := dispatch.SignupDistrictList(lang)
		text, err := ts.Render("signup.district", lang, map[string]any{"Districts": list})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, list) || !strings.Contains(text, "7 "+dispatch.SignupDistricts[6].Name[lang]) {
			t.Errorf("%s: the list is not in %q", lang, text)
		}
		if segs, _ := dispatch.SMSSegments(text); segs > 4 {
			t.Errorf("%s: %d parts: %q", lang, segs, text)
		}
	}
}

func TestOfferCarriesNoPersonalData(t *testing.T) {
	ts, err := notify.NewTemplates(configs.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range dispatch.Langs {
		text, err := ts.Render("volunteer.offer", lang, realistic)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"Гүлнәр", "+77011234567", "Кенесары"} {
			if strings.Contains(text, secret) {
				t.Errorf("offer in %s shows %q: %q", lang, secret, text)
			}
		}
		if !strings.Contains(text, "1") || !strings.Contains(text, "2") || !strings.Contains(text, "AKM-1234") {
			t.Errorf("offer in %s lacks the code or the digits to answer with: %q", lang, text)
		}
	}
}

func TestRenderDetails(t *testing.T) {
	ts, err := notify.NewTemplates(configs.Files)
	if err != nil {
		t.Fatal(err)
	}
	// Intake passes lower-case keys.
	got, err := ts.Render("client.received", dispatch.LangEN, map[string]any{"code": "AKM-1234", "name": "x"})
	if err != nil || !strings.Contains(got, "AKM-1234") {
		t.Fatalf("lower-case data: %q, %v", got, err)
	}
	got, _ = ts.Render("volunteer.offer", dispatch.LangKK, map[string]any{"Code": "AKM-1234", "Category": "shopping", "DistanceKM": 3, "TTLMinutes": 10})
	if !strings.Contains(got, "азық-түлік") || strings.Contains(got, ", ,") {
		t.Fatalf("kk offer without a window: %q", got)
	}
	got, _ = ts.Render("volunteer.which_code", dispatch.LangRU, map[string]any{"Codes": "AKM-1234, XOT-5678"})
	if !strings.Contains(got, "AKM-1234, XOT-5678") || !strings.Contains(got, "1 AKM-1234") {
		t.Fatalf("which_code: %q", got)
	}
	if _, err := ts.Render("no.such", dispatch.LangEN, nil); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("unknown key: %v", err)
	}
	if got, err := ts.Render("client.help", "", nil); err != nil || !strings.Contains(got, "STOP") {
		t.Fatalf("empty language: %q, %v", got, err)
	}
}

func TestLoadingNamesTheFault(t *testing.T) {
	good := map[string][]byte{}
	for _, l := range dispatch.Langs {
		b, err := configs.Files.ReadFile("messages/" + string(l) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		good[string(l)] = b
	}
	fsWith := func(lang, json string) fstest.MapFS {
		m := fstest.MapFS{}
		for l, b := range good {
			m["messages/"+l+".json"] = &fstest.MapFile{Data: b}
		}
		m["messages/"+lang+".json"] = &fstest.MapFile{Data: []byte(json)}
		return m
	}
	ru := string(good["ru"])
	tests := []struct {
		name, lang, json string
		want             []string
	}{
		{"missing key", "kk", strings.Replace(string(good["kk"]), `"client.thanks"`, `"client.thanks_x"`, 1),
			[]string{`messages/kk.json: key "client.thanks" is missing`, `"client.thanks_x" is not a message`}},
		{"personal data in an offer", "ru", strings.Replace(ru, "Задача {{.Code}}", "Задача {{.Code}} {{.ClientPhone}}", 1),
			[]string{`messages/ru.json: key "volunteer.offer" uses {{.ClientPhone}}`}},
		{"placeholder in a function", "en", strings.Replace(string(good["en"]), "{{short 300 .Text}}", "{{short 300 .Body}}", 1),
			[]string{`uses {{.Body}}`}},
		{"bad syntax", "en", strings.Replace(string(good["en"]), "{{.Code}} is yours", "{{.Code is yours", 1),
			[]string{`messages/en.json: key "volunteer.assigned"`}},
		{"not json", "kk", "{", []string{"messages/kk.json: not a JSON object"}},
	}
	for _, tt := range tests {
		_, err := notify.NewTemplates(fsWith(tt.lang, tt.json))
		if err == nil {
			t.Errorf("%s: loaded", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}
