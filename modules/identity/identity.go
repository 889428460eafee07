// Package identity is staff identity: users (a platform table), their
// memberships in tenants with a role, password login with throttling, JWT
// access tokens with rotating refresh tokens, and role-based authorization
// (casbin, policy embedded from policy.csv).
//
// # Wiring (cmd/concierge)
//
//	svc, err := identity.New(identity.Config{
//		JWTSecret:     secret,             // ≥ 32 bytes (JWT_SECRET)
//		AccessTTL:     cfg.AccessTokenTTL, // ACCESS_TOKEN_TTL, default 15m
//		RefreshTTL:    cfg.RefreshTokenTTL,
//		MaxFailures:   cfg.LoginMaxFailures,
//		FailureWindow: cfg.LoginFailureWindow,
//		// HashParams nil: DefaultHashParams (argon2id, 64 MiB)
//	}, scope, rdb, cfg.RedisPrefix, auditLog, logger)
//	go svc.Run(ctx) // applies session revocations published by every process
//	h := identity.NewHTTP(svc, validator)
//	h.Routes(app)  // POST /api/auth/{login,refresh,logout}, GET /api/auth/me
//
//	// tenant API: resolve the tenant first (tenants.WithTenant on the user
//	// context), then authenticate, then authorize per route:
//	api := app.Group("/api/v1", resolveTenant, h.Authenticate)
//	api.Post("/products", h.Require("catalog", "write"), createProduct)
//	// platform area: domain "*", only platform admins hold roles there:
//	plat := app.Group("/api/platform", h.Authenticate)
//	plat.Get("/tenants", h.RequirePlatform("platform", "read"), listTenants)
//
// The shell command `concierge user create --email E --password-stdin
// [--platform-admin] [--tenant SLUG --role ROLE]` calls Service.CreateUser,
// which is idempotent. Audit entries take their actor from ActorFrom(ctx):
// the authenticated principal, or what WithActor set (e.g. "cli").
//
// Access tokens are HS256 (algorithm pinned), live AccessTTL and name their
// session (the refresh token family, claim "sid"). Logout and refresh-token
// reuse detection revoke the family; Authenticate then refuses the access
// tokens of that family too (see sessions.go: checked against Postgres,
// cached in-process SessionCacheTTL, revocations published over Redis).
// Authorization does not trust the token's platform-admin claim: Require
// re-reads grants (cached GrantsTTL).
//
// Failed logins are counted per email and per IP in Postgres (the truth, so
// a lockout survives a Redis restart) and in Redis (a fast path that refuses
// a locked subject without touching Postgres).
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/mail"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/tenants"
)

// User status values.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Issuer is the iss claim of access tokens.
const Issuer = "concierge"

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 10

const maxPasswordLength = 1024

// DefaultHashParams are the production argon2id parameters (RFC 9106's
// memory-constrained recommendation: 64 MiB, 3 passes; 2 lanes).
var DefaultHashParams = argon2id.Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// maxConcurrentHashes caps simultaneous argon2id computations: each holds
// Memory (64 MiB) while it runs.
const maxConcurrentHashes = 4

// User is a staff member or platform administrator.
type User struct {
	ID            uuid.UUID
	Email         string
	PlatformAdmin bool
	Status        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastLoginAt   *time.Time
	// Locale is the language the user chose for the dashboard (ar, en), or
	// "" before any choice.
	Locale      string
	Memberships []Membership
}

// Membership is a user's role in one tenant.
type Membership struct {
	TenantID   uuid.UUID
	TenantSlug string // filled where the tenant is joined
	UserID     uuid.UUID
	Role       string
	CreatedAt  time.Time
}

// Tokens is what a login or refresh hands out.
type Tokens struct {
	AccessToken      string
	AccessExpiresIn  time.Duration
	RefreshToken     string
	RefreshExpiresAt time.Time
}

// Errors of this package.
var (
	// ErrBadCredentials answers both an unknown email and a wrong password.
	ErrBadCredentials = errs.New(errs.CodeUnauthorized, "identity.bad_credentials")
	// ErrInvalidToken answers a missing, garbled, expired, revoked or reused token.
	ErrInvalidToken = errs.New(errs.CodeUnauthorized, "identity.invalid_token")
)

