package integration

import (
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// smsRig is the engine's rig with the real intake and the conversation on
// top: texts go in through HandleSMS as the /twilio/sms webhook passes them.
type smsRig struct {
	*engRig
	eng  *dispatch.Engine
	conv *dispatch.Conversation
	sids atomic.Int64
	sql  *sql.DB
}

func newSMSRig(t *testing.T) *smsRig {
	t.Helper()
	g := &smsRig{engRig: newEngRig(t, false, dispatch.EngineOptions{Batch: 3, OfferTTL: 10 * time.Minute,
		MaxWaves: 3, MaxWait: time.Hour, ConfirmWindow: 24 * time.Hour})}
	g.eng = g.engine()
	in := dispatch.NewIntake(g.store, g.queue, redis.NewBus(g.rc), intake.Phones{}, nil, g.msgs,
		dispatch.IntakeOptions{SMSJoinWindow: 30 * time.Minute})
	g.conv = dispatch.NewConversation(g.store, g.eng, in, g.msgs, dispatch.ConversationOptions{})
	return g
}

// text delivers an incoming SMS and returns its MessageSid.
func (g *smsRig) text(from, body string) string {
	g.t.Helper()
	sid := fmt.Sprintf("SMin%030d", g.sids.Add(1))
	if err := g.conv.HandleSMS(g.ctx, &dispatch.InboundMessage{MessageSID: sid, From: from, Body: body}); err != nil {
		g.t.Fatalf("HandleSMS(%q): %v", body, err)
	}
	return sid
}

// msg returns the outbox row with key ("reply:"+sid, "relay:"+sid), or
// nil. The Repo finds messages only by ticket or SID, so this reads the
// table (the driver is registered by storage/postgres).
func (g *smsRig) msg(key string) *dispatch.Notification {
	g.t.Helper()
	if g.sql == nil {
		db, err := sql.Open("postgres", g.url)
		if err != nil {
			g.t.Fatal(err)
		}
		g.t.Cleanup(func() { db.Close() })
		g.sql = db
	}
	n := &dispatch.Notification{Key: key}
	var tid sql.NullInt64
	var sid sql.NullString
	err := g.sql.QueryRowContext(g.ctx, `SELECT to_phone, body, template, lang, status, ticket_id, provider_sid
		FROM notifications WHERE key = $1`, key).Scan(&n.To, &n.Body, &n.Template, &n.Lang, &n.Status, &tid, &sid)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		g.t.Fatal(err)
	}
	if tid.Valid {
		n.TicketID = &tid.Int64
	}
	n.ProviderSID = sid.String
	return n
}

// template returns the template of the row with key, "" when none.
func (g *smsRig) template(key string) string {
	if n := g.msg(key); n != nil {
		return n.Template
	}
	return ""
}

// offered makes a ticket for a new client, and a volunteer who gets its
// offer, both in lang.
func (g *smsRig) offered(lang dispatch.Lang) (*dispatch.Ticket, *dispatch.Volunteer) {
	g.t.Helper()
	v := g.volunteer("Айгерім", 1, func(v *dispatch.Volunteer) { v.Languages = []dispatch.Lang{lang} })
	tk := g.ticket(func(t *dispatch.Ticket) { t.Lang = lang })
	if got := g.handle(g.eng, tk.ID); got.Status != dispatch.StatusOffered {
		g.t.Fatalf("ticket %s, want offered", got.Status)
	}
	return g.get(tk.ID), v
}

// timeline reports whether any event of the ticket mentions s.
func (g *smsRig) timeline(id int64, s string) bool {
	evs, err := g.store.Events(g.ctx, id)
	if err != nil {
		g.t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Reason, s) || strings.Contains(ev.Data, s) {
			return true
		}
	}
	return false
}
