package integration

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// TestRetentionKeepsReportTotals: a year after they closed, tickets lose
// their personal data and their clients are anonymised, while the report of
// their period is the same before and after, to the last count.
func TestRetentionKeepsReportTotals(t *testing.T) {
	g := newRecRig(t)
	start := time.Date(2025, 3, 3, 9, 0, 0, 0, g.zone)
	g.clock.Set(start)
	v := g.volunteer("Ерлан")
	var secrets []string
	var tickets []*dispatch.Ticket
	for i := 0; i < 6; i++ {
		c := g.client("Клиентка Номер " + strconv.Itoa(i))
		desc := "подробности о здоровье №" + strconv.Itoa(i)
		addr := "ул. Сарыарка " + strconv.Itoa(10+i) + ", кв. " + strconv.Itoa(i)
		cats := []dispatch.Category{dispatch.CategoryEscort, dispatch.CategoryShopping, dispatch.CategoryAccessibility}
		tk := g.newTicket(c, func(tk *dispatch.Ticket) {
			tk.Description, tk.Address, tk.Category = desc, addr, cats[i%3]
			tk.RecordingURL = "https://api.twilio.com/rec/RE" + strconv.Itoa(i)
			if i%2 == 0 {
				tk.Channel = dispatch.ChannelVoice
			}
		})
		if err := g.store.AddEvent(g.ctx, &dispatch.TicketEvent{TicketID: tk.ID, Kind: dispatch.EventMessage, Actor: "client",
			Channel: dispatch.ChannelSMS, Reason: "text", Data: `{"text":"` + desc + `"}`}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := g.store.AddEvent(g.ctx, &dispatch.TicketEvent{TicketID: tk.ID, From: dispatch.StatusQueued,
				To: dispatch.StatusEscalated, Kind: dispatch.EventTransition, Actor: "system", Channel: dispatch.ChannelSystem,
				Reason: "no volunteer within 1h for " + c.Name}); err != nil {
				t.Fatal(err)
			}
		}
		g.clock.Set(start.Add(time.Duration(i+1) * time.Hour))
		switch i % 3 {
		case 0, 1:
			g.finish(tk, dispatch.StatusCompleted, v, tk.CreatedAt.Add(10*time.Minute), g.clock.Now())
		default:
			g.finish(tk, dispatch.StatusCancelled, nil, time.Time{}, time.Time{})
		}
		secrets = append(secrets, c.Name, c.Phone, desc, addr)
		tickets = append(tickets, tk)
	}
	if err := g.barriers.Sync(g.ctx); err != nil {
		t.Fatal(err)
	}
	f := dispatch.ReportFilter{From: start.Add(-24 * time.Hour), To: start.Add(7 * 24 * time.Hour), Zone: g.zone,
		Areas: []dispatch.AreaCentre{{Name: "Астана", Location: dispatch.Location{Lat: 51.16, Lon: 71.45}, RadiusKM: 25, Priority: 1}}}
	before, err := g.store.Report(g.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if before.Total != 6 || before.Completed != 4 || before.Escalated != 1 {
		t.Fatalf("report before: total %d completed %d escalated %d", before.Total, before.Completed, before.Escalated)
	}

	// half a year on, nothing is due yet
	g.clock.Set(start.Add(180 * 24 * time.Hour))
	if res, err := g.retention.Sweep(g.ctx); err != nil || res != (dispatch.SweepResult{}) {
		t.Fatalf("early sweep: %+v %v", res, err)
	}
	g.clock.Set(start.Add(400 * 24 * time.Hour))
	res, err := g.retention.Sweep(g.ctx)
	if err != nil || res.Tickets != 6 || res.Clients != 6 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	after, err := g.store.Report(g.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	jb, _ := json.Marshal(before)
	ja, _ := json.Marshal(after)
	if string(jb) != string(ja) {
		t.Fatalf("the report changed:\nbefore %s\nafter  %s", jb, ja)
	}

	// and the personal data is gone from every table a page could read
	var dump []string
	for _, tk := range tickets {
		got, err := g.store.Ticket(g.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := g.store.Client(g.ctx, got.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := g.store.Events(g.ctx, tk.ID)
		ns, _ := g.store.Notifications(g.ctx, tk.ID)
		b, _ := json.Marshal([]any{got, cl, evs, ns})
		dump = append(dump, string(b))
		if got.RecordingURL != "" {
			t.Errorf("ticket %d keeps its recording", tk.ID)
		}
	}
	mustNotContain(t, "redacted data", strings.Join(dump, "\n"), secrets...)
	rs, _, err := g.barriers.List(g.ctx, dispatch.BarrierFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rs {
		if r.RecordingURL != "" {
			n++
		}
	}
	if len(rs) != 2 || n != 0 {
		t.Fatalf("%d barrier reports, %d with a recording after redaction", len(rs), n)
	}
}

// TestErasureInConsole: a dispatcher's erasure is refused while the client
// has an open ticket and carried out once it is closed.
func TestErasureInConsole(t *testing.T) {
	g := newRecRig(t)
	c := g.client("Нұрлан Серікұлы")
	tk := g.newTicket(c, func(tk *dispatch.Ticket) { tk.Description = "менің мекенжайым" })
	path := "/console/clients/" + strconv.FormatInt(c.ID, 10) + "/erase"

	if status, _ := g.login(dispatch.RoleViewer).get(path); status != http.StatusForbidden {
		t.Fatalf("a viewer may open the erasure page: %d", status)
	}
	b := g.login(dispatch.RoleDispatcher)
	status, body := b.get(path)
	if status != 200 || !strings.Contains(body, `id="erasure-form"`) {
		t.Fatalf("erasure page: %d\n%s", status, body)
	}
	if status, _ := b.form(path, nil); status != http.StatusBadRequest {
		t.Fatalf("without confirmation: %d", status)
	}
	status, body = b.form(path, url.Values{"confirm": {"yes"}})
	if status != http.StatusConflict || !strings.Contains(body, tk.Code) {
		t.Fatalf("with an open ticket: %d\n%s", status, body)
	}
	if got, _ := g.store.Client(g.ctx, c.ID); got.Name != c.Name {
		t.Fatal("a refused erasure changed the client")
	}
	g.finish(tk, dispatch.StatusCancelled, nil, time.Time{}, time.Time{})
	res := b.post(path, withCSRF(b, url.Values{"confirm": {"yes"}}))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("erase: %d", res.StatusCode)
	}
	got, _ := g.store.Client(g.ctx, c.ID)
	tg, _ := g.store.Ticket(g.ctx, tk.ID)
	if got.Name != "" || got.Phone != dispatch.ClientPlaceholderPhone(c.ID) || tg.Description != "" {
		t.Fatalf("after erasure: %+v %+v", got, tg)
	}
	evs, _ := g.store.Events(g.ctx, tk.ID)
	if last := evs[len(evs)-1]; last.Reason != "erased by user:dispatcher" {
		t.Fatalf("audit %+v", last)
	}
	if status, body := b.get(path); status != 200 || !strings.Contains(body, `id="erasure-state"`) {
		t.Fatalf("erased client's page: %d", status)
	}
}
