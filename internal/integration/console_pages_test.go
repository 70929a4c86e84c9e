package integration

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// rawKey is a catalogue key that leaked onto a page untranslated.
var rawKey = regexp.MustCompile(`>[^<]*\b((queue|ticket|volunteers?|import|common|status|action|done|clients|need|skill|lang|offer|match|event|category|channel|urgency|pager|nav|role|login|error|age)\.[a-z_0-9]+)\b`)

// Every console page opens for an administrator in Kazakh, Russian and
// English, with the right lang attribute, a skip link, one main landmark and
// no untranslated text; the ticket page renders a matcher event's
// candidates and an outgoing message.
func TestConsolePagesInEveryLanguage(t *testing.T) {
	g := newConRig(t)
	tk := g.ticket("нужны продукты")
	v := g.volunteer("Асель")
	match, _ := json.Marshal(map[string]any{"wave": 1, "radius_km": 3, "eligible_count": 1,
		"filtered_counts": map[string]int{"language": 1},
		"eligible": []dispatch.Candidate{{VolunteerID: v.ID, Name: v.Name, DistanceM: 850, Score: 0.82,
			Parts: map[string]float64{"distance": 0.6, "fairness": 0.22}}},
		"filtered": []dispatch.Candidate{{VolunteerID: 99, Name: "Ержан", DistanceM: 1200, Filtered: "language"}}})
	if err := g.store.AddEvent(g.ctx, &dispatch.TicketEvent{TicketID: tk.ID, Kind: dispatch.EventMatch,
		Actor: "system", Channel: dispatch.ChannelSystem, Reason: "1 eligible", Data: string(match)}); err != nil {
		t.Fatal(err)
	}
	if err := g.store.Enqueue(g.ctx, &dispatch.Notification{Key: "test:1", TicketID: &tk.ID, To: "+77020000001",
		Body: "Ваша заявка принята", Lang: dispatch.LangRU, Status: dispatch.NotifyQueued, NextAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	b := g.login(dispatch.RoleAdmin)
	for _, lang := range []string{"kk", "ru", "en"} {
		for _, r := range g.routes {
			// Not pages: the stream, files, and the fragments the live pages
			// fetch (a row, the queue summary).
			if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/console/static") || r.Path == "/console/events" ||
				strings.HasSuffix(r.Path, "/row") || strings.HasSuffix(r.Path, "/summary") || strings.HasSuffix(r.Path, ".csv") ||
				r.Path == "/console/login" ||
				strings.Contains(r.Path, "/photos/") { // an image, tested in console_photo_test.go
				continue
			}
			id := tk.ID
			if strings.HasPrefix(r.Path, "/console/volunteers/") {
				id = v.ID
			} else if strings.HasPrefix(r.Path, "/console/clients/") {
				id = tk.ClientID
			}
			path := fill(r.Path, id) + "?lang=" + lang
			status, body := b.get(path)
			if status != http.StatusOK {
				t.Errorf("%s: %d", path, status)
				continue
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) || !strings.Contains(body, `href="#main"`) ||
				strings.Count(body, "<main") != 1 || strings.Count(body, "<h1") != 1 {
				t.Errorf("%s: lang, skip link, main landmark or single h1 missing", path)
			}
			if m := rawKey.FindStringSubmatch(body); m != nil {
				t.Errorf("%s shows the untranslated key %q", path, m[1])
			}
			if r.Path == "/console/tickets/:id" && (!strings.Contains(body, "Ержан") || !strings.Contains(body, "fairness") ||
				!strings.Contains(body, "Ваша заявка принята") || !strings.Contains(body, `id="actions"`)) {
				t.Errorf("%s: the matcher's candidates, the message or the actions are missing", path)
			}
		}
	}
}
