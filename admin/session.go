package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/input"
	"concierge/modules/identity"
)

// Sessions
//
// Signing in (POST /admin/login) runs the identity service's login (its
// throttling, its audit) and keeps the token pair it hands out in a new
// session: a Redis entry under a random 256-bit id that only the browser's
// cc_admin cookie holds (HttpOnly, SameSite=Strict, Secure in production,
// path /admin). The refresh token is sealed (secrets.Keyring) in the entry;
// the key is a hash of the id, so the ids are in Redis nowhere.
//
//   - Fixation: a session id is made only by a successful sign-in, never
//     taken from the request; an id the browser had before is dropped.
//   - Idle timeout: the entry expires IdleTimeout after its last use (each
//     request reads it with GETEX, pushing the expiry), and its last-use
//     time is checked against the clock as well.
//   - Sign out revokes the refresh token family (so the access token dies
//     in every process, identity's revocation) and deletes the entry: the
//     cookie is worthless at once.
//   - The access token is refreshed through identity when it has less than
//     a minute left, by one request at a time (a Redis lock); a refresh the
//     identity service refuses (revoked, user disabled) ends the session.
//   - Every state-changing request carries the session's CSRF token
//     (guard); the sign-in form carries a token of its own (cc_admin_login).

const (
	cookieSession = "cc_admin"
	cookieLogin   = "cc_admin_login"
	refreshBefore = time.Minute
)

// session is a session's Redis entry.
type session struct {
	UserID    uuid.UUID `json:"u"`
	Email     string    `json:"e"`
	Access    string    `json:"a"`
	AccessExp int64     `json:"ax"` // unix seconds
	Refresh   string    `json:"r"`  // sealed
	CSRF      string    `json:"c"`
	Lang      string    `json:"l"`
	Tenant    uuid.UUID `json:"t"` // the platform host's chosen tenant (uuid.Nil: none)
	Seen      int64     `json:"s"` // unix milliseconds of the last use
}

func randomID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sessionKey is the Redis key of a session id (its hash, in a hash tag of
// its own: one slot).
func (a *Console) sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return a.cfg.RedisPrefix + "admin:session:{" + hex.EncodeToString(sum[:16]) + "}"
}

func (a *Console) saveSession(c *fiber.Ctx, key string, s *session, keepTTL bool) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	ttl := a.cfg.IdleTimeout
	if keepTTL {
		ttl = redis.KeepTTL
	}
	return a.d.Redis.Set(c.UserContext(), key, b, ttl).Err()
}

// signedIn loads the session of the request's cookie, or sends the browser
// to the sign-in page (with where it was going). It refreshes the access
// token when due, checks it with identity (a revoked session or disabled
// user is signed out) and puts the principal in the user context (the
// actor of everything audited).
func (a *Console) signedIn(c *fiber.Ctx) error {
	id := c.Cookies(cookieSession)
	if id == "" || len(id) > 64 {
		return a.toLogin(c, "")
	}
	ctx := c.UserContext()
	key := a.sessionKey(id)
	b, err := a.d.Redis.GetEx(ctx, key, a.cfg.IdleTimeout).Bytes()
	if errors.Is(err, redis.Nil) {
		a.clearSession(c)
		return a.toLogin(c, "admin.login.expired")
	}
	if err != nil {
		return a.fail(c, errs.Wrap(errs.CodeUnavailable, err, "admin.unavailable"))
	}
	var s session
	if err := json.Unmarshal(b, &s); err != nil {
		a.endSession(c, key, nil)
		return a.toLogin(c, "admin.login.expired")
	}
	now := a.d.Now()
	if now.Sub(time.UnixMilli(s.Seen)) > a.cfg.IdleTimeout {
		a.endSession(c, key, &s)
		return a.toLogin(c, "admin.login.expired")
	}
	dirty := now.Sub(time.UnixMilli(s.Seen)) > a.cfg.IdleTimeout/30
	s.Seen = now.UnixMilli()
	if time.Unix(s.AccessExp, 0).Sub(now) < refreshBefore {
		if err := a.refresh(c, key, &s); err != nil {
			if errs.CodeOf(err) == errs.CodeUnauthorized {
				a.endSession(c, key, nil)
				return a.toLogin(c, "admin.login.expired")
			}
			return a.fail(c, err)
		}
		dirty = false // refresh saved it
	}
	p, err := a.d.Identity.VerifyAccessToken(ctx, s.Access)
	if err != nil {
		if errs.CodeOf(err) == errs.CodeUnauthorized {
			a.endSession(c, key, nil)
			return a.toLogin(c, "admin.login.expired")
		}
		return a.fail(c, err)
	}
	if dirty {
		if err := a.saveSession(c, key, &s, false); err != nil {
			a.d.Log.WarnContext(ctx, "admin session not touched", "error", err)
		}
	}
	c.Locals(reqKey, &req{sess: &s, key: key, p: p})
	c.SetUserContext(identity.WithPrincipal(ctx, p))
	return c.Next()
}

