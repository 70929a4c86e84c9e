package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Simulator is the driver used without Twilio credentials: the message is
// already a row of the notifications table, which the console's phone
// simulator shows, so sending only gives it an SID and the outbox marks it
// delivered at once.
type Simulator struct{}

var _ dispatch.InstantSender = (*Simulator)(nil)

// NewSimulator returns the driver.
func NewSimulator() *Simulator { return &Simulator{} }

// Send returns an SID shaped like Twilio's ("SM" and 32 hex digits), derived
// from the message's key so that sending again gives the same one.
func (*Simulator) Send(_ context.Context, n *dispatch.Notification) (string, error) {
	sum := sha256.Sum256([]byte(n.Key))
	return "SM" + hex.EncodeToString(sum[:16]), nil
}

// Lookup finds nothing: sending again is harmless here.
func (*Simulator) Lookup(_ context.Context, n *dispatch.Notification) (string, error) {
	return "", dispatch.Errorf(dispatch.ENOTFOUND, "the simulator keeps no record outside the database")
}

// Instant reports that a simulated message is delivered once sent.
func (*Simulator) Instant() bool { return true }
