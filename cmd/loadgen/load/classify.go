package load

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/kz-volunteers/dispatcher/configs"
)

// Kinds of outgoing text that the books and the volunteer simulation care
// about. Every other text is KindOther.
const (
	KindOffer     = "volunteer.offer"
	KindAssigned  = "volunteer.assigned"
	KindReceived  = "client.received"
	KindCallback  = "client.received_callback"
	KindClientAsg = "client.assigned"
	KindOther     = "other"
)

// uniqueKinds are texts that must reach one phone at most once per ticket:
// a second one is a message sent twice.
var uniqueKinds = map[string]bool{KindOffer: true, KindAssigned: true, KindReceived: true, KindCallback: true, KindClientAsg: true}

// codeRE finds a ticket code ("AKM-1234") in a text.
var codeRE = regexp.MustCompile(`[AEKMHOPCTX]{3}-[0-9]{4}`)

// Classifier tells which template, in any language, rendered a text. It is
// built from the service's own templates (configs/messages), so a changed
// wording does not silently blind the load generator.
type Classifier struct {
	kinds []string
	res   [][]*regexp.Regexp
}

// actionRE is one template action; ifRE an {{if}}...{{end}} block, which
// may render to nothing.
var (
	ifRE     = regexp.MustCompile(`\{\{if[^}]*\}\}.*?\{\{end\}\}`)
	actionRE = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

// NewClassifier compiles the templates of kinds (all the interesting ones
// when empty) in kk, ru and en.
func NewClassifier() (*Classifier, error) {
	kinds := []string{KindOffer, KindAssigned, KindReceived, KindCallback, KindClientAsg}
	c := &Classifier{kinds: kinds, res: make([][]*regexp.Regexp, len(kinds))}
	for _, lang := range []string{"kk", "ru", "en"} {
		b, err := fs.ReadFile(configs.Files, "messages/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("loadgen: templates: %w", err)
		}
		var tmpl map[string]string
		if err := json.Unmarshal(b, &tmpl); err != nil {
			return nil, fmt.Errorf("loadgen: templates %s: %w", lang, err)
		}
		for i, k := range kinds {
			t, ok := tmpl[k]
			if !ok {
				return nil, fmt.Errorf("loadgen: template %s missing in %s", k, lang)
			}
			c.res[i] = append(c.res[i], templateRE(t))
		}
	}
	return c, nil
}

// templateRE matches what t can render to: its literal text with anything
// in place of each action.
func templateRE(t string) *regexp.Regexp {
	const hole = "\x00"
	t = ifRE.ReplaceAllString(t, hole)
	t = actionRE.ReplaceAllString(t, hole)
	parts := strings.Split(t, hole)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?s)^` + strings.Join(parts, `.*?`) + `$`)
}

// Classify returns the kind of body and the ticket code it names ("" when
// none).
func (c *Classifier) Classify(body string) (kind, code string) {
	code = codeRE.FindString(body)
	for i, k := range c.kinds {
		for _, re := range c.res[i] {
			if re.MatchString(body) {
				return k, code
			}
		}
	}
	return KindOther, code
}