// Config is identity's configuration. Zero values take the documented defaults.
type Config struct {
	JWTSecret     []byte        // HMAC key for access tokens, at least 32 bytes
	AccessTTL     time.Duration // default 15m
	RefreshTTL    time.Duration // default 720h
	MaxFailures   int           // failed logins per email and per IP within FailureWindow; default 5
	FailureWindow time.Duration // default 15m
	GrantsTTL     time.Duration // how long a user's role in a domain is cached; default 60s
	// SessionCacheTTL is how long a process trusts what it read about a
	// session (refresh family) being live; default 10s. A revocation reaches
	// other processes over Redis pub/sub at once; this bounds the delay when
	// that message is lost (Redis down or partitioned).
	SessionCacheTTL time.Duration
	// HashParams are the argon2id parameters for new hashes; nil means
	// DefaultHashParams. Tests pass cheap ones. Hashes made with other
	// parameters are upgraded at the next successful login.
	HashParams *argon2id.Params
}

// Service is staff identity and authorization.
type Service struct {
	cfg    Config
	params argon2id.Params
	scope  *tenants.Scope
	rdb    redis.UniversalClient
	prefix string
	audit  tenants.Auditor
	log    *slog.Logger
	authz  *authorizer
	sem    chan struct{}
	// sessions caches whether a session is live (sessions.go).
	sessions *sessionCache
	// observeRevocations, when set, hears of Run's (re)subscriptions
	// (uuid.Nil) and of each revocation it applied from another process.
	observeRevocations func(uuid.UUID)
	// fastPathOffUntil (unix nanoseconds) pauses the Redis login-throttle
	// fast path after a Redis failure, so an outage costs logins nothing.
	fastPathOffUntil atomic.Int64
	// dummyHash is compared against when the email is unknown, so an unknown
	// email costs the same time as a wrong password.
	dummyHash string
}

// Deps are identity's collaborators.
type Deps struct {
	Scope *tenants.Scope
	Redis redis.UniversalClient
	// RedisPrefix starts every Redis key the service writes.
	RedisPrefix string
	// Audit records sign-in administration (usually *audit.Log).
	Audit tenants.Auditor
	Log   *slog.Logger
}

// New builds the service.
func New(cfg Config, d Deps) (*Service, error) {
	scope, rdb, redisPrefix, auditLog, log := d.Scope, d.Redis, d.RedisPrefix, d.Audit, d.Log
	if len(cfg.JWTSecret) < 32 {
		return nil, errors.New("identity: the JWT secret must be at least 32 bytes")
	}
	if scope == nil || rdb == nil || auditLog == nil {
		return nil, errors.New("identity: scope, redis and audit log are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.JWTSecret = append([]byte(nil), cfg.JWTSecret...)
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.AccessTTL, 15*time.Minute)
	def(&cfg.RefreshTTL, 720*time.Hour)
	def(&cfg.FailureWindow, 15*time.Minute)
	def(&cfg.GrantsTTL, time.Minute)
	def(&cfg.SessionCacheTTL, 10*time.Second)
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	params := DefaultHashParams
	if cfg.HashParams != nil {
		params = *cfg.HashParams
	}
	az, err := newAuthorizer()
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, params: params, scope: scope, rdb: rdb, prefix: redisPrefix, audit: auditLog,
		log: log, authz: az, sem: make(chan struct{}, maxConcurrentHashes), sessions: newSessionCache(cfg.SessionCacheTTL)}
	if s.dummyHash, err = argon2id.CreateHash(randomToken(16), &s.params); err != nil {
		return nil, fmt.Errorf("identity: argon2id parameters: %w", err)
	}
	return s, nil
}

// AccessTTL is the lifetime of access tokens.
func (s *Service) AccessTTL() time.Duration { return s.cfg.AccessTTL }

// RefreshTTL is the lifetime of refresh tokens.
func (s *Service) RefreshTTL() time.Duration { return s.cfg.RefreshTTL }

// ---------------------------------------------------------------------------
// Users and memberships

