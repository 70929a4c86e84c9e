package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.BarrierRepo = (*Store)(nil)

const barrierCols = `b.ticket_id, t.code, b.place_kind, b.place_name, b.place_address, b.district, b.status,
    b.reported_at, b.verified_at, b.verify_note, b.sent_at, b.sent_to, b.sent_note, b.closed_at, b.close_note,
    b.photo_urls, b.recording_url, b.updated_at`

type barrierRow struct {
	TicketID     int64          `db:"ticket_id"`
	Code         string         `db:"code"`
	PlaceKind    string         `db:"place_kind"`
	PlaceName    string         `db:"place_name"`
	PlaceAddress string         `db:"place_address"`
	District     string         `db:"district"`
	Status       string         `db:"status"`
	ReportedAt   time.Time      `db:"reported_at"`
	VerifiedAt   sql.NullTime   `db:"verified_at"`
	VerifyNote   string         `db:"verify_note"`
	SentAt       sql.NullTime   `db:"sent_at"`
	SentTo       string         `db:"sent_to"`
	SentNote     string         `db:"sent_note"`
	ClosedAt     sql.NullTime   `db:"closed_at"`
	CloseNote    string         `db:"close_note"`
	PhotoURLs    pq.StringArray `db:"photo_urls"`
	RecordingURL string         `db:"recording_url"`
	UpdatedAt    time.Time      `db:"updated_at"`
}

func (r *barrierRow) report() *dispatch.BarrierReport {
	return &dispatch.BarrierReport{
		TicketID: r.TicketID, Code: r.Code, PlaceKind: dispatch.PlaceKind(r.PlaceKind), PlaceName: r.PlaceName,
		PlaceAddress: r.PlaceAddress, District: r.District, Status: dispatch.BarrierStatus(r.Status),
		ReportedAt: r.ReportedAt, VerifiedAt: timePtr(r.VerifiedAt), VerifyNote: r.VerifyNote,
		SentAt: timePtr(r.SentAt), SentTo: r.SentTo, SentNote: r.SentNote,
		ClosedAt: timePtr(r.ClosedAt), CloseNote: r.CloseNote,
		PhotoURLs: append([]string{}, r.PhotoURLs...), RecordingURL: r.RecordingURL, UpdatedAt: r.UpdatedAt,
	}
}

// syncBarriersSQL makes the missing reports in one statement: the place's
// address starts as the ticket's (an accessibility request names the place),
// the photos are the media of the texts joined to the ticket, the recording
// is the call's. ON CONFLICT makes two syncs at once harmless. The kind is
// guessed in Go afterwards (dispatch.GuessPlaceKind) from the description,
// which is never copied here.
const syncBarriersSQL = `
INSERT INTO barrier_reports (ticket_id, place_address, reported_at, photo_urls, recording_url, updated_at)
SELECT t.id, t.address, t.created_at,
       COALESCE((SELECT array_agg(u ORDER BY m.id) FROM inbound_messages m, unnest(m.media_urls) u
                  WHERE m.ticket_id = t.id), '{}'),
       t.recording_url, $1
  FROM tickets t
 WHERE t.category = 'accessibility'
   AND NOT EXISTS (SELECT 1 FROM barrier_reports b WHERE b.ticket_id = t.id)
ON CONFLICT (ticket_id) DO NOTHING
RETURNING ticket_id`

// verifyVisitedSQL: the volunteer's completed visit is the on-site check.
const verifyVisitedSQL = `
UPDATE barrier_reports b SET status = 'verified', verified_at = t.completed_at, updated_at = $1
  FROM tickets t
 WHERE t.id = b.ticket_id AND b.status = 'reported'
   AND t.status = 'completed' AND t.completed_at IS NOT NULL`

