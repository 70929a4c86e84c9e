package integration

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/notify/twiliotest"
)

// twimlDoc is enough of a TwiML answer to check what the caller hears and
// where the next key goes.
type twimlDoc struct {
	XMLName xml.Name    `xml:"Response"`
	Verbs   []twimlVerb `xml:",any"`
}

type twimlVerb struct {
	XMLName  xml.Name
	Action   string      `xml:"action,attr"`
	Voice    string      `xml:"voice,attr"`
	Language string      `xml:"language,attr"`
	Max      string      `xml:"maxLength,attr"`
	Finish   string      `xml:"finishOnKey,attr"`
	Input    string      `xml:"input,attr"`
	Text     string      `xml:",chardata"`
	Inner    []twimlVerb `xml:",any"`
}

func parseTwiML(t *testing.T, body string) []twimlVerb {
	t.Helper()
	var d twimlDoc
	if err := xml.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("not TwiML: %v\n%s", err, body)
	}
	var flat []twimlVerb
	var walk func([]twimlVerb)
	walk = func(vs []twimlVerb) {
		for _, v := range vs {
			flat = append(flat, v)
			walk(v.Inner)
		}
	}
	walk(d.Verbs)
	return flat
}

// gathersTo reports whether the answer waits for a key sent to path.
func gathersTo(t *testing.T, body, path string) bool {
	for _, v := range parseTwiML(t, body) {
		if (v.XMLName.Local == "Gather" || v.XMLName.Local == "Record") && strings.HasSuffix(v.Action, path) {
			return true
		}
	}
	return false
}

func says(t *testing.T, body, text string) bool {
	for _, v := range parseTwiML(t, body) {
		if v.XMLName.Local == "Say" && strings.Contains(v.Text, text) {
			return true
		}
	}
	return false
}

func TestIntakeCallInEachLanguage(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	g.writeAudio("kk", "category_menu") // a recorded voice for one Kazakh prompt
	for i, tc := range []struct {
		key      string
		lang     dispatch.Lang
		cat      string
		category dispatch.Category
		hear     string // a text of the category menu, said or played
	}{
		{"1", dispatch.LangKK, "3", dispatch.CategoryHome, "/twilio/audio/kk/category_menu.wav"},
		{"2", dispatch.LangRU, "2", dispatch.CategoryShopping, "Магазин или лекарства"},
		{"3", dispatch.LangEN, "4", dispatch.CategoryAccessibility, "Shopping or medicine"},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			sid, from := "CAlang"+tc.key, g.phone()
			body := g.call(sid, from, "/twilio/voice")
			if !gathersTo(t, body, "/twilio/voice/lang") {
				t.Fatalf("a new caller is not asked for the language:\n%s", body)
			}
			body = g.call(sid, from, "/twilio/voice/lang", "Digits", tc.key)
			if !gathersTo(t, body, "/twilio/voice/category") || !strings.Contains(body, tc.hear) {
				t.Fatalf("no category menu in %s:\n%s", tc.lang, body)
			}
			body = g.call(sid, from, "/twilio/voice/category", "Digits", tc.cat)
			rec := parseTwiML(t, body)
			var record *twimlVerb
			for i := range rec {
				if rec[i].XMLName.Local == "Record" {
					record = &rec[i]
				}
			}
			if record == nil || record.Max != "90" || !strings.Contains(record.Finish, "#") {
				t.Fatalf("no <Record maxLength=90 finishOnKey=#>:\n%s", body)
			}
			recURL := "https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/RE" + tc.key
			body = g.call(sid, from, "/twilio/voice/recorded", "RecordingUrl", recURL, "RecordingDuration", "12", "Digits", "#")
			tk := g.ticketBySource(sid)
			if tk.Category != tc.category || tk.Lang != tc.lang || tk.RecordingURL != recURL || tk.Channel != dispatch.ChannelVoice {
				t.Fatalf("ticket = %s %s %q %s; want %s %s %q voice", tk.Category, tk.Lang, tk.RecordingURL, tk.Channel,
					tc.category, tc.lang, recURL)
			}
			// A new caller has no home and said no address we can read: a
			// dispatcher must place the ticket.
			if tk.Status != dispatch.StatusEscalated || tk.Reason != dispatch.ReasonNeedsLocation {
				t.Fatalf("status %s %q, want escalated %q", tk.Status, tk.Reason, dispatch.ReasonNeedsLocation)
			}
			if !gathersTo(t, body, "/twilio/voice/done") {
				t.Fatalf("no read-back with * to repeat:\n%s", body)
			}
			if tc.lang == dispatch.LangEN && !says(t, body, strings.Join(strings.Split(tk.Code[:3], ""), ", ")) {
				t.Fatalf("code %s not read letter by letter:\n%s", tk.Code, body)
			}
			if tc.lang == dispatch.LangRU && !says(t, body, "Номер заявки") {
				t.Fatalf("no Russian read-back:\n%s", body)
			}
			// The call's end, after the ticket, adds nothing.
			g.call(sid, from, "/twilio/voice/status", "CallStatus", "completed")
			if n := g.tickets(); n != i+1 {
				t.Fatalf("%d tickets after %d calls", n, i+1)
			}
		})
	}
}