// CreateUserInput is what `concierge user create` passes. Password is needed
// only when the user does not exist yet; TenantSlugOrID and Role go together.
type CreateUserInput struct {
	Email          string
	Password       string
	PlatformAdmin  bool
	TenantSlugOrID string
	Role           string
}

// CreateUser creates the user, or finds the existing one with that email, then
// makes it a platform admin when asked (never demotes) and sets its role in the
// tenant when one is given. Running it twice changes nothing the second time,
// and an existing user's password is left as it is. It reports whether the
// user was created. Returns invalid (bad email, short password, unknown role),
// not_found (unknown tenant).
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (*User, bool, error) {
	email, fields := normaliseEmail(in.Email), []errs.FieldError(nil)
	if !validEmail(email) {
		fields = append(fields, errs.Field("email", "email", "field.email"))
	}
	slugOrID := strings.ToLower(strings.TrimSpace(in.TenantSlugOrID))
	switch {
	case slugOrID != "" && !ValidRole(in.Role):
		fields = append(fields, errs.Field("role", "oneof", "identity.role_oneof"))
	case slugOrID == "" && in.Role != "":
		fields = append(fields, errs.Field("tenant", "required_with", "identity.tenant_with_role"))
	}
	if len(fields) > 0 {
		return nil, false, errs.Invalid(fields...)
	}
	actor := ActorFrom(ctx)

	// Hash outside the transaction (it takes a while), and only for a new user.
	var hash string
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := getUserByEmail(ctx, tx, email)
		return err
	})
	switch {
	case errors.Is(err, errs.ErrNotFound):
		if err := checkPassword(in.Password); err != nil {
			return nil, false, err
		}
		if hash, err = s.hash(ctx, in.Password); err != nil {
			return nil, false, err
		}
	case err != nil:
		return nil, false, err
	}

	var (
		out        *User
		created    bool
		grantsMove bool
	)
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if hash != "" {
			r := &userRow{ID: uuid.Must(uuid.NewV7()), Email: email, PasswordHash: hash, IsPlatformAdmin: in.PlatformAdmin, Status: StatusActive}
			var err error
			if created, err = insertUserIfAbsent(ctx, tx, r); err != nil {
				return err
			}
		}
		u, err := lockUserByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if created {
			if err := s.audit.Record(ctx, tx, tenants.AuditEntry{Actor: actor.String(), Action: "user.create",
				Target: "user:" + u.ID.String(), After: auditUser(u)}); err != nil {
				return err
			}
		} else if in.PlatformAdmin && !u.IsPlatformAdmin {
			before := auditUser(u)
			if err := setPlatformAdmin(ctx, tx, u.ID, true); err != nil {
				return err
			}
			u.IsPlatformAdmin, grantsMove = true, true
			if err := s.audit.Record(ctx, tx, tenants.AuditEntry{Actor: actor.String(), Action: "user.platform_admin.grant",
				Target: "user:" + u.ID.String(), Before: before, After: auditUser(u)}); err != nil {
				return err
			}
		}
		if slugOrID != "" {
			t, err := findTenant(ctx, tx, slugOrID)
			if err != nil {
				return err
			}
			old, err := getMembership(ctx, tx, t.ID, u.ID)
			switch {
			case errors.Is(err, errs.ErrNotFound):
				old = nil
			case err != nil:
				return err
			}
			if old == nil || old.Role != in.Role {
				m := &membershipRow{TenantID: t.ID, UserID: u.ID, Role: in.Role}
				if err := upsertMembership(ctx, tx, m); err != nil {
					return err
				}
				grantsMove = true
				e := tenants.AuditEntry{TenantID: t.ID, Actor: actor.String(), Action: "membership.add", Target: "user:" + u.ID.String(),
					After: map[string]string{"email": u.Email, "role": in.Role}}
				if old != nil {
					e.Action, e.Before = "membership.update", map[string]string{"email": u.Email, "role": old.Role}
				}
				if err := s.audit.Record(ctx, tx, e); err != nil {
					return err
				}
			}
		}
		out = u.toUser()
		out.Memberships, err = listMemberships(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if grantsMove {
		s.InvalidateGrants(ctx, out.ID)
	}
	return out, created, nil
}