// refresh exchanges the session's refresh token for a new pair, one
// request at a time: a request that finds another refreshing reads the
// session it saved.
func (a *Console) refresh(c *fiber.Ctx, key string, s *session) error {
	ctx := c.UserContext()
	lock := key + ":refresh"
	ok, err := a.d.Redis.SetNX(ctx, lock, "1", 10*time.Second).Result()
	if err != nil {
		return errs.Wrap(errs.CodeUnavailable, err, "admin.unavailable")
	}
	if !ok {
		// Another request is refreshing: the current access token still
		// has up to a minute; use it.
		return nil
	}
	defer a.d.Redis.Del(ctx, lock)
	refresh, err := a.d.Keys.Open(s.Refresh, "admin.session")
	if err != nil {
		return errs.New(errs.CodeUnauthorized, "admin.session")
	}
	tok, err := a.d.Identity.Refresh(ctx, refresh, a.d.ClientIP(c), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	if err := a.keepTokens(s, tok); err != nil {
		return err
	}
	return a.saveSession(c, key, s, false)
}

func (a *Console) keepTokens(s *session, tok *identity.Tokens) error {
	sealed, err := a.d.Keys.Seal(tok.RefreshToken, "admin.session")
	if err != nil {
		return err
	}
	s.Access, s.Refresh = tok.AccessToken, sealed
	s.AccessExp = a.d.Now().Add(tok.AccessExpiresIn).Unix()
	return nil
}

// endSession revokes the session's refresh token family (when s is known)
// and deletes it, and clears the cookie.
func (a *Console) endSession(c *fiber.Ctx, key string, s *session) {
	ctx := c.UserContext()
	if s != nil {
		if refresh, err := a.d.Keys.Open(s.Refresh, "admin.session"); err == nil {
			if err := a.d.Identity.Logout(ctx, refresh); err != nil {
				a.d.Log.WarnContext(ctx, "admin sign-out: session not revoked", "error", err)
			}
		}
	}
	if err := a.d.Redis.Del(ctx, key).Err(); err != nil {
		a.d.Log.WarnContext(ctx, "admin sign-out: session not deleted", "error", err)
	}
	a.clearSession(c)
}

func (a *Console) cookie(c *fiber.Ctx, name, value string, maxAge int) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/admin", MaxAge: maxAge, HTTPOnly: true,
		Secure: a.cfg.Secure || c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode})
}

func (a *Console) clearSession(c *fiber.Ctx) { a.cookie(c, cookieSession, "", -1) }

