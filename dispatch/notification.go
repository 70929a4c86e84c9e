package dispatch

import "time"

// NotificationStatus is where an outgoing message stands.
type NotificationStatus string

// Notification states. queued → sending → sent → delivered, or failed /
// undelivered; suppressed for a recipient who has opted out.
const (
	NotifyQueued      NotificationStatus = "queued"
	NotifySending     NotificationStatus = "sending"
	NotifySent        NotificationStatus = "sent"
	NotifyDelivered   NotificationStatus = "delivered"
	NotifyFailed      NotificationStatus = "failed"
	NotifyUndelivered NotificationStatus = "undelivered"
	NotifySuppressed  NotificationStatus = "suppressed"
)

// Notification is one outgoing message: a row of the outbox, written in the
// same transaction as the event that caused it.
type Notification struct {
	ID int64 `json:"id"`
	// Key is the idempotency key: one event, one message, whatever retries
	// and restarts happen. For example "offer:42", "assigned:17:client".
	Key         string             `json:"key"`
	TicketID    *int64             `json:"ticket_id,omitempty"`
	To          string             `json:"to"` // E.164
	Body        string             `json:"body"`
	Template    string             `json:"template"`
	Lang        Lang               `json:"language"`
	Status      NotificationStatus `json:"status"`
	ProviderSID string             `json:"provider_sid,omitempty"`
	Attempts    int                `json:"attempts"`
	Error       string             `json:"error,omitempty"`
	NextAt      time.Time          `json:"next_at"`
	CreatedAt   time.Time          `json:"created_at"`
	SentAt      *time.Time         `json:"sent_at,omitempty"`
	// Priority orders the senders' claims: higher first (MessagePriority).
	Priority int `json:"-"`
	// OptedOut is set by ClaimNotifications: the recipient has texted STOP
	// (as a volunteer or a client), read with the claim.
	OptedOut bool `json:"-"`
}

// Message priorities: what a volunteer must answer, and what tells both
// sides who comes, leaves first; confirmations and replies can wait a
// moment behind them.
const (
	PriorityNormal = 0
	PriorityUrgent = 1
)

// MessagePriority is the priority of a message of template.
func MessagePriority(template string) int {
	switch template {
	case "volunteer.offer", "volunteer.assigned", "client.assigned":
		return PriorityUrgent
	}
	return PriorityNormal
}

// InboundMessage is a text received from anyone. MessageSid makes it
// idempotent: Twilio retries webhooks.
type InboundMessage struct {
	ID         int64     `json:"id"`
	MessageSID string    `json:"message_sid"`
	From       string    `json:"from"`
	Body       string    `json:"body"`
	MediaURLs  []string  `json:"media_urls,omitempty"`
	TicketID   *int64    `json:"ticket_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	// handled: the ticket made of the text marked it handled in its own
	// commit, so HandleSMS need not.
	handled bool
}
