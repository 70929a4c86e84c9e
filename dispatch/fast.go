package dispatch

import (
	"context"
	"time"
)

// Queue is the fast path that hands tickets to engines on any process
// (Redis). An entry means "look at this ticket at time due"; the engine's work
// on a ticket is idempotent, so a ticket handed out twice does no harm, and a
// lost entry is put back by the reconciler from PostgreSQL.
type Queue interface {
	// Push schedules ticket id for due (now or later). Pushing a ticket that
	// is queued already moves its due time.
	Push(ctx context.Context, id int64, due time.Time, u Urgency) error
	// Claim leases the next due ticket, urgent ones first, waiting up to wait
	// for one. It returns ENOTFOUND when none came.
	Claim(ctx context.Context, wait time.Duration) (Lease, error)
	// Ack ends a lease: the work is done (a later Push may have queued the
	// ticket again, which Ack leaves in place).
	Ack(ctx context.Context, l Lease) error
	// Has reports which of ids are in the queue or leased.
	Has(ctx context.Context, ids []int64) (map[int64]bool, error)
	// RequeueExpired puts back tickets whose lease ran out (a dead process).
	RequeueExpired(ctx context.Context) (int, error)
}

// Lease is a claimed queue entry.
type Lease struct {
	TicketID int64
	Token    string
}

// GeoIndex holds the locations of volunteers who can take work now.
type GeoIndex interface {
	Set(ctx context.Context, volunteerID int64, loc Location) error
	Remove(ctx context.Context, volunteerID int64) error
	// Near returns up to limit volunteers within radiusM of loc, nearest first.
	Near(ctx context.Context, loc Location, radiusM float64, limit int) ([]GeoHit, error)
	// Rebuild replaces the whole index atomically.
	Rebuild(ctx context.Context, vols map[int64]Location) error
	// Size is the number of volunteers in the index; -1 when the index is
	// missing (Redis lost it) and must be rebuilt.
	Size(ctx context.Context) (int64, error)
}

// GeoHit is one volunteer found near a point.
type GeoHit struct {
	VolunteerID int64
	DistanceM   float64
}

// Event is a change that live consoles show: its ID is the audit row's, so
// that a console that reconnects resumes with Last-Event-ID from PostgreSQL.
type Event struct {
	ID       int64  `json:"id"`
	TicketID int64  `json:"ticket_id"`
	Kind     string `json:"kind"`
	Status   Status `json:"status,omitempty"`
}

// EventBus carries events between processes (Redis pub/sub).
type EventBus interface {
	Publish(ctx context.Context, e Event) error
	// Subscribe delivers events until ctx ends; the channel is closed then.
	Subscribe(ctx context.Context) (<-chan Event, error)
}

// Waker wakes outbox senders on any process when rows are enqueued, so that
// messages leave at once without polling.
type Waker interface {
	Wake(ctx context.Context) error
	Wait(ctx context.Context, d time.Duration) error
}