// toLogin answers a request without a usable session: a page goes to the
// sign-in page (coming back afterwards), an htmx request is told to
// reload, anything else gets 401.
func (a *Console) toLogin(c *fiber.Ctx, notice string) error {
	next := "/admin"
	if c.Method() == fiber.MethodGet {
		next = c.OriginalURL()
	}
	q := url.Values{"next": {localNext(next)}}
	if notice != "" {
		q.Set("notice", notice)
	}
	target := "/admin/login?" + q.Encode()
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", target)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

// loginPage is GET /admin/login: the form, with a fresh form token.
func (a *Console) loginPage(c *fiber.Ctx) error {
	v := a.view(c, "admin.login.title")
	f := ui.LoginForm{Next: localNext(c.Query("next")), Token: a.loginToken(c)}
	if n := c.Query("notice"); n == "admin.login.expired" || n == "admin.login.signed_out" {
		f.Notice = v.T(n)
	}
	return a.render(c, ui.LoginPage(v, f))
}

// loginToken is the sign-in form's CSRF token (its cookie set anew).
func (a *Console) loginToken(c *fiber.Ctx) string {
	tok := randomID()
	a.cookie(c, cookieLogin, tok, 3600)
	return tok
}

// guardLogin refuses a sign-in from another site or without the form's
// token.
func (a *Console) guardLogin(c *fiber.Ctx) error {
	if httpx.CrossSite(c) || !equal(c.FormValue("csrf_token"), c.Cookies(cookieLogin)) {
		return a.fail(c, errCSRF)
	}
	if err := httpx.FormText(c, input.MultiLine); err != nil {
		return a.fail(c, err)
	}
	return c.Next()
}

// login is POST /admin/login: identity's login, then a new session.
func (a *Console) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	email, password := c.FormValue("email"), c.FormValue("password")
	next := localNext(c.FormValue("next"))
	v := a.view(c, "admin.login.title")
	again := func(msg string, status int) error {
		c.Status(status)
		return a.render(c, ui.LoginPage(v, ui.LoginForm{Email: email, Next: next, Token: a.loginToken(c), Error: msg}))
	}
	if email == "" || password == "" || len(email) > 254 || len(password) > 1024 {
		return again(v.T("admin.login.missing"), fiber.StatusUnprocessableEntity)
	}
	tok, err := a.d.Identity.Login(ctx, identity.LoginInput{Email: email, Password: password, IP: a.d.ClientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	if err != nil {
		switch errs.CodeOf(err) {
		case errs.CodeUnauthorized, errs.CodeInvalid:
			return again(v.T("admin.login.failed"), fiber.StatusUnauthorized)
		case errs.CodeRateLimited:
			return again(v.T("admin.login.throttled"), fiber.StatusTooManyRequests)
		}
		return a.fail(c, err)
	}
	if err := a.startSession(c, tok, uuid.Nil); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// startSession opens a session holding tok (a sign-in's or an accepted
// invitation's) and sets its cookie; on the platform host the session's
// store is tenant, else the user's first.
func (a *Console) startSession(c *fiber.Ctx, tok *identity.Tokens, tenant uuid.UUID) error {
	ctx := c.UserContext()
	p, err := a.d.Identity.VerifyAccessToken(ctx, tok.AccessToken)
	if err != nil {
		return err
	}
	s := &session{UserID: p.UserID, Email: p.Email, CSRF: randomID(), Seen: a.d.Now().UnixMilli(), Tenant: tenant}
	if err := a.keepTokens(s, tok); err != nil {
		return err
	}
	if u, err := a.d.Identity.Me(ctx, p.UserID); err == nil {
		s.Lang = u.Locale
		if len(u.Memberships) > 0 && s.Tenant == uuid.Nil {
			s.Tenant = u.Memberships[0].TenantID
		}
	}
	if s.Lang == "" {
		s.Lang = a.langOf(c)
	}
	// A new id, whatever cookie the browser had (no fixation).
	if old := c.Cookies(cookieSession); old != "" {
		_ = a.d.Redis.Del(ctx, a.sessionKey(old)).Err()
	}
	id := randomID()
	if err := a.saveSession(c, a.sessionKey(id), s, false); err != nil {
		return errs.Wrap(errs.CodeUnavailable, err, "admin.unavailable")
	}
	a.cookie(c, cookieSession, id, 0)
	a.cookie(c, cookieLogin, "", -1)
	return nil
}

// logoutPage is GET /admin/logout: a button (signing out is a POST).
func (a *Console) logoutPage(c *fiber.Ctx) error {
	return a.render(c, ui.LogoutPage(a.view(c, "admin.logout.title")))
}

// logout is POST /admin/logout: the session revoked and deleted.
func (a *Console) logout(c *fiber.Ctx) error {
	r := reqOf(c)
	a.endSession(c, r.key, r.sess)
	return c.Redirect("/admin/login?"+url.Values{"notice": {"admin.login.signed_out"}, "lang": {r.sess.Lang}}.Encode(), fiber.StatusSeeOther)
}

// setLang is POST /admin/lang: the user's language, kept with the user and
// in the session.
func (a *Console) setLang(c *fiber.Ctx) error {
	r := reqOf(c)
	lang := c.FormValue("lang")
	if lang != "ar" && lang != "en" {
		return a.fail(c, errs.Invalid(errs.Field("lang", "oneof", "field.oneof")))
	}
	if err := a.d.Identity.SetLocale(c.UserContext(), r.p.UserID, lang); err != nil {
		return a.fail(c, err)
	}
	r.sess.Lang = lang
	if err := a.saveSession(c, r.key, r.sess, false); err != nil {
		return a.fail(c, errs.Wrap(errs.CodeUnavailable, err, "admin.unavailable"))
	}
	return c.Redirect(localNext(c.FormValue("next")), fiber.StatusSeeOther)
}
