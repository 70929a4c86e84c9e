package console

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"path"
	"strings"
)

// Kazakh hotline prompts are audio files (Twilio has no Kazakh voice), so a
// <Play> alone tells the simulator's user nothing. The prompt files under
// configs/prompts/ hold the text each file speaks; the simulator shows it.

// promptTexts reads prompts/<lang>.json from fsys into "lang/key" → text.
// Nil or unreadable files give an empty map: the URL is shown instead.
func promptTexts(fsys fs.FS) map[string]string {
	out := map[string]string{}
	if fsys == nil {
		return out
	}
	files, _ := fs.Glob(fsys, "prompts/*.json")
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			continue
		}
		var doc struct {
			Texts map[string]string `json:"texts"`
		}
		if json.Unmarshal(b, &doc) != nil {
			continue
		}
		lang := strings.TrimSuffix(path.Base(f), ".json")
		for k, v := range doc.Texts {
			out[lang+"/"+k] = v
		}
	}
	return out
}

// said names what an audio prompt at playURL speaks: the prompt's text, or
// the letter or digit of a code read out character by character
// (.../kk/char_A.wav).
func said(texts map[string]string, playURL string) string {
	u, err := url.Parse(playURL)
	if err != nil {
		return ""
	}
	dir, file := path.Split(u.Path)
	lang := path.Base(dir)
	key := strings.TrimSuffix(file, path.Ext(file))
	if t, ok := texts[lang+"/"+key]; ok {
		return t
	}
	if c, ok := strings.CutPrefix(key, "char_"); ok {
		return c
	}
	return ""
}
