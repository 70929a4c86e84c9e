package redis

import (
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func smsEntry(sid, body string) *dispatch.JournalEntry {
	return &dispatch.JournalEntry{Kind: dispatch.JournalSMS, At: time.Now(),
		SMS: &dispatch.InboundMessage{MessageSID: sid, From: "+77015550000", Body: body}}
}

// TestJournalAppendLeaseAckRelease walks entries through the journal: a
// second Append of one id replaces it without queueing it twice; a lease is
// exclusive; a release by someone else's name does nothing; a failed
// attempt is counted; an ack removes the entry for good.
func TestJournalAppendLeaseAckRelease(t *testing.T) {
	ctx, c := testCtx(t), testClient(t)
	j := NewJournal(c)
	if err := j.Append(ctx, &dispatch.JournalEntry{Kind: dispatch.JournalSMS}); !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Fatalf("an entry without an id: %v, want EINVALID", err)
	}
	for _, e := range []*dispatch.JournalEntry{smsEntry("SMa", "first"), smsEntry("SMb", "other"), smsEntry("SMa", "again")} {
		if err := j.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := j.Depth(ctx); err != nil || n != 2 {
		t.Fatalf("depth %d %v, want 2", n, err)
	}
	got, err := j.Lease(ctx, "p1", 10, time.Minute)
	if err != nil || len(got) != 2 {
		t.Fatalf("lease: %d entries %v, want 2", len(got), err)
	}
	if got[0].ID() != "sms:SMa" || got[0].SMS.Body != "again" || got[1].ID() != "sms:SMb" {
		t.Fatalf("leased %s %q, %s; want sms:SMa with the later body, then sms:SMb", got[0].ID(), got[0].SMS.Body, got[1].ID())
	}
	if more, err := j.Lease(ctx, "p2", 10, time.Minute); err != nil || len(more) != 0 {
		t.Fatalf("a second lease took %d entries held by p1 (%v)", len(more), err)
	}
	// Not p2's to put back.
	if err := j.Release(ctx, "sms:SMa", "p2", true); err != nil {
		t.Fatal(err)
	}
	if more, _ := j.Lease(ctx, "p2", 10, time.Minute); len(more) != 0 {
		t.Fatal("a release in another's name made the entry available")
	}
	if err := j.Release(ctx, "sms:SMa", "p1", true); err != nil {
		t.Fatal(err)
	}
	again, err := j.Lease(ctx, "p2", 10, time.Minute)
	if err != nil || len(again) != 1 || again[0].Attempts != 1 {
		t.Fatalf("after p1's release: %v %v; want sms:SMa with 1 attempt", again, err)
	}
	for _, id := range []string{"sms:SMa", "sms:SMb"} {
		if err := j.Ack(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := j.Depth(ctx); n != 0 {
		t.Fatalf("depth %d after acks, want 0", n)
	}
	// A late release of an acked entry does not bring it back.
	if err := j.Release(ctx, "sms:SMb", "p1", false); err != nil {
		t.Fatal(err)
	}
	if left, _ := j.Lease(ctx, "p3", 10, time.Minute); len(left) != 0 {
		t.Fatalf("acked entries came back: %v", left)
	}
}
