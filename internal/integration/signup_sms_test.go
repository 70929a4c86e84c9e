package integration

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

// An SMS sign-up in each language ends in a pending volunteer who is never
// in the geo index (so never matched) until a dispatcher approves them.
func TestSMSSignupEndsInPendingVolunteerADispatcherApproves(t *testing.T) {
	g := newSMSRig(t)
	// The service's store wraps PostgreSQL's to wake the senders; the
	// sign-up must find its own methods under the wrapper.
	waker := &countWaker{}
	su := dispatch.NewSignups(dispatch.WakeSenders(g.store, waker), g.geo, g.msgs, dispatch.SignupOptions{})
	h := su.Wrap(g.conv)
	n := 0
	text := func(from, body string) string {
		t.Helper()
		n++
		sid := fmt.Sprintf("SMsignup%026d", n)
		if err := h.HandleSMS(g.ctx, &dispatch.InboundMessage{MessageSID: sid, From: from, Body: body}); err != nil {
			t.Fatalf("text %q: %v", body, err)
		}
		return sid
	}
	cases := []struct {
		lang                         dispatch.Lang
		keyword, name, district, yes string
		inReply                      string // a word of the first reply, in the language
	}{
		{dispatch.LangKK, "ЕРІКТІ", "Әсел Нұрланқызы", "5", "иә", "рахмет"},
		{dispatch.LangRU, "Волонтер", "Дана Оспанова", "Есиль", "да", "Спасибо"},
		{dispatch.LangEN, "VOLUNTEER", "John Smith", "7", "YES", "Thank you"},
	}
	for _, c := range cases {
		phone := g.phone()
		sid := text(phone, c.keyword)
		if r := g.msg("reply:" + sid); r == nil || r.Template != "signup.name" || r.Lang != c.lang || !strings.Contains(r.Body, c.inReply) {
			t.Fatalf("%s: first reply %+v", c.lang, r)
		}
		// Twilio retrying the same text changes nothing.
		if err := h.HandleSMS(g.ctx, &dispatch.InboundMessage{MessageSID: sid, From: phone, Body: c.keyword}); err != nil {
			t.Fatal(err)
		}
		steps := []struct{ body, tpl string }{
			{c.name, "signup.district"}, {c.district, "signup.languages"}, {"13", "signup.skills"},
			{"3", "signup.consent"}, {c.yes, "signup.done"},
		}
		for _, st := range steps {
			if got := g.template("reply:" + text(phone, st.body)); got != st.tpl {
				t.Fatalf("%s: answer %q got reply %q, want %q", c.lang, st.body, got, st.tpl)
			}
		}
		if waker.n.Load() == 0 {
			t.Fatalf("%s: the replies did not wake the senders", c.lang)
		}
		v, err := g.store.VolunteerByPhone(g.ctx, phone)
		if err != nil {
			t.Fatalf("%s: no volunteer after consent: %v", c.lang, err)
		}
		if v.Name != c.name || v.Available || v.Location == nil || !v.HasSkill(dispatch.SkillCar) || !v.SpeaksAny(dispatch.LangEN) {
			t.Fatalf("%s: pending volunteer %+v", c.lang, v)
		}
		if st := registry(t, g, v.ID); st != dispatch.RegistryPending {
			t.Fatalf("%s: registry %s, want pending", c.lang, st)
		}
		var channel string
		var at sql.NullTime
		if err := g.sql.QueryRowContext(g.ctx, `SELECT consent_channel, consent_at FROM volunteers WHERE id = $1`, v.ID).
			Scan(&channel, &at); err != nil || channel != "sms" || !at.Valid {
			t.Fatalf("%s: consent %q at %v (%v), want sms with a time", c.lang, channel, at, err)
		}
		if inGeo(t, g, *v.Location, v.ID) {
			t.Fatalf("%s: a pending volunteer is in the geo index", c.lang)
		}
		// A pending volunteer's "available" cannot make them available.
		if tpl := g.template("reply:" + text(phone, "available")); tpl != "signup.waiting" {
			t.Fatalf("%s: a pending volunteer's command got %q, want signup.waiting", c.lang, tpl)
		}
		if v2, err := g.store.Volunteer(g.ctx, v.ID); err != nil || v2.Available || inGeo(t, g, *v.Location, v.ID) {
			t.Fatalf("%s: after a pending volunteer's command: %+v (%v)", c.lang, v2, err)
		}
		pend, err := su.Pending(g.ctx, 10)
		if err != nil || len(pend) == 0 || pend[len(pend)-1].ID != v.ID {
			t.Fatalf("%s: pending list %v (%v) lacks %d", c.lang, pend, err, v.ID)
		}

		ap, err := su.Approve(g.ctx, v.ID)
		if err != nil {
			t.Fatalf("%s: approve: %v", c.lang, err)
		}
		if !ap.Available || registry(t, g, v.ID) != dispatch.RegistryApproved || !inGeo(t, g, *v.Location, v.ID) {
			t.Fatalf("%s: after approval available=%v registry=%s in geo=%v", c.lang, ap.Available, registry(t, g, v.ID), inGeo(t, g, *v.Location, v.ID))
		}
		if m := g.msg(fmt.Sprintf("approved:%d", v.ID)); m == nil || m.To != phone || m.Template != "signup.approved" {
			t.Fatalf("%s: approval text %+v", c.lang, m)
		}
		// Approved, their texts reach the conversation again.
		if tpl := g.template("reply:" + text(phone, "available")); tpl == "" || strings.HasPrefix(tpl, "signup.") {
			t.Fatalf("%s: an approved volunteer's command got %q", c.lang, tpl)
		}
		if err := su.Reject(g.ctx, v.ID); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
			t.Fatalf("%s: rejecting an approved volunteer: %v", c.lang, err)
		}
	}

	// A request for help from an unknown number is not a sign-up.
	asker := g.phone()
	sid := text(asker, "нужна помощь с продуктами")
	if tpl := g.template("reply:" + sid); strings.HasPrefix(tpl, "signup.") {
		t.Fatalf("a request got the sign-up reply %q", tpl)
	}
	if _, err := g.store.ClientByPhone(g.ctx, asker); err != nil {
		t.Fatalf("a request from an unknown number made no client: %v", err)
	}
	if _, err := g.store.Signup(g.ctx, asker); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("a request started a sign-up: %v", err)
	}
}

