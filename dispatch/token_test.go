package dispatch_test

import (
	"strings"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestNewAPIToken(t *testing.T) {
	s1, h1 := dispatch.NewAPIToken()
	s2, h2 := dispatch.NewAPIToken()
	if !strings.HasPrefix(s1, "dsp_") || len(s1) < 4+40 {
		t.Fatalf("token %q: want dsp_ and 32 random bytes", s1)
	}
	if s1 == s2 || h1 == h2 {
		t.Fatal("two tokens are equal")
	}
	if got := dispatch.HashToken(s1); got != h1 {
		t.Fatalf("HashToken(secret) = %s, NewAPIToken said %s", got, h1)
	}
	if len(h1) != 64 || strings.Contains(h1, s1) {
		t.Fatalf("hash %q is not a SHA-256 hex digest", h1)
	}
	// The hash of a known input pins the algorithm, so that tokens created by
	// one release still work with the next.
	if got := dispatch.HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashToken(abc) = %s", got)
	}
}
