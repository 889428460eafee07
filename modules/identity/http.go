package identity

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/tenants"
)

// Cookie names of the dashboard's cookie mode.
const (
	CookieAccess  = "cc_access"
	CookieRefresh = "cc_refresh"
	CookieCSRF    = "cc_csrf"
	// HeaderCSRF carries the double-submit token on state-changing requests
	// authenticated by cookie; FormCSRF is the same for HTML forms.
	HeaderCSRF = "X-CSRF-Token"
	FormCSRF   = "csrf_token"
)

const jsonType = "application/json; charset=utf-8"

// HTTP serves the auth API and holds the authentication and authorization
// middleware.
type HTTP struct {
	svc *Service
	v   *httpx.Validator
}

// NewHTTP builds the handlers.
func NewHTTP(svc *Service, v *httpx.Validator) *HTTP { return &HTTP{svc: svc, v: v} }

// Mount serves POST /api/auth/login, /api/auth/refresh, /api/auth/logout and
// GET /api/auth/me on the root (one sign-in for every tenant).
func (s *Service) Mount(r httpx.Routers) { NewHTTP(s, r.Validator).Mount(r) }

// Mount is Service.Mount with this handler set.
func (h *HTTP) Mount(r httpx.Routers) {
	g := r.Root.Group("/api/auth")
	g.Post("/login", h.login)
	g.Post("/refresh", h.refresh)
	g.Post("/logout", h.logout)
	g.Get("/me", h.Authenticate, h.me)
}

type loginRequest struct {
	Email    string `json:"email" validate:"required,email,max=254"`
	Password string `json:"password" text:"raw" validate:"required,max=1024"`
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token" text:"raw" validate:"omitempty,max=128"`
}

type tokenResponse struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	CSRFToken    string `json:"csrf_token,omitempty"`
}

type membershipResponse struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	TenantSlug string    `json:"tenant_slug"`
	Role       string    `json:"role"`
}

type meResponse struct {
	ID            uuid.UUID            `json:"id"`
	Email         string               `json:"email"`
	PlatformAdmin bool                 `json:"platform_admin"`
	Memberships   []membershipResponse `json:"memberships"`
}

func toMeResponse(u *User) meResponse {
	out := meResponse{ID: u.ID, Email: u.Email, PlatformAdmin: u.PlatformAdmin, Memberships: make([]membershipResponse, len(u.Memberships))}
	for i, m := range u.Memberships {
		out.Memberships[i] = membershipResponse{TenantID: m.TenantID, TenantSlug: m.TenantSlug, Role: m.Role}
	}
	return out
}

// cookieMode reports whether the client asked for cookies (the dashboard)
// instead of tokens in the body.
func cookieMode(c *fiber.Ctx) bool {
	return c.Query("cookie") == "1" || strings.EqualFold(c.Get("X-Auth-Mode"), "cookie")
}

// login answers the token pair, or in cookie mode sets the cookies and
// answers without the tokens (so page scripts never see them).
func (h *HTTP) login(c *fiber.Ctx) error {
	var in loginRequest
	if err := httpx.Bind(c, h.v, &in); err != nil {
		return err
	}
	tok, err := h.svc.Login(c.UserContext(), LoginInput{Email: in.Email, Password: in.Password, IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)})
	if err != nil {
		return err
	}
	return h.answerTokens(c, tok, cookieMode(c), true)
}

// refreshToken takes the refresh token from the JSON body or, failing that,
// the cookie; a token from the cookie needs the CSRF double-submit.
func (h *HTTP) refreshToken(c *fiber.Ctx) (tok string, fromCookie bool, err error) {
	if len(c.Body()) > 0 {
		var in refreshRequest
		if err := httpx.Bind(c, h.v, &in); err != nil {
			return "", false, err
		}
		tok = in.RefreshToken
	}
	if tok == "" {
		if tok = c.Cookies(CookieRefresh); tok != "" {
			fromCookie = true
			if !csrfOK(c) {
				return "", false, errCSRF
			}
		}
	}
	return tok, fromCookie, nil
}