// auditUser is the audited form of a user: never the password hash.
func auditUser(u *userRow) map[string]any {
	return map[string]any{"id": u.ID, "email": u.Email, "platform_admin": u.IsPlatformAdmin, "status": u.Status}
}

// Me returns the user with its memberships (tenant slugs filled). A disabled
// or deleted user is unauthorized.
func (s *Service) Me(ctx context.Context, userID uuid.UUID) (*User, error) {
	var out *User
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u, err := getUserByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		out = u.toUser()
		out.Memberships, err = listMemberships(ctx, tx, u.ID)
		return err
	})
	if errors.Is(err, errs.ErrNotFound) || (err == nil && out.Status != StatusActive) {
		return nil, ErrInvalidToken
	}
	return out, err
}

// SetLocale keeps the user's dashboard language (ar or en). Errors:
// invalid (another language), not_found.
func (s *Service) SetLocale(ctx context.Context, userID uuid.UUID, locale string) error {
	if locale != "ar" && locale != "en" {
		return errs.Invalid(errs.FieldError{Field: "locale", Code: "oneof"})
	}
	return s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return setLocale(ctx, tx, userID, locale)
	})
}

// Members lists the memberships of the tenant in ctx (its staff), in that
// tenant's scoped transaction. Returns ErrNoTenant without a tenant.
func (s *Service) Members(ctx context.Context) ([]Membership, error) {
	var out []Membership
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = listTenantMembers(ctx, tx)
		return err
	})
	return out, err
}

func normaliseEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// validEmail accepts a bare address (no display name) of sane length.
func validEmail(e string) bool {
	if len(e) > 254 || strings.ContainsAny(e, " <>") {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Index(e, "@") > 0
}

func checkPassword(p string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case n < MinPasswordLength:
		return errs.Invalid(errs.Field("password", "min", "identity.password_short", "min", MinPasswordLength))
	case n > maxPasswordLength:
		return errs.Invalid(errs.Field("password", "max", "identity.password_long", "max", maxPasswordLength))
	}
	return nil
}

// ---------------------------------------------------------------------------
// Passwords

// acquire takes one of the hashing slots, or gives up when ctx ends.
func (s *Service) acquire(ctx context.Context) (func(), error) {
	select {
	case s.sem <- struct{}{}:
		return func() { <-s.sem }, nil
	case <-ctx.Done():
		return nil, errs.Wrap(errs.CodeUnavailable, ctx.Err(), "identity.busy")
	}
}

func (s *Service) hash(ctx context.Context, password string) (string, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return argon2id.CreateHash(password, &s.params)
}

// check compares password with hash; needsRehash is true when the hash was
// made with other parameters than the configured ones.
func (s *Service) check(ctx context.Context, password, hash string) (ok, needsRehash bool, err error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	ok, p, err := argon2id.CheckHash(password, hash)
	if err != nil {
		return false, false, fmt.Errorf("identity: compare password: %w", err)
	}
	return ok, ok && *p != s.params, nil
}

// ---------------------------------------------------------------------------
// Login, refresh, logout

// LoginInput is a password login attempt.
type LoginInput struct {
	Email     string
	Password  string
	IP        string
	UserAgent string
}

