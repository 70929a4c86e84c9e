package redis

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a goroutine outlives the tests: every
// subscription must end with its context and every client be closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
