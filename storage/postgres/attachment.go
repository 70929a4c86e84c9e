package postgres

import (
	"context"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.AttachmentRepo = (*Store)(nil)

type attachmentRow struct {
	ID          int64     `db:"id"`
	TicketID    int64     `db:"ticket_id"`
	ContentType string    `db:"content_type"`
	Data        []byte    `db:"data"`
	Size        int       `db:"size"`
	SHA256      string    `db:"sha256"`
	CreatedAt   time.Time `db:"created_at"`
}

func (r *attachmentRow) attachment() *dispatch.Attachment {
	return &dispatch.Attachment{ID: r.ID, TicketID: r.TicketID, ContentType: r.ContentType, Data: r.Data,
		Size: r.Size, SHA256: r.SHA256, CreatedAt: r.CreatedAt}
}

// AddAttachment implements dispatch.AttachmentRepo.
func (s *Store) AddAttachment(ctx context.Context, a *dispatch.Attachment) error {
	const op = "postgres.AddAttachment"
	a.Size, a.SHA256, a.CreatedAt = len(a.Data), dispatch.SHA256Hex(a.Data), s.clock()
	err := getx(ctx, s, &a.ID, `INSERT INTO attachments (ticket_id, content_type, data, size, sha256, created_at)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, a.TicketID, a.ContentType, a.Data, a.Size, a.SHA256, a.CreatedAt)
	return wrap(op, err)
}

// Attachments implements dispatch.AttachmentRepo.
func (s *Store) Attachments(ctx context.Context, ticketID int64) ([]*dispatch.Attachment, error) {
	const op = "postgres.Attachments"
	var rows []attachmentRow
	if err := selectx(ctx, s, &rows, `SELECT id, ticket_id, content_type, size, sha256, created_at
        FROM attachments WHERE ticket_id = $1 ORDER BY id`, ticketID); err != nil {
		return nil, wrap(op, err)
	}
	out := make([]*dispatch.Attachment, len(rows))
	for i := range rows {
		out[i] = rows[i].attachment()
	}
	return out, nil
}

// Attachment implements dispatch.AttachmentRepo.
func (s *Store) Attachment(ctx context.Context, ticketID, id int64) (*dispatch.Attachment, error) {
	const op = "postgres.Attachment"
	var r attachmentRow
	err := getx(ctx, s, &r, `SELECT id, ticket_id, content_type, data, size, sha256, created_at
        FROM attachments WHERE ticket_id = $1 AND id = $2`, ticketID, id)
	if err != nil {
		return nil, notFound(op, err, "ticket %d has no attachment %d", ticketID, id)
	}
	return r.attachment(), nil
}
