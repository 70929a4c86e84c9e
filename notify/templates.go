// Package notify sends text messages: through Twilio's REST API, or through
// a simulator that keeps them in the database; and renders the texts from
// the templates under configs/messages.
package notify

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Fields lists every message key and the data fields its text may use. It is
// the one place that says what a message can carry: an offer lists no name,
// phone or address, so a template that tried to show them fails at start,
// and data a caller passes beyond these fields never reaches the text.
var Fields = map[string][]string{
	"volunteer.offer":          {"Code", "Category", "DistanceKM", "Window", "TTLMinutes"},
	"volunteer.assigned":       {"Code", "ClientName", "ClientPhone", "Address", "Description"},
	"volunteer.taken":          {"Code"},
	"volunteer.expired":        {"Code"},
	"volunteer.declined_ok":    {"Code"},
	"volunteer.onway_ok":       {"Code"},
	"volunteer.done_ok":        {"Code"},
	"volunteer.paused":         nil,
	"volunteer.resumed":        nil,
	"volunteer.stopped":        nil,
	"volunteer.started":        nil,
	"volunteer.help":           nil,
	"volunteer.which_code":     {"Codes"},
	"volunteer.no_offer":       nil,
	"volunteer.no_task":        nil,
	"client.received":          {"Code"},
	"client.received_callback": {"Code"},
	"client.received_consult":  {"Code"},
	"client.assigned":          {"Code", "VolunteerName", "When"},
	"client.onway":             {"Code", "VolunteerName"},
	"client.done":              {"Code"},
	"client.thanks":            {"Code"},
	"client.cancelled":         {"Code"},
	"client.dispatcher":        {"Code", "Text"},
	"client.help":              nil,
	"client.stopped":           nil,
	"client.started":           nil,
	"relay.from_volunteer":     {"Code", "Text"},
	"relay.from_client":        {"Code", "Text"},
	"relay.closed":             {"Code"},
	// The volunteer sign-up (dispatch.Signups): the SMS conversation's
	// questions, the confirmation (also of the public form) and the answers
	// of the registry.
	"signup.name":      nil,
	"signup.district":  {"Districts"},
	"signup.languages": nil,
	"signup.skills":    nil,
	"signup.consent":   nil,
	"signup.done":      nil,
	"signup.cancelled": nil,
	"signup.waiting":   nil,
	"signup.approved":  nil,
}

// categoryNames are the kinds of help as messages name them.
var categoryNames = map[dispatch.Lang]map[dispatch.Category]string{
	dispatch.LangKK: {dispatch.CategoryEscort: "сүйемелдеу", dispatch.CategoryShopping: "азық-түлік не дәрі",
		dispatch.CategoryHome: "үйде көмек", dispatch.CategoryAccessibility: "кедергі (пандус, лифт)", dispatch.CategoryOther: "басқа көмек"},
	dispatch.LangRU: {dispatch.CategoryEscort: "сопровождение", dispatch.CategoryShopping: "продукты или лекарства",
		dispatch.CategoryHome: "помощь дома", dispatch.CategoryAccessibility: "барьер (пандус, лифт)", dispatch.CategoryOther: "другая помощь"},
	dispatch.LangEN: {dispatch.CategoryEscort: "escort", dispatch.CategoryShopping: "shopping or medicine",
		dispatch.CategoryHome: "help at home", dispatch.CategoryAccessibility: "a barrier (ramp, lift)", dispatch.CategoryOther: "other help"},
}

// Templates renders the messages of configs/messages/{kk,ru,en}.json. It
// implements dispatch.Messages and is safe for concurrent use.
type Templates struct {
	t map[dispatch.Lang]map[string]*template.Template
}

var _ dispatch.Messages = (*Templates)(nil)

