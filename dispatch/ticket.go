package dispatch

import (
	"time"
)

// Channel is how a request reached the service.
type Channel string

// Channels.
const (
	ChannelVoice   Channel = "voice"
	ChannelSMS     Channel = "sms"
	ChannelWeb     Channel = "web"
	ChannelAPI     Channel = "api"
	ChannelConsole Channel = "console"
	ChannelSystem  Channel = "system"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelVoice, ChannelSMS, ChannelWeb, ChannelAPI, ChannelConsole, ChannelSystem:
		return true
	}
	return false
}

// Category is the kind of help asked for.
type Category string

// Categories, in the order of the phone menu.
const (
	CategoryEscort        Category = "escort"        // escort or transport
	CategoryShopping      Category = "shopping"      // shopping or medicine
	CategoryHome          Category = "home"          // help at home
	CategoryAccessibility Category = "accessibility" // a barrier: ramp, lift, entrance
	CategoryOther         Category = "other"
)

// Categories lists the categories in menu order (key 1 is Categories[0]).
var Categories = []Category{CategoryEscort, CategoryShopping, CategoryHome, CategoryAccessibility, CategoryOther}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return c.Consult()
}

// Urgency of a ticket. Urgent tickets are dispatched before normal ones.
type Urgency string

// Urgencies.
const (
	UrgencyNormal Urgency = "normal"
	UrgencyUrgent Urgency = "urgent"
)

// Valid reports whether u is a known urgency.
func (u Urgency) Valid() bool { return u == UrgencyNormal || u == UrgencyUrgent }

// Skill is something a volunteer can do and a ticket can need.
type Skill string

// Skills.
const (
	SkillWheelchair   Skill = "wheelchair"    // wheelchair transfer
	SkillSignLanguage Skill = "sign_language" // Kazakh/Russian sign language
	SkillCar          Skill = "car"
	SkillMedical      Skill = "medical" // basic medical
)

// Skills lists the known skills.
var Skills = []Skill{SkillWheelchair, SkillSignLanguage, SkillCar, SkillMedical}

// Valid reports whether s is a known skill.
func (s Skill) Valid() bool {
	for _, k := range Skills {
		if s == k {
			return true
		}
	}
	return false
}

// Location is a point in WGS84 degrees.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Validate reports a location outside the globe's ranges, or the zero point,
// which is what a form or a client library sends when it has nothing.
func (l Location) Validate() error {
	if l.Lat < -90 || l.Lat > 90 || l.Lon < -180 || l.Lon > 180 {
		return Errorf(EINVALID, "location %.5f,%.5f is outside the valid range", l.Lat, l.Lon)
	}
	if l.Lat == 0 && l.Lon == 0 {
		return Errorf(EINVALID, "location 0,0 is not a real place")
	}
	return nil
}

// Ticket is one request for help, from intake to completion.
type Ticket struct {
	ID          int64      `json:"id"`
	Code        string     `json:"code"` // short public code a caller can read aloud
	Channel     Channel    `json:"channel"`
	Category    Category   `json:"category"`
	Description string     `json:"description"`
	Lang        Lang       `json:"language"`
	Location    *Location  `json:"location,omitempty"`
	Address     string     `json:"address"`
	Urgency     Urgency    `json:"urgency"`
	Needs       []Skill    `json:"needs"`
	WindowStart *time.Time `json:"window_start,omitempty"` // requested time window
	WindowEnd   *time.Time `json:"window_end,omitempty"`
	Status      Status     `json:"status"`
	Reason      string     `json:"reason,omitempty"` // why escalated, cancelled or expired
	ClientID    int64      `json:"client_id"`
	VolunteerID *int64     `json:"volunteer_id"`
	Wave        int        `json:"wave"`     // offer waves sent so far
	CallBack    bool       `json:"callback"` // a dispatcher should call the client back
	// RecordingURL is the caller's recorded description, for voice tickets.
	RecordingURL string `json:"recording_url,omitempty"`
	// SourceID is the Twilio CallSid or MessageSid, or the idempotency key of
	// a web or API request: the same source always maps to the same ticket.
	SourceID    string     `json:"-"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	AssignedAt  *time.Time `json:"assigned_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// DueAt is when the engine must look at the ticket next (the next wave,
	// an offer's expiry, a follow-up). PostgreSQL keeps it so that the Redis
	// queue can always be rebuilt.
	DueAt *time.Time `json:"due_at,omitempty"`
}

// Open reports whether the ticket still needs work.
func (t *Ticket) Open() bool { return !t.Status.Final() }

// NeedsSkill reports whether the ticket needs s.
func (t *Ticket) NeedsSkill(s Skill) bool {
	for _, n := range t.Needs {
		if n == s {
			return true
		}
	}
	return false
}

// TicketEvent is one append-only row of a ticket's audit timeline.
type TicketEvent struct {
	ID       int64     `json:"id"`
	TicketID int64     `json:"ticket_id"`
	From     Status    `json:"from,omitempty"`
	To       Status    `json:"to,omitempty"`
	Kind     string    `json:"kind"`  // "transition", "note", "match", "offer", "message", ...
	Actor    string    `json:"actor"` // "system", "volunteer:12", "user:anna", "client"
	Channel  Channel   `json:"channel"`
	Reason   string    `json:"reason,omitempty"`
	Data     string    `json:"data,omitempty"` // JSON detail: candidates and scores, message text...
	At       time.Time `json:"at"`
}

// Event kinds besides state transitions.
const (
	EventTransition = "transition"
	EventNote       = "note"
	EventMatch      = "match"   // the matcher's candidates, filters and scores
	EventOffer      = "offer"   // an offer sent or answered
	EventMessage    = "message" // a message in or out
	EventUpdate     = "update"  // a field edited by a dispatcher
	EventDelivery   = "delivery"
)

// TicketFilter selects tickets for a list.
type TicketFilter struct {
	Status    []Status
	ClientID  *int64
	Volunteer *int64
	Open      bool // only tickets in a non-final state
	// Centre keeps the tickets of a centre (ScopeFor); the zero value
	// keeps every ticket.
	Centre CentreScope
	Limit  int
	Offset int
}