// Login checks the password and opens a session (a new refresh token family).
// Failures are counted per email and per IP; past MaxFailures within
// FailureWindow it answers rate_limited without checking the password. An
// unknown email, a wrong password and a disabled account all answer
// ErrBadCredentials after the same amount of hashing work.
//
// The lockout decision reads Postgres (login_failures), so it survives a
// Redis restart or flush; Redis answers a locked subject first, without a
// database round trip. Without Redis, logins go on and are throttled by
// Postgres alone. A failure that cannot be recorded in Postgres answers
// unavailable rather than a verdict on the password.
func (s *Service) Login(ctx context.Context, in LoginInput) (*Tokens, error) {
	email := normaliseEmail(in.Email)
	subjects := loginSubjects(email, in.IP)
	if err := s.checkThrottleFast(ctx, subjects); err != nil {
		return nil, err
	}
	var (
		u      *userRow
		found  bool
		counts []failureCount
	)
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if counts, err = readFailures(ctx, tx, subjects); err != nil || s.lockedFor(counts) > 0 {
			return err
		}
		u, err = getUserByEmail(ctx, tx, email)
		switch {
		case err == nil:
			found = true
		case errors.Is(err, errs.ErrNotFound):
			err = nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if wait := s.lockedFor(counts); wait > 0 {
		s.restoreFastPath(ctx, counts)
		return nil, throttled(wait)
	}
	hash := s.dummyHash
	if found {
		hash = u.PasswordHash
	}
	ok, rehash, err := s.check(ctx, in.Password, hash)
	if err != nil {
		return nil, err
	}
	if !found || !ok || u.Status != StatusActive {
		if err := s.recordFailure(ctx, subjects); err != nil {
			s.log.ErrorContext(ctx, "identity: failed login not recorded; answering unavailable", "error", err)
			return nil, &errs.Error{Code: errs.CodeUnavailable, RetryAfter: 5, Err: err, Msg: errs.M("identity.sign_in_unavailable")}
		}
		s.log.InfoContext(ctx, "identity: login failed", "known_user", found, "ip", in.IP)
		return nil, ErrBadCredentials
	}
	newHash := ""
	if rehash {
		if newHash, err = s.hash(ctx, in.Password); err != nil {
			return nil, err
		}
	}
	var tok *Tokens
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if hadFailures(counts, subjects[0]) {
			if err := clearFailures(ctx, tx, subjects[0]); err != nil {
				return err
			}
		}
		if newHash != "" {
			if err := setPasswordHash(ctx, tx, u.ID, newHash); err != nil {
				return err
			}
		}
		if err := touchLogin(ctx, tx, u.ID); err != nil {
			return err
		}
		var err error
		tok, err = s.issue(ctx, tx, u, uuid.Must(uuid.NewV7()), in.IP, in.UserAgent)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.clearFastPath(ctx, subjects[0])
	s.log.InfoContext(ctx, "identity: login", "user_id", u.ID)
	return tok, nil
}

// Refresh exchanges a refresh token for a new pair. The presented token is
// marked used and a new one joins its family. Presenting a token that was
// already used means it was copied: the whole family is revoked (the thief's
// and the owner's sessions end) and the answer is ErrInvalidToken.
func (s *Service) Refresh(ctx context.Context, refreshToken, ip, userAgent string) (*Tokens, error) {
	h, ok := hashRefresh(refreshToken)
	if !ok {
		return nil, ErrInvalidToken
	}
	var (
		tok    *Tokens
		reused *refreshRow
	)
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := lockRefresh(ctx, tx, h)
		if err != nil {
			return err
		}
		switch {
		case r.RevokedAt != nil:
			return ErrInvalidToken
		case r.UsedAt != nil:
			if _, err := revokeFamily(ctx, tx, r.FamilyID); err != nil {
				return err
			}
			reused = r
			return s.audit.Record(ctx, tx, tenants.AuditEntry{Actor: "system", Action: "session.reuse_detected",
				Target: "user:" + r.UserID.String(), After: map[string]string{"family_id": r.FamilyID.String(), "ip": ip}})
		case !time.Now().Before(r.ExpiresAt):
			return ErrInvalidToken
		}
		// A token minted while its family was being revoked (a refresh racing
		// a logout with an older token of the family) is as dead as its
		// family, whose access tokens checkSession already refuses.
		if revoked, err := familyRevoked(ctx, tx, r.FamilyID); err != nil || revoked {
			if err == nil {
				err = ErrInvalidToken
			}
			return err
		}
		u, err := getUserByID(ctx, tx, r.UserID)
		if err != nil {
			return err
		}
		if u.Status != StatusActive {
			return ErrInvalidToken
		}
		if err := markRefreshUsed(ctx, tx, r.ID); err != nil {
			return err
		}
		tok, err = s.issue(ctx, tx, u, r.FamilyID, ip, userAgent)
		return err
	})
	if errors.Is(err, errs.ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if reused != nil {
		s.sessionRevoked(ctx, reused.FamilyID)
		s.log.WarnContext(ctx, "identity: refresh token reused; session family revoked",
			"user_id", reused.UserID, "family_id", reused.FamilyID, "ip", ip)
		return nil, ErrInvalidToken
	}
	return tok, nil
}

