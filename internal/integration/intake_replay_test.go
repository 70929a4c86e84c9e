package integration

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// Twilio retries a webhook it got no answer to; ten copies at once must
// still leave one ticket.
func TestIntakeConcurrentReplaysMakeOneTicket(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	from := g.phone()
	call := url.Values{"CallSid": {"CAreplay"}, "From": {from}, "CallStatus": {"completed"}}
	text := url.Values{"MessageSid": {"SMreplay"}, "From": {g.phone()}, "Body": {"Нужна помощь в магазин, Астана"}}
	for _, tc := range []struct {
		path   string
		params url.Values
		source string
	}{{"/twilio/voice/status", call, "CAreplay"}, {"/twilio/sms", text, "SMreplay"}} {
		var wg sync.WaitGroup
		codes := make(chan int, 10)
		for range 10 {
			wg.Go(func() {
				code, _ := g.twilio(tc.path, tc.params)
				codes <- code
			})
		}
		wg.Wait()
		close(codes)
		for code := range codes {
			if code != http.StatusOK && code != http.StatusNoContent {
				t.Fatalf("%s replay answered %d", tc.path, code)
			}
		}
		g.ticketBySource(tc.source)
	}
	if n := g.tickets(); n != 2 {
		t.Fatalf("%d tickets after ten replays of a call and of a text, want 2", n)
	}
	// A replay that raced past the first look-up is not joined to the
	// ticket its own first copy opened.
	if tk := g.ticketBySource("SMreplay"); tk.Description != text.Get("Body") {
		t.Fatalf("description after replays: %q", tk.Description)
	}
}

func TestIntakeTextJoinsOpenTicket(t *testing.T) {
	g := newIKRig(t, ikOptions{})
	from := g.phone()
	code, body := g.twilio("/twilio/sms", url.Values{"MessageSid": {"SM1"}, "From": {from}, "Body": {"Сәлем, дүкенге бару керек"}})
	if code != http.StatusOK || !strings.Contains(body, "<Response") {
		t.Fatalf("sms: %d %s", code, body)
	}
	first := g.ticketBySource("SM1")
	if first.Lang != dispatch.LangKK || first.Channel != dispatch.ChannelSMS {
		t.Fatalf("first text: lang %s channel %s", first.Lang, first.Channel)
	}
	g.twilio("/twilio/sms", url.Values{"MessageSid": {"SM2"}, "From": {from}, "Body": {"Алматы, Медеу ауданы"}})
	g.twilio("/twilio/sms", url.Values{"MessageSid": {"SM2"}, "From": {from}, "Body": {"Алматы, Медеу ауданы"}}) // a retry
	if n := g.tickets(); n != 1 {
		t.Fatalf("%d tickets, want the second text joined to the first", n)
	}
	got, _ := g.store.Ticket(g.ctx, first.ID)
	if got.Description != "Сәлем, дүкенге бару керек\nАлматы, Медеу ауданы" {
		t.Fatalf("description %q", got.Description)
	}
	evs, _ := g.store.Events(g.ctx, first.ID)
	joined := 0
	for _, e := range evs {
		if e.Kind == dispatch.EventMessage {
			joined++
		}
	}
	if joined != 1 {
		t.Fatalf("%d message events, want 1 (the retry adds none)", joined)
	}
	// Delivery callbacks reach the status recorder.
	if code, _ := g.twilio("/twilio/status", url.Values{"MessageSid": {"SMout"}, "MessageStatus": {"delivered"}}); code != http.StatusNoContent {
		t.Fatalf("status: %d", code)
	}
	if len(g.status.got) != 1 || g.status.got[0] != "SMout delivered " {
		t.Fatalf("status recorded: %v", g.status.got)
	}
}

func TestIntakeTextOutsideWindowOpensNewTicket(t *testing.T) {
	var skew atomic.Int64 // read by the server's goroutines
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	g := newIKRig(t, ikOptions{intake: dispatch.IntakeOptions{SMSJoinWindow: time.Minute, Now: clock}})
	from := g.phone()
	g.twilio("/twilio/sms", url.Values{"MessageSid": {"SMa"}, "From": {from}, "Body": {"help please"}})
	skew.Store(int64(2 * time.Minute)) // only the intake's clock: the store's stamps stay real
	g.twilio("/twilio/sms", url.Values{"MessageSid": {"SMb"}, "From": {from}, "Body": {"another thing"}})
	if n := g.tickets(); n != 2 {
		t.Fatalf("%d tickets, want 2: the second text came after the window", n)
	}
}

// failQueue is Redis failing for the hand-off only.
type failQueue struct{ dispatch.Queue }

func (failQueue) Push(context.Context, int64, time.Time, dispatch.Urgency) error {
	return errors.New("redis: connection reset by peer")
}

// The hand-off to the queue comes after the commit. When it never happens
// (the process dies there, or Redis fails), the ticket is queued and due in
// PostgreSQL, where the engine's reconciler finds it and queues it again.
func TestIntakeLostHandOffIsRepaired(t *testing.T) {
	home := dispatch.Location{Lat: 51.1694, Lon: 71.4491}
	req := func(g *ikRig, src string) dispatch.IntakeRequest {
		return dispatch.IntakeRequest{SourceID: src, Channel: dispatch.ChannelAPI, Phone: g.phone(),
			Category: dispatch.CategoryHome, Description: "help at home", Location: &home}
	}
	check := func(g *ikRig, src string) {
		t.Helper()
		tk := g.ticketBySource(src)
		if tk.Status != dispatch.StatusQueued || tk.DueAt == nil {
			t.Fatalf("committed ticket %s due %v, want queued with due_at", tk.Status, tk.DueAt)
		}
		if g.queued(tk.ID) {
			t.Fatal("the hand-off was meant to be lost")
		}
		eng := dispatch.NewEngine(g.store, g.queue, redis.NewGeoIndex(g.rc), redis.NewBus(g.rc), ikMessages{}, dispatch.EngineOptions{})
		st, err := eng.Reconcile(g.ctx)
		if err != nil || st.Pushed < 1 || !g.queued(tk.ID) {
			t.Fatalf("reconcile: %+v %v; queued %v", st, err, g.queued(tk.ID))
		}
	}

	t.Run("crash", func(t *testing.T) {
		g := newIKRig(t, ikOptions{intake: dispatch.IntakeOptions{AfterCommit: func(*dispatch.Ticket) { panic("killed") }}})
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the hook did not run")
				}
			}()
			g.intake.Submit(g.ctx, req(g, "crash-1"))
		}()
		check(g, "crash-1")
	})
	t.Run("redis down", func(t *testing.T) {
		g := newIKRig(t, ikOptions{queue: failQueue{}})
		res, err := g.intake.Submit(g.ctx, req(g, "down-1"))
		if err != nil || res.Existing {
			t.Fatalf("Submit: %v (a committed ticket is a success)", err)
		}
		check(g, "down-1")
	})
	t.Run("caller hangs up", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		g := newIKRig(t, ikOptions{intake: dispatch.IntakeOptions{AfterCommit: func(*dispatch.Ticket) { cancel() }}})
		res, err := g.intake.Submit(ctx, req(g, "hangup-1"))
		if err != nil {
			t.Fatal(err)
		}
		if !g.queued(res.Ticket.ID) {
			t.Fatal("a cancelled request context stopped the hand-off")
		}
	})
}
