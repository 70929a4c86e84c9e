package dispatch

import "time"

// OfferStatus is the state of one offer to one volunteer.
type OfferStatus string

// Offer states.
const (
	OfferPending   OfferStatus = "pending"
	OfferAccepted  OfferStatus = "accepted"
	OfferDeclined  OfferStatus = "declined"
	OfferExpired   OfferStatus = "expired"
	OfferWithdrawn OfferStatus = "withdrawn" // another volunteer accepted, or the ticket moved on
)

// Offer is a ticket offered to one volunteer in one wave.
type Offer struct {
	ID          int64       `json:"id"`
	TicketID    int64       `json:"ticket_id"`
	VolunteerID int64       `json:"volunteer_id"`
	Wave        int         `json:"wave"`
	Status      OfferStatus `json:"status"`
	Score       float64     `json:"score"`
	DistanceM   float64     `json:"distance_m"`
	SentAt      time.Time   `json:"sent_at"`
	ExpiresAt   time.Time   `json:"expires_at"`
	AnsweredAt  *time.Time  `json:"answered_at,omitempty"`
	// TicketCode is the ticket's public code, which the volunteer may quote
	// when answering.
	TicketCode string `json:"ticket_code"`
}
