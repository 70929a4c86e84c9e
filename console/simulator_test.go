package console

import (
	"net/url"
	"testing"
	"testing/fstest"
)

// The example of Twilio's security documentation; the expected value was
// computed independently (Python's hmac) and matches the documentation.
func TestTwilioSignature(t *testing.T) {
	form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	got := twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form)
	if want := "0/KCTR6DLpKmkAf8muzZqo1nDgQ="; got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if other := twilioSignature("12346", "https://mycompany.com/myapp.php?foo=1&bar=2", form); other == got {
		t.Error("the token does not change the signature")
	}
}

const greeting = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say language="ru-RU" voice="Polly.Tatyana">Здравствуйте.</Say>
  <Gather input="dtmf" numDigits="1" timeout="6" action="/twilio/voice/lang?try=1">
    <Play>http://localhost:8080/audio/kk/choose.mp3</Play>
    <Say language="en-US">Press 3 for English.</Say>
  </Gather>
  <Say language="en-US">Sorry, I did not hear a key.</Say>
  <Redirect method="POST">/twilio/voice/lang?try=2</Redirect>
</Response>`

// The simulator follows TwiML as Twilio does: prompts in order, nested
// ones included, and it stops at the first verb that waits for the caller,
// knowing where the key goes and where silence leads.
func TestWalkGather(t *testing.T) {
	doc, err := parseTwiML([]byte(greeting))
	if err != nil {
		t.Fatal(err)
	}
	s := walk(doc)
	if s.Wait != "gather" || s.Action != "/twilio/voice/lang?try=1" || s.Timeout != "/twilio/voice/lang?try=2" {
		t.Errorf("step = %+v", s)
	}
	want := []callPrompt{{Kind: "say", Text: "Здравствуйте.", Lang: "ru-RU"}, {Kind: "play", Text: "http://localhost:8080/audio/kk/choose.mp3"},
		{Kind: "say", Text: "Press 3 for English.", Lang: "en-US"}}
	if len(s.Prompts) != len(want) {
		t.Fatalf("prompts %+v, want %+v", s.Prompts, want)
	}
	for i := range want {
		if s.Prompts[i] != want[i] {
			t.Errorf("prompt %d = %+v, want %+v", i, s.Prompts[i], want[i])
		}
	}
}

func TestWalkOtherVerbs(t *testing.T) {
	for _, tc := range []struct {
		name, body, wait, action, redirect string
		lastKind                           string
	}{
		{"record", `<Response><Say>Speak after the tone.</Say><Record maxLength="120" action="/twilio/voice/recorded"/></Response>`, "record", "/twilio/voice/recorded", "", "record"},
		{"dial", `<Response><Dial action="/twilio/voice/dialed" timeout="20"><Number>+77010000000</Number></Dial></Response>`, "dial", "/twilio/voice/dialed", "", "dial"},
		{"redirect", `<Response><Redirect>/twilio/voice/next</Redirect></Response>`, "", "", "/twilio/voice/next", ""},
		{"hangup", `<Response><Say>Your code is A B 1 2.</Say><Hangup/></Response>`, "", "", "", "hangup"},
		{"end of document", `<Response><Say>Bye.</Say></Response>`, "", "", "", "hangup"},
		{"sms reply", `<Response><Message>Got it: A12</Message></Response>`, "", "", "", "hangup"},
	} {
		doc, err := parseTwiML([]byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		s := walk(doc)
		if s.Wait != tc.wait || s.Action != tc.action || s.Redirect != tc.redirect {
			t.Errorf("%s: step %+v", tc.name, s)
		}
		if tc.lastKind != "" && (len(s.Prompts) == 0 || s.Prompts[len(s.Prompts)-1].Kind != tc.lastKind) {
			t.Errorf("%s: prompts %+v, want the last one %s", tc.name, s.Prompts, tc.lastKind)
		}
		if tc.name == "dial" && s.Prompts[0].Text != "+77010000000" {
			t.Errorf("dialled number %q", s.Prompts[0].Text)
		}
	}
}

func TestParseTwiMLRejectsOtherXML(t *testing.T) {
	if _, err := parseTwiML([]byte(`<html><body>502</body></html>`)); err == nil {
		t.Error("an HTML error page parsed as TwiML")
	}
}

func TestSaid(t *testing.T) {
	fsys := fstest.MapFS{"prompts/kk.json": {Data: []byte(`{"voice":"x","texts":{"greeting":"Сәлеметсіз бе!"}}`)}}
	texts := promptTexts(fsys)
	for in, want := range map[string]string{
		"http://localhost:8080/twilio/audio/kk/greeting.wav": "Сәлеметсіз бе!",
		"http://localhost:8080/twilio/audio/kk/char_7.wav":   "7",
		"http://localhost:8080/twilio/audio/ru/greeting.wav": "",
		"http://localhost:8080/twilio/audio/kk/unknown.wav":  "",
	} {
		if got := said(texts, in); got != want {
			t.Errorf("said(%s) = %q, want %q", in, got, want)
		}
	}
	if len(promptTexts(nil)) != 0 {
		t.Error("no prompt files should give no texts")
	}
}