func TestIntakeKazakhPromptsFallBackToText(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	sid, from := "CAkkfallback", g.phone()
	g.call(sid, from, "/twilio/voice")
	body := g.call(sid, from, "/twilio/voice/lang", "Digits", "1")
	// No recording for the menu: its Kazakh text is read with the fallback
	// voice, and the call goes on.
	found := false
	for _, v := range parseTwiML(t, body) {
		if v.XMLName.Local == "Say" && strings.Contains(v.Text, "Қандай көмек керек") && v.Voice == "Polly.Tatyana" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no <Say> fallback of the Kazakh menu:\n%s", body)
	}
	// A recorded file is served for <Play>, and nothing outside the directory.
	g.writeAudio("kk", "greeting")
	if code, _ := g.get(http.DefaultClient, "/twilio/audio/kk/greeting.wav"); code != http.StatusOK {
		t.Fatalf("audio: %d", code)
	}
	for _, bad := range []string{"/twilio/audio/kk/..%2F..%2Fetc%2Fpasswd", "/twilio/audio/xx/greeting.wav", "/twilio/audio/kk/nope.wav"} {
		if code, _ := g.get(http.DefaultClient, bad); code != http.StatusNotFound {
			t.Fatalf("GET %s: %d, want 404", bad, code)
		}
	}
	body = g.call("CAkkplay", g.phone(), "/twilio/voice")
	if !strings.Contains(body, "<Play>"+g.srv.URL+"/twilio/audio/kk/greeting.wav</Play>") {
		t.Fatalf("recorded greeting not played:\n%s", body)
	}
}

func TestIntakeKnownCallerIsRecognised(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	home := dispatch.Location{Lat: 43.2389, Lon: 76.8897}
	c := &dispatch.Client{Phone: g.phone(), Name: "Әсел", Lang: dispatch.LangKK, Location: &home}
	if err := g.store.CreateClient(g.ctx, c); err != nil {
		t.Fatal(err)
	}
	sid := "CAknown"
	from := "8" + c.Phone[2:] // the local format, as some carriers send it
	body := g.call(sid, from, "/twilio/voice")
	if gathersTo(t, body, "/twilio/voice/lang") || !gathersTo(t, body, "/twilio/voice/category") {
		t.Fatalf("a known caller is asked for the language again:\n%s", body)
	}
	if !says(t, body, "Әсел") {
		t.Fatalf("the caller is not greeted by name:\n%s", body)
	}
	g.call(sid, from, "/twilio/voice/category", "Digits", "1")
	g.call(sid, from, "/twilio/voice/recorded", "RecordingUrl", "https://api.twilio.com/rec/RE1")
	tk := g.ticketBySource(sid)
	if tk.ClientID != c.ID || tk.Lang != dispatch.LangKK || tk.Category != dispatch.CategoryEscort {
		t.Fatalf("ticket client %d lang %s cat %s", tk.ClientID, tk.Lang, tk.Category)
	}
	if tk.Status != dispatch.StatusQueued || tk.DueAt == nil || tk.Location == nil || *tk.Location != home {
		t.Fatalf("ticket at home should be queued now: %s due %v loc %v", tk.Status, tk.DueAt, tk.Location)
	}
	if !g.queued(tk.ID) {
		t.Fatal("queued ticket not handed to the engine's queue")
	}
	ns, err := g.store.Notifications(g.ctx, tk.ID)
	if err != nil || len(ns) != 1 || ns[0].Template != dispatch.TemplateReceived || ns[0].Lang != dispatch.LangKK ||
		!strings.Contains(ns[0].Body, tk.Code) || !strings.Contains(ns[0].Body, "қабылданды") || ns[0].To != c.Phone {
		t.Fatalf("confirmation text: %+v %v", ns, err)
	}
}

