package dispatch

import "time"

// Need is an accessibility need of a client, which shapes how the service
// talks to them and whom it sends.
type Need string

// Needs.
const (
	NeedWheelchair Need = "wheelchair"
	NeedBlind      Need = "blind"
	NeedDeaf       Need = "deaf"
	NeedSpeech     Need = "speech"
	NeedElderly    Need = "elderly"
)

// Client is a person who asks for help.
type Client struct {
	ID        int64     `json:"id"`
	Phone     string    `json:"phone"` // E.164
	Name      string    `json:"name"`
	Lang      Lang      `json:"language"`
	Location  *Location `json:"location,omitempty"` // home
	Address   string    `json:"address"`
	Needs     []Need    `json:"needs"`
	Notes     string    `json:"notes"`
	OptedOut  bool      `json:"opted_out"` // texted STOP: no messages until START
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ClientFilter selects clients for a list.
type ClientFilter struct {
	Query  string // part of the name or phone
	Limit  int
	Offset int
}