// Logout revokes the session (refresh token family) the token belongs to:
// its refresh tokens, and the access tokens issued with them (refused by
// Authenticate from now on, in other processes as soon as they hear of it).
// An unknown token is not an error: there is nothing left to end.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	h, ok := hashRefresh(refreshToken)
	if !ok {
		return nil
	}
	var family uuid.UUID
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := lockRefresh(ctx, tx, h)
		if err != nil {
			return err
		}
		family = r.FamilyID
		_, err = revokeFamily(ctx, tx, r.FamilyID)
		return err
	})
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s.sessionRevoked(ctx, family)
	return nil
}

// EndSession revokes the session an access token belongs to (its refresh
// token family): logout for a client that holds only the access token. Its
// access and refresh tokens stop at once here, elsewhere as in Logout. A
// token that is not valid ends nothing (the answer is the same).
func (s *Service) EndSession(ctx context.Context, accessToken string) error {
	p, err := s.VerifyAccessToken(ctx, accessToken)
	if err != nil {
		if errs.CodeOf(err) == errs.CodeUnauthorized {
			return nil
		}
		return err
	}
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*refreshRow)(nil)).Set("revoked_at = now()").
			Where("family_id = ? AND user_id = ? AND revoked_at IS NULL", p.SessionID, p.UserID).Exec(ctx)
		return translate(err, "refresh token")
	})
	if err != nil {
		return err
	}
	s.sessionRevoked(ctx, p.SessionID)
	return nil
}

// issue signs an access token and stores a new refresh token in family.
func (s *Service) issue(ctx context.Context, tx bun.IDB, u *userRow, family uuid.UUID, ip, userAgent string) (*Tokens, error) {
	access, err := s.signAccess(u, family, time.Now())
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	sum := sha256.Sum256(raw)
	r := &refreshRow{ID: uuid.Must(uuid.NewV7()), UserID: u.ID, FamilyID: family, TokenHash: sum[:],
		ExpiresAt: time.Now().Add(s.cfg.RefreshTTL).UTC(), UserAgent: truncate(userAgent, 512), IP: truncate(ip, 64)}
	if err := insertRefresh(ctx, tx, r); err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, AccessExpiresIn: s.cfg.AccessTTL,
		RefreshToken: base64.RawURLEncoding.EncodeToString(raw), RefreshExpiresAt: r.ExpiresAt}, nil
}

// hashRefresh decodes a presented refresh token (base64url of 32 bytes) and
// returns the SHA-256 stored for it.
func hashRefresh(tok string) ([]byte, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 {
		return nil, false
	}
	sum := sha256.Sum256(raw)
	return sum[:], true
}

// ---------------------------------------------------------------------------
// Access tokens