// NewTemplates loads messages/<lang>.json from fsys (configs.Files) and
// checks them all: every key of Fields in every language, no key it does
// not know, and no placeholder a key is not documented to take. The error
// names the language and the key, so a bad edit stops the service at start
// rather than a text in the middle of the night.
func NewTemplates(fsys fs.FS) (*Templates, error) {
	const op = "notify.NewTemplates"
	ts := &Templates{t: map[dispatch.Lang]map[string]*template.Template{}}
	var errs []string
	for _, lang := range dispatch.Langs {
		name := "messages/" + string(lang) + ".json"
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		var texts map[string]string
		if err := json.Unmarshal(b, &texts); err != nil {
			errs = append(errs, fmt.Sprintf("%s: not a JSON object of strings: %v", name, err))
			continue
		}
		ts.t[lang] = map[string]*template.Template{}
		for key, text := range texts {
			fields, known := Fields[key]
			if !known {
				errs = append(errs, fmt.Sprintf("%s: key %q is not a message the service sends (see notify.Fields)", name, key))
				continue
			}
			t, err := template.New(key).Funcs(funcs(lang)).Option("missingkey=zero").Parse(text)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: key %q: %v", name, key, err))
				continue
			}
			for _, f := range placeholders(t.Tree.Root) {
				if !contains(fields, f) {
					errs = append(errs, fmt.Sprintf("%s: key %q uses {{.%s}}, which it does not take (it takes %s)",
						name, key, f, strings.Join(fields, ", ")))
				}
			}
			ts.t[lang][key] = t
		}
		for key := range Fields {
			if _, ok := texts[key]; !ok {
				errs = append(errs, fmt.Sprintf("%s: key %q is missing", name, key))
			}
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "message templates:\n  %s", strings.Join(errs, "\n  ")))
	}
	return ts, nil
}

// Render returns the text of key in lang (Russian when lang is not one of
// the service's). Data keys match the documented fields regardless of case
// ("code" is Code); fields not given render empty, fields not documented
// for the key are dropped.
func (ts *Templates) Render(key string, lang dispatch.Lang, data map[string]any) (string, error) {
	const op = "notify.Render"
	if !lang.Valid() {
		lang = dispatch.LangRU
	}
	t, ok := ts.t[lang][key]
	if !ok {
		return "", dispatch.E(op, dispatch.Errorf(dispatch.ENOTFOUND, "no message %q", key))
	}
	in := map[string]any{}
	for _, f := range Fields[key] {
		in[f] = ""
		for k, v := range data {
			if strings.EqualFold(k, f) {
				in[f] = v
			}
		}
	}
	var b strings.Builder
	if err := t.Execute(&b, in); err != nil {
		return "", dispatch.E(op, dispatch.Errorf(dispatch.EINTERNAL, "message %q (%s): %v", key, lang, err))
	}
	return gsmFriendly(strings.Join(strings.Fields(b.String()), " ")), nil
}

// typographic are characters outside GSM-7 with a plain twin inside it.
var typographic = strings.NewReplacer("–", "-", "—", "-", "‘", "'", "’", "'", "“", "\"", "”", "\"", "…", "...", "«", "\"", "»", "\"")

// gsmFriendly swaps typographic dashes, quotes and ellipses for plain ones
// when that makes the whole text GSM-7: one en dash in a time window would
// otherwise cut an English SMS from 160 characters to 70. Texts that need
// UCS-2 anyway keep their typography.
func gsmFriendly(s string) string {
	plain := typographic.Replace(s)
	if plain == s {
		return s
	}
	if _, ucs2 := dispatch.SMSSegments(plain); ucs2 {
		return s
	}
	return plain
}

func funcs(lang dispatch.Lang) template.FuncMap {
	return template.FuncMap{
		// category names a kind of help in the message's language.
		"category": func(c any) string {
			s := fmt.Sprint(c)
			if n, ok := categoryNames[lang][dispatch.Category(s)]; ok {
				return n
			}
			return s
		},
		// short keeps free text (a description, a relayed message) from
		// turning one SMS into many.
		"short": func(n int, v any) string {
			s := strings.TrimSpace(fmt.Sprint(v))
			if utf8.RuneCountInString(s) <= n {
				return s
			}
			r := []rune(s)
			return strings.TrimSpace(string(r[:n-1])) + "…"
		},
		"join": func(v any) string { return strings.Join(list(v), ", ") },
		"first": func(v any) string {
			if l := list(v); len(l) > 0 {
				return l[0]
			}
			return ""
		},
	}
}

// list accepts the forms a list of codes arrives in.
func list(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case string:
		if x == "" {
			return nil
		}
		return strings.Split(x, ", ")
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(e)
		}
		return out
	}
	return nil
}

// placeholders lists the data fields a template reads ({{.Code}}, also
// inside if, range and function calls).
func placeholders(n parse.Node) []string {
	var out []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return
			}
			for _, c := range x.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				walk(a)
			}
		case *parse.FieldNode:
			out = append(out, x.Ident[0])
		case *parse.ChainNode:
			walk(x.Node)
		case *parse.IfNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.RangeNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.WithNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		}
	}
	walk(n)
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