func (h *HTTP) refresh(c *fiber.Ctx) error {
	tok, fromCookie, err := h.refreshToken(c)
	if err != nil {
		return err
	}
	if tok == "" {
		return unauthorized(c, errs.New(errs.CodeUnauthorized, "identity.no_refresh_token"))
	}
	pair, err := h.svc.Refresh(c.UserContext(), tok, c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		if fromCookie && errs.CodeOf(err) == errs.CodeUnauthorized {
			h.clearCookies(c)
		}
		return err
	}
	return h.answerTokens(c, pair, fromCookie || cookieMode(c), false)
}

func (h *HTTP) logout(c *fiber.Ctx) error {
	tok, _, err := h.refreshToken(c)
	if err != nil {
		return err
	}
	if tok != "" {
		if err := h.svc.Logout(c.UserContext(), tok); err != nil {
			return err
		}
	} else if auth := c.Get(fiber.HeaderAuthorization); auth != "" {
		// Only an access token: end the session it belongs to.
		if scheme, rest, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
			if err := h.svc.EndSession(c.UserContext(), strings.TrimSpace(rest)); err != nil {
				return err
			}
		}
	}
	h.clearCookies(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *HTTP) me(c *fiber.Ctx) error {
	p := PrincipalFrom(c)
	u, err := h.svc.Me(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(toMeResponse(u), jsonType)
}

func (h *HTTP) answerTokens(c *fiber.Ctx, tok *Tokens, cookies, newSession bool) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	resp := tokenResponse{TokenType: "Bearer", ExpiresIn: int(tok.AccessExpiresIn / time.Second)}
	if !cookies {
		resp.AccessToken, resp.RefreshToken = tok.AccessToken, tok.RefreshToken
		return c.JSON(resp, jsonType)
	}
	secure := c.Protocol() == "https"
	c.Cookie(&fiber.Cookie{Name: CookieAccess, Value: tok.AccessToken, Path: "/", MaxAge: int(tok.AccessExpiresIn / time.Second),
		HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	c.Cookie(&fiber.Cookie{Name: CookieRefresh, Value: tok.RefreshToken, Path: "/api/auth", Expires: tok.RefreshExpiresAt,
		MaxAge: int(time.Until(tok.RefreshExpiresAt) / time.Second), HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	// A new session gets a new CSRF token; a refresh keeps the one open
	// pages already read.
	csrf := c.Cookies(CookieCSRF)
	if newSession || csrf == "" {
		csrf = randomToken(32)
	}
	c.Cookie(&fiber.Cookie{Name: CookieCSRF, Value: csrf, Path: "/", Expires: tok.RefreshExpiresAt,
		MaxAge: int(time.Until(tok.RefreshExpiresAt) / time.Second), Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	resp.CSRFToken = csrf
	return c.JSON(resp, jsonType)
}

func (h *HTTP) clearCookies(c *fiber.Ctx) {
	secure := c.Protocol() == "https"
	for _, ck := range []struct {
		name, path string
		httpOnly   bool
	}{{CookieAccess, "/", true}, {CookieRefresh, "/api/auth", true}, {CookieCSRF, "/", false}} {
		c.Cookie(&fiber.Cookie{Name: ck.name, Value: "", Path: ck.path, MaxAge: -1, Expires: time.Unix(0, 0),
			HTTPOnly: ck.httpOnly, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	}
}

// ---------------------------------------------------------------------------
// Middleware

type localKey struct{}

var errCSRF = errs.New(errs.CodeForbidden, "identity.csrf")

// stateChanging reports whether a method changes state (and so needs the
// CSRF double-submit when authenticated by cookie).
func stateChanging(method string) bool {
	switch method {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		return true
	}
	return false
}

// csrfOK checks the double-submit: the X-CSRF-Token header (or csrf_token
// form field) equals the cc_csrf cookie.
func csrfOK(c *fiber.Ctx) bool {
	want := c.Cookies(CookieCSRF)
	got := c.Get(HeaderCSRF)
	if got == "" {
		ct := c.Get(fiber.HeaderContentType)
		if strings.HasPrefix(ct, fiber.MIMEApplicationForm) || strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
			got = c.FormValue(FormCSRF)
		}
	}
	return constantTimeEqual(want, got)
}

func unauthorized(c *fiber.Ctx, err error) error {
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="concierge"`)
	return err
}

// Authenticate requires a valid access token, from the Authorization: Bearer
// header or else the cc_access cookie, and stores the principal in c.Locals
// and the user context (PrincipalFrom, PrincipalFromContext, ActorFrom).
// Missing or invalid tokens answer 401, and so does a token whose session
// was revoked (logout, refresh-token reuse) or whose user was disabled; see
// sessions.go for how soon that holds in every process. A state-changing request (POST, PUT,
// PATCH, DELETE) authenticated by the cookie must carry X-CSRF-Token (or the
// csrf_token form field) equal to the cc_csrf cookie, else 403; bearer
// requests need no CSRF token.
func (h *HTTP) Authenticate(c *fiber.Ctx) error {
	token, viaCookie := "", false
	if auth := c.Get(fiber.HeaderAuthorization); auth != "" {
		scheme, rest, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
			return unauthorized(c, errs.New(errs.CodeUnauthorized, "identity.bad_authorization"))
		}
		token = strings.TrimSpace(rest)
	} else if token = c.Cookies(CookieAccess); token != "" {
		viaCookie = true
	}
	if token == "" {
		return unauthorized(c, errs.New(errs.CodeUnauthorized, "identity.sign_in_first"))
	}
	p, err := h.svc.VerifyAccessToken(c.UserContext(), token)
	if err != nil {
		if errs.CodeOf(err) == errs.CodeUnauthorized {
			return unauthorized(c, err)
		}
		return err // the session could not be checked (database down)
	}
	p.ViaCookie = viaCookie
	if viaCookie && stateChanging(c.Method()) && !csrfOK(c) {
		return errCSRF
	}
	c.Locals(localKey{}, p)
	c.SetUserContext(WithPrincipal(c.UserContext(), p))
	return c.Next()
}

// PrincipalFrom returns the caller Authenticate stored, or nil.
func PrincipalFrom(c *fiber.Ctx) *Principal {
	if p, ok := c.Locals(localKey{}).(*Principal); ok {
		return p
	}
	p, _ := PrincipalFromContext(c.UserContext())
	return p
}

// Require allows the request when the caller may do act on obj in the
// request's tenant (tenants.FromContext of the user context), or, on a route
// without a tenant, in the platform domain "*" (where only platform admins
// hold a role). It answers 401 without a principal (mount it after
// Authenticate, and after tenant resolution) and 403 when not allowed. It
// panics at wiring time when no policy line grants act on obj (a typo).
func (h *HTTP) Require(obj, act string) fiber.Handler {
	h.mustKnow(obj, act)
	return func(c *fiber.Ctx) error {
		domain := PlatformDomain
		if t, err := tenants.FromContext(c.UserContext()); err == nil {
			domain = t.ID.String()
		}
		return h.authorize(c, domain, obj, act)
	}
}

// RequirePlatform is Require on the platform domain "*", whatever tenant the
// host resolved to: for /api/platform/*.
func (h *HTTP) RequirePlatform(obj, act string) fiber.Handler {
	h.mustKnow(obj, act)
	return func(c *fiber.Ctx) error { return h.authorize(c, PlatformDomain, obj, act) }
}

func (h *HTTP) mustKnow(obj, act string) {
	if !h.svc.Known(obj, act) {
		panic("identity: no policy line in policy.csv grants " + act + " on " + obj)
	}
}

func (h *HTTP) authorize(c *fiber.Ctx, domain, obj, act string) error {
	p := PrincipalFrom(c)
	if p == nil {
		return unauthorized(c, errs.New(errs.CodeUnauthorized, "identity.sign_in_first"))
	}
	ok, err := h.svc.Can(c.UserContext(), p.UserID, domain, obj, act)
	if err != nil {
		if errs.CodeOf(err) == errs.CodeUnauthorized {
			return unauthorized(c, err)
		}
		return err
	}
	if !ok {
		return errs.New(errs.CodeForbidden, "identity.forbidden", "action", act, "object", obj)
	}
	return c.Next()
}
