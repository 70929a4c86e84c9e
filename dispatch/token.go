package dispatch

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token, so that a leaked one is easy to spot
// in a repository or a log, and easy to tell from a session cookie.
const TokenPrefix = "dsp_"

// NewAPIToken returns a fresh bearer token and the hash to store. The secret
// is shown once to whoever created it; only the hash is kept.
func NewAPIToken() (secret, hash string) {
	b := make([]byte, 32)
	// crypto/rand.Read never fails on supported platforms (it panics
	// rather than return short), so there is no error to hand back.
	_, _ = rand.Read(b)
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}

// HashToken is the SHA-256 of a token in hex. Tokens are 256 random bits, so
// a plain hash is enough: there is nothing to guess that a slow hash would
// protect.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	return hex.EncodeToString(sum[:])
}
