package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestEnqueueIsIdempotent(t *testing.T) {
	t.Parallel()
	db, s, _ := newStore(t)
	ctx := context.Background()
	tk := mustTicket(t, s, mustClient(t, s).ID, nil)
	n := &dispatch.Notification{Key: fmt.Sprintf("offer:%d", tk.ID), TicketID: &tk.ID, To: phone(),
		Body: "Жаңа өтініш", Template: "offer", Lang: dispatch.LangKK}
	if err := s.Enqueue(ctx, n); err != nil {
		t.Fatal(err)
	}
	if n.ID == 0 || n.Status != dispatch.NotifyQueued || !n.NextAt.Equal(base) {
		t.Fatalf("Enqueue: %+v", n)
	}
	again := &dispatch.Notification{Key: n.Key, To: phone(), Body: "другой текст"}
	err := s.InTx(ctx, func(r dispatch.Repo) error { return r.Enqueue(ctx, again) })
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != n.ID {
		t.Errorf("second Enqueue got ID %d, want the existing %d", again.ID, n.ID)
	}
	if c := count(t, db, `SELECT count(*) FROM notifications WHERE key = $1 AND body = 'Жаңа өтініш'`, n.Key); c != 1 {
		t.Errorf("%d rows for the key with the first body, want 1", c)
	}
	list, err := s.Notifications(ctx, tk.ID)
	if err != nil || len(list) != 1 || list[0].Body != n.Body || list[0].Lang != dispatch.LangKK || list[0].Template != "offer" {
		t.Fatalf("Notifications = %+v, %v", list, err)
	}
	wantCode(t, s.Enqueue(ctx, &dispatch.Notification{To: phone(), Body: "x"}), dispatch.EINVALID)
}

// TestClaimConcurrently has two senders drain one outbox at once: SKIP
// LOCKED must hand every row to exactly one of them.
func TestClaimConcurrently(t *testing.T) {
	t.Parallel()
	_, s, _ := newStore(t)
	ctx := context.Background()
	const total = 300
	for i := range total {
		if err := s.Enqueue(ctx, &dispatch.Notification{Key: fmt.Sprintf("k%d", i), To: phone(), Body: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var problems []string
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimNotifications(ctx, 7, time.Hour)
				mu.Lock()
				if err != nil {
					problems = append(problems, err.Error())
				}
				for _, n := range got {
					seen[n.ID]++
					if n.Status != dispatch.NotifySending || n.Attempts != 1 {
						problems = append(problems, fmt.Sprintf("claimed row %d is %s with %d attempts", n.ID, n.Status, n.Attempts))
					}
				}
				mu.Unlock()
				if err != nil || len(got) == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	if len(seen) != total {
		t.Errorf("%d rows claimed, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("row %d claimed %d times", id, n)
		}
	}
}

func TestClaimLeaseAndUpdate(t *testing.T) {
	t.Parallel()
	_, s, clk := newStore(t)
	ctx := context.Background()
	now := &dispatch.Notification{Key: "now", To: phone(), Body: "b"}
	later := &dispatch.Notification{Key: "later", To: phone(), Body: "b", NextAt: base.Add(time.Hour)}
	for _, n := range []*dispatch.Notification{now, later} {
		if err := s.Enqueue(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ClaimNotifications(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != now.ID {
		t.Fatalf("first claim = %v, %v; want only the due row", got, err)
	}
	if got, _ := s.ClaimNotifications(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatalf("a leased row was claimed again: %v", got)
	}
	// The sender died: when its lease runs out, another takes the row.
	clk.add(2 * time.Minute)
	got, err = s.ClaimNotifications(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != now.ID || got[0].Attempts != 2 {
		t.Fatalf("claim after the lease = %+v, %v", got, err)
	}

	n := got[0]
	n.Status, n.ProviderSID, n.SentAt = dispatch.NotifySent, "SM0123", ptr(clk.now())
	if err := s.UpdateNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	bySID, err := s.NotificationBySID(ctx, "SM0123")
	if err != nil || bySID.ID != n.ID || bySID.Status != dispatch.NotifySent || bySID.SentAt == nil {
		t.Fatalf("NotificationBySID = %+v, %v", bySID, err)
	}
	clk.add(time.Hour)
	got, _ = s.ClaimNotifications(ctx, 10, time.Minute)
	if len(got) != 1 || got[0].ID != later.ID {
		t.Fatalf("after an hour, claim = %v; want only the later row, not the sent one", got)
	}
	// A failed send goes back to the queue for a retry.
	r := got[0]
	r.Status, r.Error, r.NextAt = dispatch.NotifyQueued, "provider 503", clk.now().Add(time.Minute)
	if err := s.UpdateNotification(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimNotifications(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatalf("a retry was claimed before its time: %v", got)
	}
	clk.add(time.Minute)
	got, _ = s.ClaimNotifications(ctx, 10, time.Minute)
	if len(got) != 1 || got[0].Attempts != 2 || got[0].Error != "provider 503" {
		t.Fatalf("retry claim = %+v", got)
	}

	_, err = s.NotificationBySID(ctx, "SM404")
	wantCode(t, err, dispatch.ENOTFOUND)
	_, err = s.NotificationBySID(ctx, "")
	wantCode(t, err, dispatch.ENOTFOUND)
	wantCode(t, s.UpdateNotification(ctx, &dispatch.Notification{ID: 999, Status: "sent"}), dispatch.ENOTFOUND)
	if got, err := s.ClaimNotifications(ctx, 0, time.Minute); err != nil || len(got) != 0 {
		t.Errorf("ClaimNotifications(0) = %v, %v", got, err)
	}
}

func TestSaveInbound(t *testing.T) {
	t.Parallel()
	db, s, _ := newStore(t)
	ctx := context.Background()
	tk := mustTicket(t, s, mustClient(t, s).ID, nil)
	m := &dispatch.InboundMessage{MessageSID: "SM1", From: phone(), Body: "ИӘ " + tk.Code,
		MediaURLs: []string{"https://api.twilio.com/m/1"}, TicketID: &tk.ID}
	if err := s.SaveInbound(ctx, m); err != nil {
		t.Fatal(err)
	}
	if m.ID == 0 || !m.ReceivedAt.Equal(base) {
		t.Fatalf("SaveInbound: %+v", m)
	}
	err := s.SaveInbound(ctx, &dispatch.InboundMessage{MessageSID: "SM1", From: m.From, Body: "again"})
	wantCode(t, err, dispatch.ECONFLICT)
	if c := count(t, db, `SELECT count(*) FROM inbound_messages WHERE message_sid = 'SM1' AND ticket_id = $1 AND media_urls = '{https://api.twilio.com/m/1}'`, tk.ID); c != 1 {
		t.Errorf("%d rows for SM1 as first saved, want 1", c)
	}
	if err := s.SaveInbound(ctx, &dispatch.InboundMessage{MessageSID: "SM2", From: m.From}); err != nil {
		t.Errorf("a message without media or ticket: %v", err)
	}
}
