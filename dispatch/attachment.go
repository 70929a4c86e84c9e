package dispatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Photos sent with a barrier report through the web form. They are kept in
// PostgreSQL with the ticket, already stripped of their metadata by the
// form (intake/photo.go), and removed with the ticket's other personal data
// (a reporter may be in the picture).
const (
	// MaxPhotos is how many photos one request may carry.
	MaxPhotos = 3
	// MaxPhotoBytes is the largest photo accepted, as uploaded (5 MB).
	MaxPhotoBytes = 5 << 20
)

// Photo content types: the only ones stored, whatever the browser claimed.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
)

// Attachment is one file sent with a request: a photo of a barrier.
type Attachment struct {
	ID          int64  `json:"id"`
	TicketID    int64  `json:"ticket_id"`
	ContentType string `json:"content_type"`
	// Data is the file; lists leave it nil.
	Data      []byte    `json:"-"`
	Size      int       `json:"size"`
	SHA256    string    `json:"sha256"` // hex of Data
	CreatedAt time.Time `json:"created_at"`
}

// AttachmentRepo keeps attachments. postgres.Store implements it, on the pool
// and inside InTx.
type AttachmentRepo interface {
	// AddAttachment stores a (its TicketID, ContentType and Data); it sets
	// ID, Size, SHA256 and CreatedAt.
	AddAttachment(ctx context.Context, a *Attachment) error
	// Attachments lists a ticket's attachments in the order they were sent,
	// without their data.
	Attachments(ctx context.Context, ticketID int64) ([]*Attachment, error)
	// Attachment returns one attachment of a ticket with its data;
	// ENOTFOUND when the ticket has no attachment id.
	Attachment(ctx context.Context, ticketID, id int64) (*Attachment, error)
}

// checkAttachments validates the photos of a request: barrier reports only,
// at most MaxPhotos, each a JPEG or PNG of at most MaxPhotoBytes. The bytes
// are trusted to be what ContentType says: the form re-encoded them.
func checkAttachments(r *IntakeRequest) error {
	if len(r.Attachments) == 0 {
		return nil
	}
	if r.Category != CategoryAccessibility {
		return Errorf(EINVALID, "photos can be sent with a barrier report only (category accessibility)")
	}
	if len(r.Attachments) > MaxPhotos {
		return Errorf(EINVALID, "at most %d photos can be sent with one request", MaxPhotos)
	}
	for i, a := range r.Attachments {
		if a.ContentType != TypeJPEG && a.ContentType != TypePNG {
			return Errorf(EINVALID, "photo %d is not a JPEG or PNG", i+1)
		}
		if len(a.Data) == 0 || len(a.Data) > MaxPhotoBytes {
			return Errorf(EINVALID, "photo %d is empty or larger than %d bytes", i+1, MaxPhotoBytes)
		}
	}
	return nil
}

// addAttachments stores the request's photos in the ticket's transaction.
func addAttachments(ctx context.Context, tx Repo, ticketID int64, as []Attachment) error {
	if len(as) == 0 {
		return nil
	}
	ar, err := extension[AttachmentRepo]("dispatch.addAttachments", tx)
	if err != nil {
		return err
	}
	for i := range as {
		a := as[i]
		a.TicketID = ticketID
		if err := ar.AddAttachment(ctx, &a); err != nil {
			return err
		}
	}
	return nil
}

// SHA256Hex is the hex SHA-256 of b, as attachments record it.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