func TestIntakeAbandonedCallLeavesCallBack(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	sid, from := "CAabandoned", g.phone()
	g.call(sid, from, "/twilio/voice")
	g.call(sid, from, "/twilio/voice/lang", "Digits", "2")
	// The caller hangs up: Twilio's status callback is all that comes.
	g.call(sid, from, "/twilio/voice/status", "CallStatus", "completed")
	tk := g.ticketBySource(sid)
	if !tk.CallBack || tk.Status != dispatch.StatusEscalated || tk.Reason != dispatch.ReasonCallBack || tk.Lang != dispatch.LangRU {
		t.Fatalf("abandoned call: callback=%v %s %q %s", tk.CallBack, tk.Status, tk.Reason, tk.Lang)
	}
	ns, _ := g.store.Notifications(g.ctx, tk.ID)
	if len(ns) != 1 || ns[0].Template != dispatch.TemplateReceivedCallBack || !strings.Contains(ns[0].Body, "перезвоним") ||
		!strings.Contains(ns[0].Body, tk.Code) {
		t.Fatalf("call-back text: %+v", ns)
	}
	g.call(sid, from, "/twilio/voice/status", "CallStatus", "completed")
	if n := g.tickets(); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
}

func TestIntakeCallTimeoutsGoOnWithWhatIsKnown(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	sid, from := "CAsilent", g.phone()
	g.call(sid, from, "/twilio/voice")
	// No key twice: the menu is repeated once, then Russian is assumed.
	body := g.call(sid, from, "/twilio/voice/lang")
	if !gathersTo(t, body, "/twilio/voice/lang") {
		t.Fatalf("first timeout should repeat the menu:\n%s", body)
	}
	body = g.call(sid, from, "/twilio/voice/lang")
	if !gathersTo(t, body, "/twilio/voice/category") {
		t.Fatalf("second timeout should go on:\n%s", body)
	}
	// * repeats without counting; then silence twice: "other".
	if body = g.call(sid, from, "/twilio/voice/category", "Digits", "*"); !gathersTo(t, body, "/twilio/voice/category") {
		t.Fatalf("* should repeat:\n%s", body)
	}
	g.call(sid, from, "/twilio/voice/category")
	body = g.call(sid, from, "/twilio/voice/category", "Digits", "9")
	if !gathersTo(t, body, "/twilio/voice/recorded") {
		t.Fatalf("after two misses the call should go on to the recording:\n%s", body)
	}
	// Nothing recorded twice: the ticket is made without a recording.
	g.call(sid, from, "/twilio/voice/recorded")
	g.call(sid, from, "/twilio/voice/recorded")
	tk := g.ticketBySource(sid)
	if tk.Category != dispatch.CategoryOther || tk.Lang != dispatch.LangRU || tk.RecordingURL != "" {
		t.Fatalf("ticket %s %s %q", tk.Category, tk.Lang, tk.RecordingURL)
	}
}

