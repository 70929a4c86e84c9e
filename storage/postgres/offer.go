package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// offerSelect joins the ticket for its public code, which a volunteer may
// quote when answering.
const offerSelect = `SELECT o.id, o.ticket_id, o.volunteer_id, o.wave, o.status, o.score, o.distance_m,
	o.sent_at, o.expires_at, o.answered_at, t.code
FROM offers o JOIN tickets t ON t.id = o.ticket_id`

type offerRow struct {
	ID          int64        `db:"id"`
	TicketID    int64        `db:"ticket_id"`
	VolunteerID int64        `db:"volunteer_id"`
	Wave        int          `db:"wave"`
	Status      string       `db:"status"`
	Score       float64      `db:"score"`
	DistanceM   float64      `db:"distance_m"`
	SentAt      time.Time    `db:"sent_at"`
	ExpiresAt   time.Time    `db:"expires_at"`
	AnsweredAt  sql.NullTime `db:"answered_at"`
	Code        string       `db:"code"`
}

func (r *offerRow) offer() *dispatch.Offer {
	return &dispatch.Offer{
		ID: r.ID, TicketID: r.TicketID, VolunteerID: r.VolunteerID, Wave: r.Wave,
		Status: dispatch.OfferStatus(r.Status), Score: r.Score, DistanceM: r.DistanceM,
		SentAt: r.SentAt, ExpiresAt: r.ExpiresAt, AnsweredAt: timePtr(r.AnsweredAt), TicketCode: r.Code,
	}
}

// CreateOffer inserts o and sets its ID, and SentAt when it is zero. A
// second offer of one ticket to one volunteer is ECONFLICT.
func (s *Store) CreateOffer(ctx context.Context, o *dispatch.Offer) error {
	const op = "postgres.CreateOffer"
	if o.Status == "" {
		o.Status = dispatch.OfferPending
	}
	if o.SentAt.IsZero() {
		o.SentAt = s.clock()
	}
	if o.ExpiresAt.IsZero() {
		return dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "an offer needs an expiry time"))
	}
	err := getx(ctx, s, &o.ID, `
		INSERT INTO offers (ticket_id, volunteer_id, wave, status, score, distance_m, sent_at, expires_at, answered_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		o.TicketID, o.VolunteerID, o.Wave, o.Status, o.Score, o.DistanceM, o.SentAt, o.ExpiresAt,
		nullTime(o.AnsweredAt))
	return wrap(op, err)
}

// UpdateOffer writes o's status, expiry and answer time. A second accepted
// offer for one ticket is ECONFLICT, whatever the caller checked before.
func (s *Store) UpdateOffer(ctx context.Context, o *dispatch.Offer) error {
	const op = "postgres.UpdateOffer"
	res, err := s.ext.ExecContext(ctx,
		`UPDATE offers SET status = $2, expires_at = $3, answered_at = $4 WHERE id = $1`,
		o.ID, o.Status, o.ExpiresAt, nullTime(o.AnsweredAt))
	return affected(op, res, err, "offer %d not found", o.ID)
}

// Offers lists a ticket's offers in the order they were sent.
func (s *Store) Offers(ctx context.Context, ticketID int64) ([]*dispatch.Offer, error) {
	return s.offers(ctx, "postgres.Offers", offerSelect+` WHERE o.ticket_id = $1 ORDER BY o.id`, ticketID)
}

// PendingOffers lists a volunteer's pending offers, newest first: "YES" with
// no code answers the newest.
func (s *Store) PendingOffers(ctx context.Context, volunteerID int64) ([]*dispatch.Offer, error) {
	return s.offers(ctx, "postgres.PendingOffers",
		offerSelect+` WHERE o.volunteer_id = $1 AND o.status = 'pending' ORDER BY o.sent_at DESC, o.id DESC`,
		volunteerID)
}

func (s *Store) offers(ctx context.Context, op, q string, key int64) ([]*dispatch.Offer, error) {
	var rows []offerRow
	if err := selectx(ctx, s, &rows, q, key); err != nil {
		return nil, wrap(op, err)
	}
	out := make([]*dispatch.Offer, len(rows))
	for i := range rows {
		out[i] = rows[i].offer()
	}
	return out, nil
}
