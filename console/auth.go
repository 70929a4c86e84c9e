package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Cookie names. The session cookie holds a random id whose SHA-256 alone is
// stored, so that a leaked sessions table opens no session.
const (
	sessionCookie    = "dsp_session"
	loginCSRFCookie  = "dsp_login"
	csrfField        = "csrf"
	csrfHeader       = "X-CSRF-Token"
	sessionKey       = "console.session"
	minPasswordBytes = 8
)

// HashPassword hashes a console password with bcrypt. Passwords shorter than
// 8 bytes are refused, and so are those over 72 bytes, which bcrypt would
// silently cut.
func HashPassword(pw string) (string, error) {
	const op = "console.HashPassword"
	if len(pw) < minPasswordBytes {
		return "", dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "password must have at least %d characters", minPasswordBytes))
	}
	if len(pw) > 72 {
		return "", dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "password must have at most 72 bytes"))
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", dispatch.E(op, err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches the bcrypt hash.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// dummyCompare spends as long as a real password check, so that a wrong
// name cannot be told from a wrong password by timing.
func (c *Console) dummyCompare(pw string) {
	c.dummyOnce.Do(func() { c.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(randomToken()), bcrypt.DefaultCost) })
	_ = bcrypt.CompareHashAndPassword(c.dummyHash, []byte(pw))
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSessionID(id string) string {
	s := sha256.Sum256([]byte(id))
	return hex.EncodeToString(s[:])
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func sessionOf(ec echo.Context) *dispatch.Session {
	s, _ := ec.Get(sessionKey).(*dispatch.Session)
	return s
}

// actor names the logged-in user on the audit timeline.
func actor(ec echo.Context) dispatch.Actor {
	if s := sessionOf(ec); s != nil && s.User != nil {
		return dispatch.Actor("user:" + s.User.Name)
	}
	return dispatch.ActorSystem
}

// session finds the request's live session, or nil.
func (c *Console) session(ec echo.Context) (*dispatch.Session, error) {
	ck, err := ec.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	ctx := ec.Request().Context()
	h := hashSessionID(ck.Value)
	s, err := c.store.SessionByHash(ctx, h)
	if dispatch.IsCode(err, dispatch.ENOTFOUND) {
		return nil, nil
	} else if err != nil {
		return nil, dispatch.E("console.session", err)
	}
	if !c.now().Before(s.ExpiresAt) {
		if err := c.store.DeleteSession(ctx, h); err != nil && !dispatch.IsCode(err, dispatch.ENOTFOUND) {
			return nil, dispatch.E("console.session", err)
		}
		return nil, nil
	}
	if s.User == nil {
		return nil, dispatch.E("console.session", dispatch.Errorf(dispatch.EINTERNAL, "store returned a session without its user"))
	}
	return s, nil
}

// access says what a route needs and how it refuses: pages redirect to the
// login page, streams and JSON endpoints answer 401.
type access struct {
	role dispatch.Role
	api  bool
}

var (
	viewPage = access{role: dispatch.RoleViewer}
	actPage  = access{role: dispatch.RoleDispatcher}
	adminPg  = access{role: dispatch.RoleAdmin}
	viewAPI  = access{role: dispatch.RoleViewer, api: true}
)

// require refuses the unauthenticated, the wrong role (403) and, on every
// state-changing request, a missing or wrong CSRF token (403).
func (c *Console) require(a access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			s, err := c.session(ec)
			if err != nil {
				return err
			}
			if s == nil {
				if a.api {
					return ec.JSON(http.StatusUnauthorized, map[string]string{"code": dispatch.EUNAUTHORIZED, "message": "log in first"})
				}
				to := "/console/login"
				if r := ec.Request(); r.Method == http.MethodGet {
					to += "?next=" + urlQueryEscape(r.URL.RequestURI())
				}
				return ec.Redirect(http.StatusSeeOther, to)
			}
			ec.Set(sessionKey, s)
			if !s.User.Role.Allows(a.role) {
				return c.refuse(ec, http.StatusForbidden, "error.forbidden")
			}
			if m := ec.Request().Method; m != http.MethodGet && m != http.MethodHead {
				tok := ec.Request().Header.Get(csrfHeader)
				if tok == "" {
					tok = ec.FormValue(csrfField)
				}
				if !sameToken(tok, s.CSRF) {
					return c.refuse(ec, http.StatusForbidden, "error.csrf")
				}
			}
			return next(ec)
		}
	}
}