// A refused consent keeps nothing and makes no volunteer.
func TestSMSSignupRefusedConsentKeepsNothing(t *testing.T) {
	g := newSMSRig(t)
	h := dispatch.NewSignups(g.store, g.geo, g.msgs, dispatch.SignupOptions{}).Wrap(g.conv)
	phone := g.phone()
	for i, body := range []string{"erikti", "Ерлан", "1", "1", "0", "жоқ"} {
		if err := h.HandleSMS(g.ctx, &dispatch.InboundMessage{MessageSID: fmt.Sprintf("SMrefuse%026d", i), From: phone, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	if tpl := g.template(fmt.Sprintf("reply:SMrefuse%026d", 5)); tpl != "signup.cancelled" {
		t.Fatalf("refusal reply %q", tpl)
	}
	if _, err := g.store.VolunteerByPhone(g.ctx, phone); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("volunteer after refusal: %v", err)
	}
	if _, err := g.store.Signup(g.ctx, phone); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("sign-up kept after refusal: %v", err)
	}
}

// countWaker counts wakes.
type countWaker struct{ n atomic.Int64 }

func (w *countWaker) Wake(context.Context) error { w.n.Add(1); return nil }
func (w *countWaker) Wait(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

func registry(t *testing.T, g *smsRig, id int64) dispatch.RegistryStatus {
	t.Helper()
	var st dispatch.RegistryStatus
	err := g.store.InTx(g.ctx, func(r dispatch.Repo) error {
		var err error
		st, err = r.(*postgres.Store).Registry(g.ctx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func inGeo(t *testing.T, g *smsRig, at dispatch.Location, id int64) bool {
	t.Helper()
	hits, err := g.geo.Near(g.ctx, at, 500, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.VolunteerID == id {
			return true
		}
	}
	return false
}
