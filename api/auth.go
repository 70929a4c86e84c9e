package api

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/labstack/echo/v4"
)

const tokenKey = "api.token"

// authenticate finds the token of Authorization: Bearer. Missing, malformed
// and unknown tokens all get 401, with the same message for the last two, so
// that the answer tells nothing about which tokens exist.
func (a *API) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		const op = "api.authenticate"
		c.Response().Header().Set("Cache-Control", "no-store")
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, secret, ok := strings.Cut(h, " ")
		if h == "" {
			return unauthorized(c, "this API needs an Authorization: Bearer token header")
		}
		secret = strings.TrimSpace(secret)
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return unauthorized(c, "the Authorization header must be \"Bearer\" and a token")
		}
		tok, err := a.tokenByHash(c.Request().Context(), dispatch.HashToken(secret))
		if dispatch.IsCode(err, dispatch.ENOTFOUND) {
			return unauthorized(c, "the token is not valid")
		} else if err != nil {
			return dispatch.E(op, err)
		}
		c.Set(tokenKey, tok)
		return next(c)
	}
}

func unauthorized(c echo.Context, msg string) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="dispatcher"`)
	return dispatch.Errorf(dispatch.EUNAUTHORIZED, "%s", msg)
}

// require refuses a token whose role is below need.
func require(need dispatch.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			tok := token(c)
			if tok == nil {
				return dispatch.Errorf(dispatch.EUNAUTHORIZED, "this API needs an Authorization: Bearer token header")
			}
			if !tok.Role.Allows(need) {
				return dispatch.Errorf(dispatch.EFORBIDDEN, "a %s token may not do this: it needs the %s role", tok.Role, need)
			}
			return next(c)
		}
	}
}

// limitWrites caps the writes of one token. The limiter failing (Redis
// down) lets the write through: a dispatcher's action matters more than the
// cap, and the limiter's own errors are its owner's to report.
func (a *API) limitWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.limiter == nil {
			return next(c)
		}
		tok := token(c)
		key := "api:token:" + strconv.FormatInt(tok.ID, 10)
		ok, err := a.limiter.Allow(c.Request().Context(), key, a.writes, time.Minute)
		if err != nil {
			a.log.WarnContext(c.Request().Context(), "api: rate limiter unavailable, write allowed", "err", err)
		} else if !ok {
			c.Response().Header().Set("Retry-After", "60")
			return dispatch.Errorf(dispatch.ERATELIMIT, "this token made more than %d writes in a minute; wait and retry", a.writes)
		}
		return next(c)
	}
}

func token(c echo.Context) *dispatch.Token {
	t, _ := c.Get(tokenKey).(*dispatch.Token)
	return t
}

// actor names the token on the audit timeline.
func actor(c echo.Context) dispatch.Actor {
	t := token(c)
	return dispatch.Actor("token:" + t.Name)
}

// idempotencyKey turns the Idempotency-Key header into a SourceID of the
// token's own, so that two partners choosing the same key never share a
// ticket. Long keys are hashed to fit.
func idempotencyKey(c echo.Context) (string, error) {
	k := strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))
	if k == "" {
		return "", nil
	}
	if len(k) > 255 {
		return "", dispatch.Errorf(dispatch.EINVALID, "the Idempotency-Key header is longer than 255 characters")
	}
	sum := sha256.Sum256([]byte(k))
	return "api:" + strconv.FormatInt(token(c).ID, 10) + ":" + hex.EncodeToString(sum[:16]), nil
}