// refuse answers with a small error page in the user's language.
func (c *Console) refuse(ec echo.Context, status int, key string) error {
	p := c.Page(ec, "", "error.title", nil)
	p.Error = p.T(key)
	return c.Render(ec, status, "error", p)
}

func (c *Console) registerAuth(g *echo.Group) {
	g.GET("/login", c.loginPage)
	g.POST("/login", c.login)
	g.POST("/logout", c.logout, c.require(viewPage))
}

type loginData struct {
	Name      string
	Next      string
	LoginCSRF string
}

func (c *Console) loginPage(ec echo.Context) error {
	if s, err := c.session(ec); err == nil && s != nil {
		return ec.Redirect(http.StatusSeeOther, "/console")
	}
	return c.renderLogin(ec, http.StatusOK, loginData{Next: safeNext(ec.QueryParam("next"))}, "")
}

// renderLogin sets a fresh double-submit token: the login form has no
// session yet to hold one.
func (c *Console) renderLogin(ec echo.Context, status int, d loginData, errKey string) error {
	d.LoginCSRF = randomToken()
	ec.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: d.LoginCSRF, Path: "/console/login",
		HttpOnly: true, Secure: c.opts.CookieSecure, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	p := c.Page(ec, "", "login.title", d)
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	return c.Render(ec, status, "login", p)
}

func (c *Console) login(ec echo.Context) error {
	ctx := ec.Request().Context()
	d := loginData{Name: strings.TrimSpace(ec.FormValue("name")), Next: safeNext(ec.FormValue("next"))}
	ck, err := ec.Cookie(loginCSRFCookie)
	if err != nil || !sameToken(ec.FormValue(csrfField), ck.Value) {
		return c.renderLogin(ec, http.StatusForbidden, d, "error.csrf")
	}
	key := "console-login:" + strings.ToLower(d.Name) + "|" + ec.RealIP()
	ok, err := c.limit.Allow(ctx, key, c.opts.LoginAttemptsPerMinute, time.Minute)
	if err != nil {
		return dispatch.E("console.login", err)
	}
	if !ok {
		return c.renderLogin(ec, http.StatusTooManyRequests, d, "login.too_many")
	}
	pw := ec.FormValue("password")
	u, err := c.store.UserByName(ctx, d.Name)
	if dispatch.IsCode(err, dispatch.ENOTFOUND) || d.Name == "" {
		c.dummyCompare(pw)
		return c.renderLogin(ec, http.StatusUnauthorized, d, "login.wrong")
	} else if err != nil {
		return dispatch.E("console.login", err)
	}
	if !CheckPassword(u.PasswordHash, pw) {
		return c.renderLogin(ec, http.StatusUnauthorized, d, "login.wrong")
	}
	id := randomToken()
	s := &dispatch.Session{IDHash: hashSessionID(id), UserID: u.ID, CSRF: randomToken(),
		ExpiresAt: c.now().Add(c.opts.SessionTTL), User: u}
	if err := c.store.CreateSession(ctx, s); err != nil {
		return dispatch.E("console.login", err)
	}
	ec.SetCookie(&http.Cookie{Name: sessionCookie, Value: id, Path: "/console", HttpOnly: true,
		Secure: c.opts.CookieSecure, SameSite: http.SameSiteLaxMode, Expires: s.ExpiresAt})
	ec.SetCookie(&http.Cookie{Name: loginCSRFCookie, Path: "/console/login", MaxAge: -1})
	c.log.InfoContext(ctx, "console login", "user", u.Name)
	to := d.Next
	if to == "" {
		to = "/console"
	}
	return ec.Redirect(http.StatusSeeOther, to)
}