func TestIntakeZeroReachesDispatcherOrVoicemail(t *testing.T) {
	g := newIKRig(t, ikOptions{dispatcher: "+77172000000"})
	sid, from := "CAhuman", g.phone()
	g.call(sid, from, "/twilio/voice")
	body := g.call(sid, from, "/twilio/voice/lang", "Digits", "0")
	if !strings.Contains(body, "<Dial") || !strings.Contains(body, "+77172000000") {
		t.Fatalf("0 should dial the dispatchers:\n%s", body)
	}
	body = g.call(sid, from, "/twilio/voice/dial-result", "DialCallStatus", "no-answer")
	if !gathersTo(t, body, "/twilio/voice/voicemail") {
		t.Fatalf("nobody answered: no voicemail:\n%s", body)
	}
	g.call(sid, from, "/twilio/voice/voicemail", "RecordingUrl", "https://api.twilio.com/rec/VM1")
	tk := g.ticketBySource(sid)
	if !tk.CallBack || tk.RecordingURL != "https://api.twilio.com/rec/VM1" || tk.Reason != dispatch.ReasonCallBack {
		t.Fatalf("voicemail ticket: callback=%v %q %q", tk.CallBack, tk.RecordingURL, tk.Reason)
	}
	// Without a dispatcher number, 0 goes straight to voicemail.
	g2 := newIKRig(t, ikOptions{})
	g2.call("CAnight", g2.phone(), "/twilio/voice")
	if body := g2.call("CAnight", from, "/twilio/voice/lang", "Digits", "0"); !gathersTo(t, body, "/twilio/voice/voicemail") {
		t.Fatalf("no voicemail without dispatchers:\n%s", body)
	}
}

func TestIntakeWebhooksRefuseBadSignatures(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	p := url.Values{"CallSid": {"CAforged"}, "From": {g.phone()}, "CallStatus": {"completed"}}
	sms := url.Values{"MessageSid": {"SMforged"}, "From": {g.phone()}, "Body": {"помогите"}}
	for _, tc := range []struct {
		name, path string
		params     url.Values
		sig        string
	}{
		{"unsigned voice", "/twilio/voice", p, ""},
		{"unsigned status", "/twilio/voice/status", p, ""},
		{"unsigned sms", "/twilio/sms", sms, ""},
		{"wrong token", "/twilio/voice", p, "bm90IGEgc2lnbmF0dXJl"},
		{"other token", "/twilio/sms", sms, twiliotest.Sign("another-token", g.srv.URL+"/twilio/sms", sms)},
		{"other path", "/twilio/voice/status", p, twiliotest.Sign(ikToken, g.srv.URL+"/twilio/voice", p)},
		{"changed param", "/twilio/sms", sms, twiliotest.Sign(ikToken, g.srv.URL+"/twilio/sms",
			url.Values{"MessageSid": {"SMforged"}, "From": sms["From"], "Body": {"другой текст"}})},
	} {
		if code, body := g.post(tc.path, tc.params, tc.sig); code != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", tc.name, code, body)
		}
	}
	if n := g.tickets(); n != 0 {
		t.Fatalf("%d tickets after forged requests", n)
	}
	if _, err := g.store.Call(g.ctx, "CAforged"); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Fatalf("a forged call was stored: %v", err)
	}
	// Too big: 413; malformed: 400 saying what.
	big := url.Values{"CallSid": {"CAbig"}, "Body": {strings.Repeat("x", 70<<10)}}
	if code, _ := g.twilio("/twilio/sms", big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d, want 413", code)
	}
	req, _ := http.NewRequest(http.MethodPost, g.srv.URL+"/twilio/sms", strings.NewReader("a=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", "x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed form: %d, want 400", res.StatusCode)
	}
}

// A caller whose number is withheld cannot get a ticket (nobody could call
// them back): in the dispatchers' hours the call goes to a person.
func TestIntakeWithheldNumberReachesDispatcher(t *testing.T) {
	g := newIKRig(t, ikOptions{dispatcher: "+77172000000"})
	sid, from := "CAanon", "anonymous"
	g.call(sid, from, "/twilio/voice")
	g.call(sid, from, "/twilio/voice/lang", "Digits", "2")
	g.call(sid, from, "/twilio/voice/category", "Digits", "5")
	body := g.call(sid, from, "/twilio/voice/recorded", "RecordingUrl", "https://api.twilio.com/rec/RE9")
	if !strings.Contains(body, "<Dial") {
		t.Fatalf("withheld caller not put through to a dispatcher:\n%s", body)
	}
	if n := g.tickets(); n != 0 {
		t.Fatalf("%d tickets for a number nobody can call", n)
	}
}
