package console

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"net/url"
	"sort"
	"strings"
)

// twilioSignature signs a webhook the way Twilio does: HMAC-SHA1, keyed
// with the auth token, over the full URL followed by every POST parameter
// sorted by name, each as name then value, base64-encoded. The simulator
// uses the development token, so its requests pass the very check that
// real Twilio requests pass; there is no switch that turns the check off.
func twilioSignature(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := append([]string(nil), form[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// twiml is a parsed TwiML <Response>: the verbs in order, as far as the
// simulator follows them.
type twiml struct {
	Verbs []twimlVerb
}

// twimlVerb is one verb. Gather holds its nested Say and Play verbs.
type twimlVerb struct {
	Name string // Say, Play, Gather, Record, Redirect, Dial, Hangup, Pause, Message, Reject
	Text string // the spoken text, the URL played, the number dialled, the redirect target
	Attr map[string]string
	Kids []twimlVerb
}

// parseTwiML reads a TwiML document. It keeps what a person on the phone
// would hear and what the call does next; unknown verbs are kept by name.
func parseTwiML(body []byte) (*twiml, error) {
	var doc struct {
		XMLName xml.Name  `xml:"Response"`
		Nodes   []xmlNode `xml:",any"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	return &twiml{Verbs: verbs(doc.Nodes)}, nil
}

type xmlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []xmlNode  `xml:",any"`
}

func verbs(nodes []xmlNode) []twimlVerb {
	var out []twimlVerb
	for _, n := range nodes {
		v := twimlVerb{Name: n.XMLName.Local, Text: strings.TrimSpace(n.Text), Attr: map[string]string{}}
		for _, a := range n.Attrs {
			v.Attr[a.Name.Local] = a.Value
		}
		v.Kids = verbs(n.Nodes)
		// <Dial><Number>+7…</Number></Dial>: the number is a child.
		if v.Name == "Dial" && v.Text == "" {
			for _, k := range v.Kids {
				if k.Name == "Number" {
					v.Text = k.Text
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// callPrompt is one line the caller hears (or a note of what happens).
type callPrompt struct {
	Kind string // "say", "play", "dial", "hangup", "message", "record"
	Text string
	Lang string
	// Said is the text an audio prompt speaks, when the prompt files tell.
	Said string
}

// callStep is where a simulated call stands after one webhook answer: what
// was heard, and what the caller can do next.
type callStep struct {
	Prompts []callPrompt
	// Wait is what the call waits for: "gather" (keys), "record", "dial"
	// (the dispatcher's phone rings) or "" (the call has ended).
	Wait string
	// Action is the URL the next input is posted to; Timeout the URL that
	// follows when the caller presses nothing ("" ends the call).
	Action         string
	Timeout        string
	TimeoutOnEmpty bool // Gather's actionOnEmptyResult: the timeout posts to Action with no digits
	// Redirect is set when the answer redirects at once (no input needed).
	Redirect string
}

// walk follows a TwiML answer as Twilio would, up to the first verb that
// waits for the caller.
func walk(doc *twiml) callStep {
	var s callStep
	for i, v := range doc.Verbs {
		switch v.Name {
		case "Say":
			s.Prompts = append(s.Prompts, callPrompt{Kind: "say", Text: v.Text, Lang: v.Attr["language"]})
		case "Play":
			s.Prompts = append(s.Prompts, callPrompt{Kind: "play", Text: v.Text})
		case "Message":
			s.Prompts = append(s.Prompts, callPrompt{Kind: "message", Text: v.Text})
		case "Gather":
			for _, k := range v.Kids {
				switch k.Name {
				case "Say":
					s.Prompts = append(s.Prompts, callPrompt{Kind: "say", Text: k.Text, Lang: k.Attr["language"]})
				case "Play":
					s.Prompts = append(s.Prompts, callPrompt{Kind: "play", Text: k.Text})
				}
			}
			s.Wait, s.Action = "gather", v.Attr["action"]
			s.TimeoutOnEmpty = v.Attr["actionOnEmptyResult"] == "true"
			// With no input Twilio goes on with the verbs after <Gather>;
			// the simulator follows the first redirect among them.
			s.Timeout = nextRedirect(doc.Verbs[i+1:])
			return s
		case "Record":
			s.Prompts = append(s.Prompts, callPrompt{Kind: "record", Text: v.Attr["maxLength"]})
			s.Wait, s.Action = "record", v.Attr["action"]
			return s
		case "Dial":
			s.Prompts = append(s.Prompts, callPrompt{Kind: "dial", Text: v.Text})
			s.Wait, s.Action = "dial", v.Attr["action"]
			s.Timeout = nextRedirect(doc.Verbs[i+1:])
			return s
		case "Redirect":
			s.Redirect = v.Text
			return s
		case "Hangup", "Reject":
			s.Prompts = append(s.Prompts, callPrompt{Kind: "hangup"})
			return s
		}
	}
	if len(s.Prompts) == 0 || s.Prompts[len(s.Prompts)-1].Kind != "hangup" {
		s.Prompts = append(s.Prompts, callPrompt{Kind: "hangup"})
	}
	return s
}

func nextRedirect(vs []twimlVerb) string {
	for _, v := range vs {
		if v.Name == "Redirect" {
			return v.Text
		}
	}
	return ""
}
