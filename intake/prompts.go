package intake

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/twiml"
)

// langPrompts are one language's hotline texts (configs/prompts/<lang>.json).
type langPrompts struct {
	// Voice and Language are Twilio's <Say> attributes for this language.
	Voice    string `json:"voice"`
	Language string `json:"language"`
	// Audio: the texts are <Play>ed from recorded files (Kazakh, which has
	// no Twilio voice), read with Voice only when a file is missing.
	Audio bool              `json:"audio"`
	Texts map[string]string `json:"texts"`
	// Chars say each character of a ticket code.
	Chars map[string]string `json:"chars"`
}

// prompts renders the hotline's texts as TwiML verbs.
type prompts struct {
	langs    map[dispatch.Lang]*langPrompts
	audioDir string
	baseURL  string
	log      *slog.Logger
	missing  sync.Map // audio files reported missing, to log each once
}

func loadPrompts(fsys fs.FS, audioDir, baseURL string, log *slog.Logger) (*prompts, error) {
	p := &prompts{langs: map[dispatch.Lang]*langPrompts{}, audioDir: audioDir, baseURL: baseURL, log: log}
	var keys []string
	for _, l := range dispatch.Langs {
		name := "prompts/" + string(l) + ".json"
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("prompts: %w", err)
		}
		lp := &langPrompts{}
		if err := json.Unmarshal(b, lp); err != nil {
			return nil, fmt.Errorf("prompts %s: %w", name, err)
		}
		got := sortedKeys(lp.Texts)
		if keys == nil {
			keys = got
		} else if strings.Join(keys, ",") != strings.Join(got, ",") {
			return nil, fmt.Errorf("prompts %s: texts %v differ from %s's %v", name, got, dispatch.Langs[0], keys)
		}
		for _, r := range "AEKMHOPCTX0123456789" {
			if lp.Chars[string(r)] == "" {
				return nil, fmt.Errorf("prompts %s: chars has no %q", name, r)
			}
		}
		p.langs[l] = lp
	}
	return p, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *prompts) lang(l dispatch.Lang) *langPrompts {
	if lp, ok := p.langs[l]; ok {
		return lp
	}
	return p.langs[dispatch.LangRU]
}

func (p *prompts) sayIn(lp *langPrompts, text string) twiml.Element {
	return &twiml.VoiceSay{Message: text, Voice: lp.Voice, Language: lp.Language}
}

// text renders prompt key in l. In an audio language a text with a {name}
// is the recorded text (made without the name) followed by the name, read
// with the fallback voice.
func (p *prompts) text(l dispatch.Lang, key, name string) []twiml.Element {
	lp := p.lang(l)
	text := lp.Texts[key]
	if !lp.Audio {
		return []twiml.Element{p.sayIn(lp, strings.ReplaceAll(text, "{name}", name))}
	}
	out := []twiml.Element{p.audio(l, key, strings.ReplaceAll(text, "{name}", ""))}
	if strings.Contains(text, "{name}") && name != "" {
		out = append(out, p.sayIn(lp, name))
	}
	return out
}

// audio is <Play> of l's file for key when it exists, else <Say> of text.
func (p *prompts) audio(l dispatch.Lang, key, text string) twiml.Element {
	lp := p.lang(l)
	name := key + ".wav"
	if _, err := os.Stat(filepath.Join(p.audioDir, string(l), name)); err != nil {
		if _, seen := p.missing.LoadOrStore(string(l)+"/"+name, true); !seen {
			p.log.Warn("intake: prompt audio missing, reading the text instead (run scripts/prompts-audio.sh)",
				"file", filepath.Join(p.audioDir, string(l), name))
		}
		return p.sayIn(lp, text)
	}
	return &twiml.VoicePlay{Url: p.baseURL + "/twilio/audio/" + string(l) + "/" + name}
}

// code reads a ticket code character by character, so that "AKM-1234" is
// heard as letters and digits, not as a word and a number.
func (p *prompts) code(l dispatch.Lang, code string) []twiml.Element {
	lp := p.lang(l)
	var said []string
	var out []twiml.Element
	for _, r := range code {
		c := lp.Chars[string(r)]
		if c == "" {
			continue
		}
		if lp.Audio {
			out = append(out, p.audio(l, "char_"+string(r), c))
		} else {
			said = append(said, c)
		}
	}
	if !lp.Audio {
		out = append(out, p.sayIn(lp, strings.Join(said, ", ")))
	}
	return out
}

// audioName reports whether file may be asked of the audio route: a prompt
// key or a character's name, never a path.
func audioName(file string) bool {
	base, ok := strings.CutSuffix(file, ".wav")
	if !ok || base == "" {
		return false
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// serveAudio answers GET /twilio/audio/:lang/:file from the audio directory.
// Twilio fetches prompts without signing, and they hold no personal data.
func (p *prompts) serveAudio(c echo.Context) error {
	l, err := dispatch.ParseLang(c.Param("lang"))
	file := c.Param("file")
	if err != nil || !audioName(file) {
		return echo.NewHTTPError(http.StatusNotFound, "no such prompt")
	}
	path := filepath.Join(p.audioDir, string(l), file)
	if _, err := os.Stat(path); err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such prompt")
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.File(path)
}