func (c *Console) logout(ec echo.Context) error {
	ck, err := ec.Cookie(sessionCookie)
	if err == nil {
		if err := c.store.DeleteSession(ec.Request().Context(), hashSessionID(ck.Value)); err != nil && !dispatch.IsCode(err, dispatch.ENOTFOUND) {
			return dispatch.E("console.logout", err)
		}
	}
	ec.SetCookie(&http.Cookie{Name: sessionCookie, Path: "/console", MaxAge: -1, HttpOnly: true,
		Secure: c.opts.CookieSecure, SameSite: http.SameSiteLaxMode})
	return ec.Redirect(http.StatusSeeOther, "/console/login")
}

// safeNext keeps a redirect target inside the console, so that the login
// form cannot be used to send people elsewhere.
func safeNext(s string) string {
	if strings.HasPrefix(s, "/console") && !strings.HasPrefix(s, "//") && !strings.ContainsAny(s, "\\\r\n") {
		return s
	}
	return ""
}

// localLimiter counts in fixed one-period windows in this process only: the
// fallback when no shared limiter is wired.
type localLimiter struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]window
}

type window struct {
	start time.Time
	n     int
}

func newLocalLimiter(now func() time.Time) *localLimiter {
	return &localLimiter{now: now, m: map[string]window{}}
}

func (l *localLimiter) Allow(_ context.Context, key string, limit int, per time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) > 10000 { // forget old windows rather than grow without bound
		for k, w := range l.m {
			if now.Sub(w.start) >= per {
				delete(l.m, k)
			}
		}
	}
	w := l.m[key]
	if now.Sub(w.start) >= per {
		w = window{start: now}
	}
	w.n++
	l.m[key] = w
	return w.n <= limit, nil
}

const centreKey = "console.centre"

// centreOf is the centre whose tickets the logged-in user sees and acts on
// (dispatch.SeesCentre): 0 for everyone who sees all. Read once a request.
func (c *Console) centreOf(ec echo.Context) (int64, error) {
	if v, ok := ec.Get(centreKey).(int64); ok {
		return v, nil
	}
	s := sessionOf(ec)
	if s == nil || s.User == nil {
		return 0, dispatch.Errorf(dispatch.EUNAUTHORIZED, "log in first")
	}
	var mine int64
	if !s.User.Role.Allows(dispatch.RoleCoordinator) {
		err := c.store.InTx(ec.Request().Context(), func(r dispatch.Repo) error {
			cr, err := dispatch.AsCentreRepo(r)
			if err != nil {
				return err
			}
			mine, err = cr.UserCentre(ec.Request().Context(), s.User.ID)
			return err
		})
		if err != nil {
			return 0, dispatch.E("console.centreOf", err)
		}
	}
	ec.Set(centreKey, mine)
	return mine, nil
}

// ticketCentres returns the centre (0: unrouted) of each ticket.
func (c *Console) ticketCentres(ctx context.Context, ids []int64) (map[int64]int64, error) {
	return dispatch.TicketCentres(ctx, c.store, ids)
}

// seeTicket answers ENOTFOUND, as for a ticket that does not exist, when
// the ticket belongs to a centre the user does not see: a dispatcher of
// one centre must not learn of another's tickets.
func (c *Console) seeTicket(ec echo.Context, id int64) error {
	const op = "console.seeTicket"
	mine, err := c.centreOf(ec)
	if err != nil || mine == 0 {
		return dispatch.E(op, err)
	}
	cs, err := c.ticketCentres(ec.Request().Context(), []int64{id})
	if err != nil {
		return dispatch.E(op, err)
	}
	if !dispatch.SeesCentre(sessionOf(ec).User.Role, mine, cs[id]) {
		return dispatch.E(op, dispatch.Errorf(dispatch.ENOTFOUND, "ticket %d not found", id))
	}
	return nil
}
