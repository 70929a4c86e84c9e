package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/postgres"
)

func mustPhoto(t *testing.T, s *postgres.Store, ticketID int64, data []byte) *dispatch.Attachment {
	t.Helper()
	a := &dispatch.Attachment{TicketID: ticketID, ContentType: dispatch.TypeJPEG, Data: data}
	if err := s.AddAttachment(context.Background(), a); err != nil {
		t.Fatalf("AddAttachment: %v", err)
	}
	return a
}

func TestAttachmentsRoundTrip(t *testing.T) {
	db, s, _ := newStore(t)
	ctx := context.Background()
	c := mustClient(t, s)
	tk := mustTicket(t, s, c.ID, nil)
	other := mustTicket(t, s, c.ID, nil)
	first := mustPhoto(t, s, tk.ID, []byte("\xff\xd8first"))
	second := mustPhoto(t, s, tk.ID, []byte("\xff\xd8second photo"))
	if first.ID == 0 || first.Size != 7 || first.SHA256 != dispatch.SHA256Hex([]byte("\xff\xd8first")) {
		t.Fatalf("stored attachment %+v", first)
	}
	list, err := s.Attachments(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != first.ID || list[1].ID != second.ID || list[1].Size != 14 || list[0].Data != nil {
		t.Fatalf("list = %+v", list)
	}
	got, err := s.Attachment(ctx, tk.ID, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Data, []byte("\xff\xd8second photo")) || got.ContentType != dispatch.TypeJPEG {
		t.Fatalf("got %+v", got)
	}
	// an attachment is found through its own ticket only
	_, err = s.Attachment(ctx, other.ID, second.ID)
	wantCode(t, err, dispatch.ENOTFOUND)
	if n, err := s.Attachments(ctx, other.ID); err != nil || len(n) != 0 {
		t.Fatalf("other ticket's list = %v, %v", n, err)
	}
	// the table refuses what the form would never store
	if _, err := postgres.RawDB(db).Exec(`INSERT INTO attachments (ticket_id, content_type, data, size, sha256)
        VALUES ($1, 'text/html', '\x3c68746d6c3e', 6, repeat('0', 64))`, tk.ID); err == nil {
		t.Fatal("an HTML attachment was stored")
	}
}

func TestRetentionDeletesPhotos(t *testing.T) {
	db, s, clk := newStore(t)
	ctx := context.Background()
	c := mustClient(t, s)
	old := closedWithData(t, db, s, c)
	mustPhoto(t, s, old.ID, []byte("\xff\xd8old"))
	if _, err := postgres.RawDB(db).Exec(`INSERT INTO barrier_reports (ticket_id, reported_at, photo_urls)
        VALUES ($1, now(), '{https://api.twilio.com/media/ME1}')`, old.ID); err != nil {
		t.Fatal(err)
	}
	other := mustClient(t, s)
	open := mustTicket(t, s, other.ID, nil)
	mustPhoto(t, s, open.ID, []byte("\xff\xd8open"))

	clk.add(400 * 24 * time.Hour)
	r := dispatch.NewRetention(s, dispatch.RetentionOptions{Period: 365 * 24 * time.Hour, Now: clk.now})
	if _, err := r.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM attachments WHERE ticket_id = $1`, old.ID); n != 0 {
		t.Fatalf("%d photos of a redacted ticket kept", n)
	}
	if n := count(t, db, `SELECT count(*) FROM barrier_reports WHERE ticket_id = $1 AND photo_urls <> '{}'`, old.ID); n != 0 {
		t.Fatal("the barrier report keeps its media links")
	}
	if n := count(t, db, `SELECT count(*) FROM attachments WHERE ticket_id = $1`, open.ID); n != 1 {
		t.Fatal("the photo of an open ticket was deleted")
	}
}

func TestErasureDeletesPhotos(t *testing.T) {
	db, s, _ := newStore(t)
	ctx := context.Background()
	c := mustClient(t, s)
	done := closedWithData(t, db, s, c)
	mustPhoto(t, s, done.ID, []byte("\xff\xd8mine"))
	if err := dispatch.NewRetention(s, dispatch.RetentionOptions{}).Erase(ctx, c.ID, "user:anna"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM attachments WHERE ticket_id = $1`, done.ID); n != 0 {
		t.Fatalf("%d photos kept after erasure", n)
	}
}