// SyncBarrierReports implements dispatch.BarrierRepo.
func (s *Store) SyncBarrierReports(ctx context.Context) (int, error) {
	const op = "postgres.SyncBarrierReports"
	now := s.clock()
	var ids []int64
	if err := selectx(ctx, s, &ids, syncBarriersSQL, now); err != nil {
		return 0, wrap(op, err)
	}
	if len(ids) > 0 {
		var descs []struct {
			ID   int64  `db:"id"`
			Desc string `db:"description"`
		}
		if err := selectx(ctx, s, &descs, `SELECT id, description FROM tickets WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
			return 0, wrap(op, err)
		}
		for _, d := range descs {
			if k := dispatch.GuessPlaceKind(d.Desc); k != dispatch.PlaceOther {
				if _, err := s.ext.ExecContext(ctx, `UPDATE barrier_reports SET place_kind = $2 WHERE ticket_id = $1 AND place_kind = 'other'`,
					d.ID, string(k)); err != nil {
					return 0, wrap(op, err)
				}
			}
		}
	}
	if _, err := s.ext.ExecContext(ctx, verifyVisitedSQL, now); err != nil {
		return 0, wrap(op, err)
	}
	return len(ids), nil
}

// BarrierReport finds the report of a ticket.
func (s *Store) BarrierReport(ctx context.Context, ticketID int64) (*dispatch.BarrierReport, error) {
	return s.barrierReport(ctx, "postgres.BarrierReport", ticketID, "")
}

// BarrierReportForUpdate finds and locks the report of a ticket.
func (s *Store) BarrierReportForUpdate(ctx context.Context, ticketID int64) (*dispatch.BarrierReport, error) {
	lock := ""
	if s.tx != nil {
		lock = " FOR UPDATE OF b"
	}
	return s.barrierReport(ctx, "postgres.BarrierReportForUpdate", ticketID, lock)
}

func (s *Store) barrierReport(ctx context.Context, op string, ticketID int64, lock string) (*dispatch.BarrierReport, error) {
	var r barrierRow
	err := getx(ctx, s, &r, `SELECT `+barrierCols+` FROM barrier_reports b JOIN tickets t ON t.id = b.ticket_id
        WHERE b.ticket_id = $1`+lock, ticketID)
	if err != nil {
		return nil, notFound(op, err, "no barrier report for ticket %d", ticketID)
	}
	return r.report(), nil
}

// BarrierReports lists reports by district, newest first within each, with
// the number of all that match.
func (s *Store) BarrierReports(ctx context.Context, f dispatch.BarrierFilter) ([]*dispatch.BarrierReport, int, error) {
	const op = "postgres.BarrierReports"
	var a args
	var conds []string
	if len(f.Status) > 0 {
		conds = append(conds, "b.status = ANY("+a.add(pq.Array(strs(f.Status)))+")")
	}
	if f.District != "" {
		conds = append(conds, "b.district = "+a.add(f.District))
	}
	if c := centreCond(&a, "t.centre_id", f.Centre); c != "" {
		conds = append(conds, c)
	}
	w := where(conds)
	var total int
	if err := getx(ctx, s, &total, `SELECT count(*) FROM barrier_reports b JOIN tickets t ON t.id = b.ticket_id`+w, a...); err != nil {
		return nil, 0, wrap(op, err)
	}
	limit, offset := page(f.Limit, f.Offset)
	q := `SELECT ` + barrierCols + ` FROM barrier_reports b JOIN tickets t ON t.id = b.ticket_id` + w +
		` ORDER BY b.district, b.reported_at DESC, b.ticket_id DESC LIMIT ` + a.add(limit) + ` OFFSET ` + a.add(offset)
	var rows []barrierRow
	if err := selectx(ctx, s, &rows, q, a...); err != nil {
		return nil, 0, wrap(op, err)
	}
	out := make([]*dispatch.BarrierReport, len(rows))
	for i := range rows {
		out[i] = rows[i].report()
	}
	return out, total, nil
}

// UpdateBarrierReport writes every mutable field of b and sets UpdatedAt.
func (s *Store) UpdateBarrierReport(ctx context.Context, b *dispatch.BarrierReport) error {
	const op = "postgres.UpdateBarrierReport"
	now := s.clock()
	res, err := s.ext.ExecContext(ctx, `UPDATE barrier_reports SET place_kind = $2, place_name = $3, place_address = $4,
        district = $5, status = $6, verified_at = $7, verify_note = $8, sent_at = $9, sent_to = $10, sent_note = $11,
        closed_at = $12, close_note = $13, photo_urls = $14, updated_at = $15 WHERE ticket_id = $1`,
		b.TicketID, string(b.PlaceKind), b.PlaceName, b.PlaceAddress, b.District, string(b.Status),
		nullTime(b.VerifiedAt), b.VerifyNote, nullTime(b.SentAt), b.SentTo, b.SentNote,
		nullTime(b.ClosedAt), b.CloseNote, pq.Array(nonNil(b.PhotoURLs)), now)
	if err := affected(op, res, err, "no barrier report for ticket %d", b.TicketID); err != nil {
		return err
	}
	b.UpdatedAt = now
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
