package dispatch

import "context"

// VolunteerImporter is the bulk side of the volunteers table that a CSV
// import of thousands of rows needs, so that a file is checked and written
// in a few statements of one transaction instead of one round trip per row.
// The PostgreSQL store implements it (its Repo inside InTx too); the console
// falls back to the Repo methods row by row when a store does not.
type VolunteerImporter interface {
	// VolunteerPhones returns which of phones belong to a volunteer already,
	// phone → volunteer id.
	VolunteerPhones(ctx context.Context, phones []string) (map[string]int64, error)
	// CreateVolunteers inserts vs and sets their IDs and timestamps. A phone
	// that exists already is ECONFLICT and nothing is inserted.
	CreateVolunteers(ctx context.Context, vs []*Volunteer) error
}

// UserLister lists console accounts, for the administrators' page. The
// PostgreSQL store implements it.
type UserLister interface {
	Users(ctx context.Context) ([]*User, error)
}

// EventCursor gives the newest audit event's id, so that a page rendered
// now can ask the event stream for everything after it and miss nothing
// between the render and the stream's start. The PostgreSQL store
// implements it.
type EventCursor interface {
	LatestEventID(ctx context.Context) (int64, error)
}