// AccessClaims are the claims of an access token.
type AccessClaims struct {
	Email         string `json:"email"`
	PlatformAdmin bool   `json:"pa"`
	// Session is the refresh token family the token was issued with: revoking
	// the family stops the token.
	Session string `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

func (s *Service) signAccess(u *userRow, family uuid.UUID, now time.Time) (string, error) {
	c := AccessClaims{Email: u.Email, PlatformAdmin: u.IsPlatformAdmin, Session: family.String(), RegisteredClaims: jwt.RegisteredClaims{
		Issuer: Issuer, Subject: u.ID.String(), ID: uuid.NewString(),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.cfg.JWTSecret)
}

// VerifyAccessToken checks an access token (HS256 only, issuer, expiry) and
// that its session is live (checkSession: not revoked by logout or reuse
// detection, user active), and returns its principal. It answers
// ErrInvalidToken for a bad or dead token, and unavailable or internal
// errors when the session cannot be checked.
func (s *Service) VerifyAccessToken(ctx context.Context, token string) (*Principal, error) {
	p, err := s.parseAccess(token)
	if err != nil {
		return nil, err
	}
	if err := s.checkSession(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// parseAccess checks an access token's signature and claims, nothing stored.
func (s *Service) parseAccess(token string) (*Principal, error) {
	var c AccessClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.cfg.JWTSecret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		return nil, &errs.Error{Code: errs.CodeUnauthorized, Err: err, Msg: ErrInvalidToken.Msg}
	}
	id, err := uuid.Parse(c.Subject)
	if err != nil || c.Email == "" {
		return nil, ErrInvalidToken
	}
	p := &Principal{UserID: id, Email: c.Email, PlatformAdmin: c.PlatformAdmin, TokenID: c.ID, ExpiresAt: c.ExpiresAt.Time}
	if c.Session != "" {
		if p.SessionID, err = uuid.Parse(c.Session); err != nil || p.SessionID == uuid.Nil {
			return nil, ErrInvalidToken
		}
	}
	return p, nil
}

// ---------------------------------------------------------------------------
// Login throttling

// loginSubject is what failed logins are counted against: an email (by a
// SHA-256 prefix, so addresses are kept neither in Redis nor in the table)
// or a client IP.
type loginSubject struct {
	kind    string // "email" or "ip"
	subject string
}

// loginSubjects are the email's subject first, then the IP's (the order the
// upsert locks rows in).
func loginSubjects(email, ip string) []loginSubject {
	sum := sha256.Sum256([]byte(email))
	out := []loginSubject{{kind: "email", subject: hex.EncodeToString(sum[:16])}}
	if ip != "" {
		out = append(out, loginSubject{kind: "ip", subject: truncate(ip, 64)})
	}
	return out
}

// failureKey is a subject's Redis counter.
func (s *Service) failureKey(ls loginSubject) string {
	return s.prefix + "identity:login_failures:" + ls.kind + ":" + ls.subject
}

// Redis fast path limits: each use gets fastPathBudget; after a failure the
// fast path is off for fastPathPause and Postgres alone decides.
const (
	fastPathBudget = 100 * time.Millisecond
	fastPathPause  = time.Second
)

// fastPath returns a context bounded by fastPathBudget, or false while the
// fast path is paused.
func (s *Service) fastPath(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	if time.Now().UnixNano() < s.fastPathOffUntil.Load() {
		return nil, nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, fastPathBudget)
	return ctx, cancel, true
}

// fastPathFailed pauses the fast path after a Redis error, unless the
// request itself ended (ctx is the request's, not the budget's): a client
// hanging up says nothing about Redis.
func (s *Service) fastPathFailed(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		return
	}
	s.fastPathOffUntil.Store(time.Now().Add(fastPathPause).UnixNano())
	s.log.WarnContext(ctx, "identity: login throttle cache unreachable; Postgres alone decides for a while",
		"op", op, "pause", fastPathPause, "error", err)
}

func throttled(wait time.Duration) error {
	return &errs.Error{Code: errs.CodeRateLimited, RetryAfter: int(math.Ceil(wait.Seconds())), Msg: errs.M("identity.too_many_failures")}
}

// checkThrottleFast answers rate_limited when a Redis counter reached
// MaxFailures, with Retry-After until that counter's window ends. Redis is
// only the fast path: when it is unreachable (or was flushed), Postgres
// decides (lockedFor).
func (s *Service) checkThrottleFast(ctx context.Context, subjects []loginSubject) error {
	fctx, cancel, ok := s.fastPath(ctx)
	if !ok {
		return nil
	}
	defer cancel()
	pipe := s.rdb.Pipeline()
	counts := make([]*redis.StringCmd, len(subjects))
	ttls := make([]*redis.DurationCmd, len(subjects))
	for i, ls := range subjects {
		k := s.failureKey(ls)
		counts[i], ttls[i] = pipe.Get(fctx, k), pipe.PTTL(fctx, k)
	}
	if _, err := pipe.Exec(fctx); err != nil && !errors.Is(err, redis.Nil) {
		s.fastPathFailed(ctx, "check", err)
		return nil
	}
	wait := time.Duration(0)
	for i := range subjects {
		n, err := counts[i].Int()
		if err != nil || n < s.cfg.MaxFailures {
			continue
		}
		ttl := ttls[i].Val()
		if ttl <= 0 { // no expiry set (should not happen): wait a full window
			ttl = s.cfg.FailureWindow
		}
		wait = max(wait, ttl)
	}
	if wait == 0 {
		return nil
	}
	return throttled(wait)
}

// lockedFor is how long the durable counters keep the login locked: until
// the latest window end among the counters that reached MaxFailures.
func (s *Service) lockedFor(counts []failureCount) time.Duration {
	wait := time.Duration(0)
	for _, c := range counts {
		if c.Failures >= s.cfg.MaxFailures {
			wait = max(wait, time.Duration(c.Remaining)*time.Millisecond)
		}
	}
	return wait
}

func hadFailures(counts []failureCount, ls loginSubject) bool {
	for _, c := range counts {
		if c.Kind == ls.kind && c.Subject == ls.subject {
			return true
		}
	}
	return false
}

// restoreFastPath copies the locked counters Postgres holds back into Redis
// (after a restart or flush), so the next attempts are refused there.
func (s *Service) restoreFastPath(ctx context.Context, counts []failureCount) {
	fctx, cancel, ok := s.fastPath(ctx)
	if !ok {
		return
	}
	defer cancel()
	for _, c := range counts {
		if c.Failures < s.cfg.MaxFailures || c.Remaining <= 0 {
			continue
		}
		k := s.failureKey(loginSubject{kind: c.Kind, subject: c.Subject})
		if err := s.rdb.Set(fctx, k, c.Failures, time.Duration(c.Remaining)*time.Millisecond).Err(); err != nil {
			s.fastPathFailed(ctx, "restore", err)
			return
		}
	}
}

// recordFailure counts a failed login for each subject: in Postgres (one
// upsert; the error is returned, since an unrecorded failure would be a free
// guess) and in Redis (best effort). The window starts at the first failure
// (fixed window). It runs to the end even when the request's context is
// cancelled, so a client cannot hang up to have a guess forgotten.
func (s *Service) recordFailure(ctx context.Context, subjects []loginSubject) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return addFailures(ctx, tx, subjects, s.cfg.FailureWindow)
	})
	if fctx, cancel, ok := s.fastPath(ctx); ok {
		defer cancel()
		// One MULTI per key: the keys may live in different Redis Cluster
		// slots. SETNX and INCR together, so no counter is left without expiry.
		for _, ls := range subjects {
			k := s.failureKey(ls)
			pipe := s.rdb.TxPipeline()
			pipe.SetNX(fctx, k, 0, s.cfg.FailureWindow)
			pipe.Incr(fctx, k)
			if _, err := pipe.Exec(fctx); err != nil {
				s.fastPathFailed(ctx, "record", err)
				break
			}
		}
	}
	return err
}

// clearFastPath drops a subject's Redis counter after a successful login
// (Postgres's was dropped in the login transaction).
func (s *Service) clearFastPath(ctx context.Context, ls loginSubject) {
	fctx, cancel, ok := s.fastPath(ctx)
	if !ok {
		return
	}
	defer cancel()
	if err := s.rdb.Del(fctx, s.failureKey(ls)).Err(); err != nil {
		s.fastPathFailed(ctx, "clear", err)
	}
}

// ---------------------------------------------------------------------------
// Principal and actor in a context

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID        uuid.UUID
	Email         string
	PlatformAdmin bool // as claimed by the token; authorization re-reads it
	TokenID       string
	// SessionID is the refresh token family the access token belongs to;
	// uuid.Nil for a token issued before tokens named their session.
	SessionID uuid.UUID
	ExpiresAt time.Time
	ViaCookie bool // authenticated by the cc_access cookie (CSRF-checked)
}

// Actor names the principal in the audit log.
func (p *Principal) Actor() Actor { return UserActor(p.Email) }

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal of ctx, if any.
func PrincipalFromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// ---------------------------------------------------------------------------

// randomToken is n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func constantTimeEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
