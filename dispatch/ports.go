package dispatch

import (
	"context"
	"strings"
)

// Sender sends one text message through a provider (Twilio, or the simulator
// that keeps messages in the database). It returns the provider's message id.
// An *Error with EUNAVAILABLE or ERATELIMIT is temporary and retried;
// any other error is permanent for that message.
type Sender interface {
	Send(ctx context.Context, n *Notification) (sid string, err error)
	// Lookup asks the provider whether n was sent already (a crash between
	// the provider's answer and our update). It returns the sid when it was,
	// or ENOTFOUND.
	Lookup(ctx context.Context, n *Notification) (sid string, err error)
}

// Messages renders the user-facing texts kept under configs/, per language.
type Messages interface {
	Render(key string, lang Lang, data map[string]any) (string, error)
}

// Phones normalises phone numbers to E.164 (default region KZ).
type Phones interface {
	Normalize(raw string) (string, error)
}

// Geocoder turns a free-text address into a location. ENOTFOUND when it
// cannot place it.
type Geocoder interface {
	Geocode(ctx context.Context, address string) (Location, error)
}

// MaskPhone keeps the country code and the last two digits of a number, for
// logs: "+7701*****67".
func MaskPhone(p string) string {
	if len(p) <= 6 {
		return strings.Repeat("*", len(p))
	}
	return p[:5] + strings.Repeat("*", len(p)-7) + p[len(p)-2:]
}
