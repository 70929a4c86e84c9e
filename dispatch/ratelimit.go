package dispatch

import (
	"context"
	"time"
)

// Limiter counts attempts per key across every process, so that the web form,
// login attempts and ticket-code lookups cannot be hammered by cycling between
// servers. Key is the caller's choice ("form:" + address, "login:" + name); an
// implementation must not need it to be free of personal data, so it may hash
// it before storing.
type Limiter interface {
	// Allow records one attempt under key and reports whether it is within
	// limit attempts per period. A refused attempt is not counted.
	Allow(ctx context.Context, key string, limit int, per time.Duration) (bool, error)
}
