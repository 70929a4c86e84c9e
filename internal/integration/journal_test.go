package integration

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

func smsParams(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "From": {from}, "To": {"+77000000000"}, "Body": {body},
		"AccountSid": {"ACtest"}, "NumMedia": {"0"}}
}

// confirmations counts the "request received" texts queued for ticket id.
func (g *jnRig) confirmations(id int64) int {
	g.t.Helper()
	g.msg("") // opens g.sql
	var n int
	if err := g.sql.QueryRowContext(g.ctx, `SELECT count(*) FROM notifications WHERE ticket_id = $1
		AND template IN ('client.received', 'client.received_callback')`, id).Scan(&n); err != nil {
		g.t.Fatal(err)
	}
	return n
}

// TestJournalKeepsTextWhilePostgresIsDown: a verified text that arrives
// while PostgreSQL is away is answered 200 and kept; Twilio's retries of it
// keep one entry; once PostgreSQL is back the replay makes exactly one
// ticket with one confirmation, and a late retry adds nothing.
func TestJournalKeepsTextWhilePostgresIsDown(t *testing.T) {
	g := newJNRig(t, nil)
	from, sid := g.ik.phone(), "SMjournal00000000000000000000001"
	p := smsParams(sid, from, "Нужна помощь с продуктами, пятый этаж")

	g.ds.down.Store(true)
	for try := range 2 { // the first delivery and a Twilio retry
		code, body := g.ik.twilio("/twilio/sms", p)
		if code != http.StatusOK || !strings.Contains(body, "<Response") {
			t.Fatalf("delivery %d while PostgreSQL is down: %d %s", try, code, body)
		}
	}
	if d := g.depth(); d != 1 {
		t.Fatalf("journal depth %d, want 1 (one text, delivered twice)", d)
	}
	// Still down: the replay puts the entry back rather than losing it.
	if n, err := g.replayer.ReplayOnce(g.ctx); n != 0 || !dispatch.IsCode(err, dispatch.EUNAVAILABLE) {
		t.Fatalf("replay while down: %d, %v; want 0 and EUNAVAILABLE", n, err)
	}
	if d := g.depth(); d != 1 {
		t.Fatalf("journal depth %d after a replay while down, want 1", d)
	}

	g.ds.down.Store(false)
	if n := g.replay(); n != 1 {
		t.Fatalf("replayed %d entries, want 1", n)
	}
	tk := g.ik.ticketBySource(sid)
	if got := g.ticketsOf(from); got != 1 {
		t.Fatalf("%d tickets for the sender, want 1", got)
	}
	if n := g.confirmations(tk.ID); n != 1 {
		t.Fatalf("%d confirmations queued, want 1", n)
	}
	// A retry Twilio sends after all this is answered and does nothing more.
	if code, body := g.ik.twilio("/twilio/sms", p); code != http.StatusOK {
		t.Fatalf("late retry: %d %s", code, body)
	}
	if got, n := g.ticketsOf(from), g.confirmations(tk.ID); got != 1 || n != 1 {
		t.Fatalf("after a late retry: %d tickets, %d confirmations; want 1 and 1", got, n)
	}
	if st := g.replayer.Stats(); st.Replayed != 1 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestJournalReplayRacesTwilioRetry: the replay and Twilio's retry of the
// same text land at once; one ticket.
func TestJournalReplayRacesTwilioRetry(t *testing.T) {
	g := newJNRig(t, nil)
	type sent struct{ sid, from string }
	var texts []sent
	g.ds.down.Store(true)
	for i := range 5 {
		s := sent{sid: "SMrace" + strconv.Itoa(100000+i) + "00000000000000000000", from: g.ik.phone()}
		texts = append(texts, s)
		if code, body := g.ik.twilio("/twilio/sms", smsParams(s.sid, s.from, "Помогите донести сумки")); code != http.StatusOK {
			t.Fatalf("while down: %d %s", code, body)
		}
	}
	g.ds.down.Store(false)
	var wg sync.WaitGroup
	wg.Go(func() { g.replay() })
	for _, s := range texts {
		wg.Go(func() {
			if code, body := g.ik.twilio("/twilio/sms", smsParams(s.sid, s.from, "Помогите донести сумки")); code != http.StatusOK {
				t.Errorf("retry: %d %s", code, body)
			}
		})
	}
	wg.Wait()
	for _, s := range texts {
		tk := g.ik.ticketBySource(s.sid)
		if got, n := g.ticketsOf(s.from), g.confirmations(tk.ID); got != 1 || n != 1 {
			t.Errorf("%s: %d tickets, %d confirmations; want 1 and 1", s.sid, got, n)
		}
	}
	if d := g.depth(); d != 0 {
		t.Errorf("journal depth %d after the replay, want 0", d)
	}
}

// TestJournalLeaseTakenOverAfterCrash: a replayer that leased entries and
// died leaves them to another process once the lease runs out; the dead
// one's late release does not queue them again.
func TestJournalLeaseTakenOverAfterCrash(t *testing.T) {
	g := newJNRig(t, nil)
	from, sid := g.ik.phone(), "SMcrash0000000000000000000000001"
	g.ds.down.Store(true)
	if code, body := g.ik.twilio("/twilio/sms", smsParams(sid, from, "Нужно лекарство из аптеки")); code != http.StatusOK {
		t.Fatalf("while down: %d %s", code, body)
	}
	g.ds.down.Store(false)
	held, err := g.journal.Lease(g.ctx, "crashed-process", 10, 300*time.Millisecond)
	if err != nil || len(held) != 1 || held[0].ID() != "sms:"+sid {
		t.Fatalf("lease: %v %v", held, err)
	}
	// The holder is silent; within its lease nobody else takes the entry.
	if n, err := g.replayer.ReplayOnce(g.ctx); n != 0 || err != nil {
		t.Fatalf("replay within another's lease: %d %v", n, err)
	}
	if g.ticketsOf(from) != 0 {
		t.Fatal("a ticket was made from an entry another process holds")
	}
	time.Sleep(350 * time.Millisecond) // the lease runs out
	if n, err := g.replayer.ReplayOnce(g.ctx); n != 1 || err != nil {
		t.Fatalf("replay after the lease ran out: %d %v, want 1", n, err)
	}
	if g.ticketsOf(from) != 1 || g.depth() != 0 {
		t.Fatalf("after take-over: %d tickets, depth %d; want 1 and 0", g.ticketsOf(from), g.depth())
	}
	// The crashed process comes back to life and puts back what it held.
	if err := g.journal.Release(g.ctx, "sms:"+sid, "crashed-process", false); err != nil {
		t.Fatal(err)
	}
	if d := g.depth(); d != 0 {
		t.Fatalf("a stale release queued the entry again: depth %d", d)
	}
}

// TestJournalReplayerShutdownPutsBack: entries a replayer holds go back at
// once when it stops, not after the lease.
func TestJournalReplayerShutdownPutsBack(t *testing.T) {
	g := newJNRig(t, nil)
	g.ds.down.Store(true)
	for i := range 3 {
		sid := "SMstop" + strconv.Itoa(100000+i) + "00000000000000000000"
		if code, body := g.ik.twilio("/twilio/sms", smsParams(sid, g.ik.phone(), "Помощь по дому")); code != http.StatusOK {
			t.Fatalf("while down: %d %s", code, body)
		}
	}
	ctx, cancel := context.WithCancel(g.ctx)
	done := make(chan error, 1)
	go func() { done <- g.replayer.Run(ctx) }()
	time.Sleep(200 * time.Millisecond) // it leased, met PostgreSQL down, put back and waits
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Another process with a long lease takes all three at once.
	held, err := g.journal.Lease(g.ctx, "other", 10, time.Minute)
	if err != nil || len(held) != 3 {
		t.Fatalf("after shutdown another process leased %d entries (%v), want 3", len(held), err)
	}
}

// TestJournalFormAndCallWhilePostgresIsDown: the web form says, in its
// language, that the request is saved and its code follows by text; a
// call hears, in every language before one is chosen, that we will call
// back. Both become tickets when PostgreSQL is back; the call's asks for a
// call-back.
func TestJournalFormAndCallWhilePostgresIsDown(t *testing.T) {
	g := newJNRig(t, nil)
	b := g.ik.browser()
	_, page := g.ik.get(b, "/request?lang=kk")
	form := formFields(t, page)
	formPhone := g.ik.phone()
	form.Set("phone", formPhone)
	form.Set("category", "shopping")
	form.Set("description", "Дүкеннен азық-түлік әкелу керек")
	form.Set("urgency", "normal")

	callSID, caller := "CAjournal00000000000000000000001", g.ik.phone()
	g.ds.down.Store(true)
	code, body := g.ik.submit(b, "/request?lang=kk", form)
	if code != http.StatusOK || !strings.Contains(body, "Өтініміңіз сақталды") || !strings.Contains(body, `lang="kk"`) {
		t.Fatalf("form while PostgreSQL is down: %d\n%s", code, body)
	}
	checkMarkup(t, body, dispatch.LangKK)
	twiml := g.ik.call(callSID, caller, "/twilio/voice")
	for _, want := range []string{"ваш номер записан", "noted your number", "нөміріңіз жазылды", "<Hangup"} {
		if !strings.Contains(twiml, want) {
			t.Errorf("call while PostgreSQL is down: no %q in\n%s", want, twiml)
		}
	}
	// Twilio reports the end of the call, still during the outage.
	g.ik.call(callSID, caller, "/twilio/voice/status", "CallStatus", "completed")
	if d := g.depth(); d != 2 {
		t.Fatalf("journal depth %d, want 2 (the form and the call)", d)
	}

	g.ds.down.Store(false)
	g.replay()
	web := g.ik.ticketBySource("web:" + form.Get("idem"))
	if web.Lang != dispatch.LangKK || web.Channel != dispatch.ChannelWeb || g.confirmations(web.ID) != 1 {
		t.Errorf("form's ticket: lang %s channel %s, %d confirmations", web.Lang, web.Channel, g.confirmations(web.ID))
	}
	call := g.ik.ticketBySource(callSID)
	if !call.CallBack || call.Status != dispatch.StatusEscalated || call.Channel != dispatch.ChannelVoice {
		t.Errorf("call's ticket: callback %v status %s channel %s", call.CallBack, call.Status, call.Channel)
	}
	if g.ticketsOf(caller) != 1 || g.ticketsOf(formPhone) != 1 {
		t.Errorf("tickets: caller %d, form %d; want 1 each", g.ticketsOf(caller), g.ticketsOf(formPhone))
	}
}

// TestJournalAPIRequestAccepted: POST /api/v1/requests with a token seen
// before is answered 202 while PostgreSQL is away and becomes the ticket
// the same Idempotency-Key then returns; POST /tickets, which promises the
// ticket in its answer, stays 503.
func TestJournalAPIRequestAccepted(t *testing.T) {
	g := newJNRig(t, nil)
	secret, hash := dispatch.NewAPIToken()
	if err := g.store.CreateToken(g.ctx, &dispatch.Token{Name: "partner", Role: dispatch.RoleDispatcher, Hash: hash}); err != nil {
		t.Fatal(err)
	}
	post := func(path, key, phone string) (int, string) {
		t.Helper()
		body := `{"phone":"` + phone + `","category":"shopping","description":"Продукты","language":"ru","location":{"lat":51.17,"lon":71.43}}`
		req, _ := http.NewRequest(http.MethodPost, g.ik.srv.URL+"/api/v1"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := post("/requests", "warm-up", g.ik.phone()); code != http.StatusCreated {
		t.Fatalf("with PostgreSQL up: %d %s", code, body)
	}
	phone := g.ik.phone()
	g.ds.down.Store(true)
	code, body := post("/requests", "during-outage", phone)
	if code != http.StatusAccepted || !strings.Contains(body, `"accepted"`) {
		t.Fatalf("/requests while PostgreSQL is down: %d %s", code, body)
	}
	if code, body := post("/tickets", "ticket-during-outage", g.ik.phone()); code != http.StatusServiceUnavailable {
		t.Fatalf("/tickets while PostgreSQL is down: %d %s, want 503", code, body)
	}
	g.ds.down.Store(false)
	g.replay()
	code, body = post("/requests", "during-outage", phone)
	if code != http.StatusCreated || g.ticketsOf(phone) != 1 {
		t.Fatalf("the same key after the replay: %d %s; %d tickets, want 201 and 1", code, body, g.ticketsOf(phone))
	}
}

// TestJournalRedisDownToo: with the journal unreachable as well, the
// answer stays 503 so that Twilio retries.
func TestJournalRedisDownToo(t *testing.T) {
	dead, err := redis.NewClient("redis://127.0.0.1:1/0", "dead:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dead.Close() })
	g := newJNRig(t, redis.NewJournal(dead))
	g.ds.down.Store(true)
	code, body := g.ik.twilio("/twilio/sms", smsParams("SMdead00000000000000000000000001", g.ik.phone(), "Помогите"))
	if code != http.StatusServiceUnavailable {
		t.Fatalf("text with PostgreSQL and the journal down: %d %s, want 503", code, body)
	}
	p := url.Values{"CallSid": {"CAdead00000000000000000000000001"}, "From": {g.ik.phone()}, "To": {"+77000000000"}}
	if code, body := g.ik.twilio("/twilio/voice", p); code != http.StatusServiceUnavailable {
		t.Fatalf("call with PostgreSQL and the journal down: %d %s, want 503", code, body)
	}
}
