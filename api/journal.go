package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

// While PostgreSQL is away, POST /requests (the web form's request, as the
// form does) is journalled and answered 202 Accepted; the ticket is made
// when PostgreSQL is back, and the same Idempotency-Key then gets it (201,
// Idempotent-Replayed). POST /tickets promises the ticket itself in its
// answer, so it stays 503 then.

// knownTokenTTL is how long a token checked against PostgreSQL is trusted
// without it while PostgreSQL is away. Tokens are revoked in PostgreSQL, so
// none can be revoked during the outage; the limit bounds how long a token
// revoked just before it keeps working.
const knownTokenTTL = 10 * time.Minute

// knownTokens remembers the tokens PostgreSQL confirmed lately, by hash.
type knownTokens struct {
	mu   sync.Mutex
	seen map[string]knownToken
}

type knownToken struct {
	tok *dispatch.Token
	at  time.Time
}

func (k *knownTokens) remember(hash string, tok *dispatch.Token) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.seen == nil {
		k.seen = map[string]knownToken{}
	}
	k.seen[hash] = knownToken{tok: tok, at: time.Now()}
}

// recall is the token of hash if PostgreSQL confirmed it within
// knownTokenTTL.
func (k *knownTokens) recall(hash string) *dispatch.Token {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.seen[hash]
	if !ok {
		return nil
	}
	if time.Since(t.at) > knownTokenTTL {
		delete(k.seen, hash)
		return nil
	}
	return t.tok
}

// tokenByHash is the store's lookup, falling back to a token confirmed
// lately when PostgreSQL is away, so that a request can still be
// journalled; the same error otherwise.
func (a *API) tokenByHash(ctx context.Context, hash string) (*dispatch.Token, error) {
	tok, err := a.store.TokenByHash(ctx, hash)
	switch {
	case err == nil:
		a.known.remember(hash, tok)
	case dispatch.IsCode(err, dispatch.EUNAVAILABLE) && a.journal != nil:
		if t := a.known.recall(hash); t != nil {
			return t, nil
		}
	}
	return tok, err
}

// journalled keeps r when err says PostgreSQL is away and answers 202; it
// returns handled=false when the request is not journalled.
func (a *API) journalled(c echo.Context, r dispatch.IntakeRequest, err error) (bool, error) {
	if a.journal == nil || !dispatch.IsCode(err, dispatch.EUNAVAILABLE) {
		return false, nil
	}
	if r.SourceID == "" {
		// Without the partner's key the replay still needs one of its own.
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		r.SourceID = "api:" + strconv.FormatInt(token(c).ID, 10) + ":j" + hex.EncodeToString(b)
	}
	e := &dispatch.JournalEntry{Kind: dispatch.JournalRequest, Request: &r, At: time.Now()}
	if jerr := a.journal.Append(context.WithoutCancel(c.Request().Context()), e); jerr != nil {
		a.log.ErrorContext(c.Request().Context(), "api: PostgreSQL unavailable and the journal failed too", "err", jerr)
		return false, nil
	}
	a.log.WarnContext(c.Request().Context(), "api: PostgreSQL unavailable, request journalled for replay", "entry", e.ID())
	return true, c.JSON(http.StatusAccepted, map[string]string{
		"status": "accepted",
		"message": "The request is saved and will become a ticket shortly; the client gets its code by text. " +
			"Send it again with the same Idempotency-Key later to get the ticket.",
	})
}
