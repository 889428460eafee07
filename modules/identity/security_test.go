package identity_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/rediskit"
	"concierge/internal/testenv"
	"concierge/modules/audit"
	"concierge/modules/identity"
	"concierge/tenants"
)

func wantThrottled(t *testing.T, r result) {
	t.Helper()
	if r.status != 429 || r.problemCode() != "rate_limited" {
		t.Fatalf("status %d %s, want 429 rate_limited", r.status, r.body)
	}
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 900 {
		t.Fatalf("Retry-After %q, want 1..900 seconds", r.header.Get("Retry-After"))
	}
}

func (f *fixture) attempt(t *testing.T, email, pw, ip string) result {
	t.Helper()
	return f.do(t, request{method: "POST", path: "/api/auth/login", ip: ip, body: map[string]string{"email": email, "password": pw}})
}

// TestLockoutSurvivesRedisLoss locks an account and an address, then loses
// Redis in every way it can be lost (restart without persistence, FLUSHALL,
// down): the lockout holds, because Postgres decides.
func TestLockoutSurvivesRedisLoss(t *testing.T) {
	t.Parallel()
	rds := testenv.StartRedis(t)
	rdb, err := rediskit.Open(context.Background(), rds.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	f := newFixtureOn(t, rdb, "test:")
	for _, e := range []string{"locked@alpha.test", "free@alpha.test", "down@alpha.test"} {
		f.user(t, e, false, "", "")
	}
	ctx := context.Background()
	// An account locked by failures from many addresses, and an address
	// locked by failures against many accounts.
	for i := range 5 {
		if r := f.attempt(t, "locked@alpha.test", "wrong password", "203.0.113."+strconv.Itoa(i+1)); r.status != 401 {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
		}
		if r := f.attempt(t, "ghost"+strconv.Itoa(i)+"@alpha.test", "wrong password", "198.51.100.66"); r.status != 401 {
			t.Fatalf("failure %d from one address: %d %s", i+1, r.status, r.body)
		}
	}
	wantThrottled(t, f.attempt(t, "locked@alpha.test", password, "203.0.113.50"))
	wantThrottled(t, f.attempt(t, "free@alpha.test", password, "198.51.100.66"))

	countersInRedis := func() int {
		t.Helper()
		keys, err := rdb.Keys(ctx, "test:identity:login_failures:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	t.Run("restart", func(t *testing.T) {
		rds.Restart()
		if n := countersInRedis(); n != 0 {
			t.Fatalf("%d counters survived the restart: the test proves nothing", n)
		}
		wantThrottled(t, f.attempt(t, "locked@alpha.test", password, "203.0.113.51"))
		wantThrottled(t, f.attempt(t, "free@alpha.test", password, "198.51.100.66"))
		// Postgres put the lockouts back into Redis (the fast path).
		if n := countersInRedis(); n != 2 {
			t.Fatalf("%d counters in Redis after the refusals, want the 2 locked ones back", n)
		}
		// Nobody else is locked out.
		if r := f.attempt(t, "free@alpha.test", password, "203.0.113.52"); r.status != 200 {
			t.Fatalf("unlocked account after the restart: %d %s", r.status, r.body)
		}
	})
	t.Run("FLUSHALL", func(t *testing.T) {
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		wantThrottled(t, f.attempt(t, "locked@alpha.test", password, "203.0.113.53"))
		wantThrottled(t, f.attempt(t, "free@alpha.test", password, "198.51.100.66"))
	})
	t.Run("Redis down", func(t *testing.T) {
		rds.Stop()
		wantThrottled(t, f.attempt(t, "locked@alpha.test", password, "203.0.113.54"))
		wantThrottled(t, f.attempt(t, "free@alpha.test", password, "198.51.100.66"))
		// Logins go on without Redis ...
		if r := f.attempt(t, "free@alpha.test", password, "203.0.113.55"); r.status != 200 {
			t.Fatalf("login with Redis down: %d %s, want 200", r.status, r.body)
		}
		// ... and failures made meanwhile count: Postgres alone locks.
		for i := range 5 {
			if r := f.attempt(t, "down@alpha.test", "wrong password", "192.0.2."+strconv.Itoa(i+1)); r.status != 401 {
				t.Fatalf("failure %d with Redis down: %d %s", i+1, r.status, r.body)
			}
		}
		wantThrottled(t, f.attempt(t, "down@alpha.test", password, "192.0.2.99"))
	})
}

func TestFailedLoginsAreStoredDurably(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")
	ctx := context.Background()
	for range 3 {
		f.attempt(t, "owner@alpha.test", "wrong password", "192.0.2.10")
	}
	type row struct {
		Kind     string `bun:"kind"`
		Subject  string `bun:"subject"`
		Failures int    `bun:"failures"`
	}
	rows := func() []row {
		t.Helper()
		var out []row
		err := f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return tx.NewSelect().Table("login_failures").Column("kind", "subject", "failures").OrderExpr("kind").Scan(ctx, &out)
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := rows()
	if len(got) != 2 || got[0].Kind != "email" || got[0].Failures != 3 || got[1].Kind != "ip" || got[1].Subject != "192.0.2.10" || got[1].Failures != 3 {
		t.Fatalf("counters %+v, want email and ip at 3", got)
	}
	if strings.Contains(got[0].Subject, "@") {
		t.Errorf("the email is stored in clear: %q", got[0].Subject)
	}

	t.Run("success clears the email's counter", func(t *testing.T) {
		if r := f.attempt(t, "owner@alpha.test", password, "192.0.2.11"); r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		if got := rows(); len(got) != 1 || got[0].Kind != "ip" {
			t.Fatalf("counters after success %+v, want only the address's", got)
		}
	})

	t.Run("a platform table: tenant transactions cannot touch it", func(t *testing.T) {
		tn := f.tenant(t, "alpha")
		err := f.scope.InTenantTx(tenants.WithTenant(ctx, tn), func(ctx context.Context, tx bun.Tx) error {
			var n int
			return tx.QueryRowContext(ctx, `SELECT count(*) FROM login_failures`).Scan(&n)
		})
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("the app role read login_failures: %v", err)
		}
	})

	t.Run("purge deletes ended windows only", func(t *testing.T) {
		f.attempt(t, "owner@alpha.test", "wrong password", "192.0.2.12")
		err := f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE login_failures SET window_ends = now() - interval '1 minute' WHERE subject = '192.0.2.10'`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := f.svc.PurgeLoginFailures(ctx, time.Now())
		if err != nil || n != 1 {
			t.Fatalf("purged %d (%v), want 1", n, err)
		}
		if got := rows(); len(got) != 2 {
			t.Fatalf("counters after the purge %+v, want the 2 live ones", got)
		}
	})

	t.Run("a new window starts after the old one ended", func(t *testing.T) {
		for range 5 {
			f.attempt(t, "owner@alpha.test", "wrong password", "192.0.2.13")
		}
		wantThrottled(t, f.attempt(t, "owner@alpha.test", password, "192.0.2.14"))
		// The window ends (moved in the database; Redis forgets the key).
		err := f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE login_failures SET window_ends = now() - interval '1 second'`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := f.rdb.Keys(ctx, f.prefix+"identity:login_failures:*").Result()
		if len(keys) > 0 {
			f.rdb.Del(ctx, keys...)
		}
		f.attempt(t, "owner@alpha.test", "wrong password", "192.0.2.15")
		var failures int
		err = f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT failures FROM login_failures WHERE kind = 'email' AND window_ends > now()`).Scan(&failures)
		})
		if err != nil || failures != 1 {
			t.Fatalf("failures in the new window = %d (%v), want 1", failures, err)
		}
		if r := f.attempt(t, "owner@alpha.test", password, "192.0.2.16"); r.status != 200 {
			t.Fatalf("login in the new window: %d %s", r.status, r.body)
		}
	})
}

func (f *fixture) me(t *testing.T, access string) int {
	t.Helper()
	return f.do(t, request{method: "GET", path: "/api/auth/me", bearer: access}).status
}

func TestLogoutStopsAccessTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.tenant(t, "alpha")
	f.user(t, "owner@alpha.test", false, "alpha", "owner")
	session := f.login(t, "owner@alpha.test")
	other := f.login(t, "owner@alpha.test") // another device
	r := f.refresh(t, session.RefreshToken)
	var rotated tokens
	r.decode(t, &rotated)
	catalog := "/t/" + a.ID.String() + "/catalog"
	for _, tk := range []string{session.AccessToken, rotated.AccessToken, other.AccessToken} {
		if s := f.me(t, tk); s != 200 { // read and cached as live
			t.Fatalf("before logout: %d", s)
		}
	}

	if s := f.do(t, request{method: "POST", path: "/api/auth/logout", body: map[string]string{"refresh_token": rotated.RefreshToken}}).status; s != 204 {
		t.Fatalf("logout: %d", s)
	}
	// Both access tokens of the session stop at once, on every route.
	for _, tk := range []string{session.AccessToken, rotated.AccessToken} {
		r := f.do(t, request{method: "GET", path: catalog, bearer: tk})
		if r.status != 401 || r.problemCode() != "unauthorized" || r.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("access token after logout: %d %s", r.status, r.body)
		}
		if s := f.me(t, tk); s != 401 {
			t.Fatalf("/me after logout: %d, want 401", s)
		}
	}
	// The other session lives on.
	if s := f.do(t, request{method: "GET", path: catalog, bearer: other.AccessToken}).status; s != 200 {
		t.Fatalf("other session after logout: %d, want 200", s)
	}

	t.Run("bearer only", func(t *testing.T) {
		// A client that sends only its access token ends that session: the
		// token and its refresh token stop; a forged token ends nothing.
		tk := f.login(t, "owner@alpha.test")
		if s := f.do(t, request{method: "POST", path: "/api/auth/logout", bearer: "not.a.token"}).status; s != 204 {
			t.Fatalf("logout with a bad token: %d", s)
		}
		if s := f.do(t, request{method: "POST", path: "/api/auth/logout", bearer: tk.AccessToken}).status; s != 204 {
			t.Fatalf("logout by bearer: %d", s)
		}
		if s := f.me(t, tk.AccessToken); s != 401 {
			t.Fatalf("access token after bearer logout: %d, want 401", s)
		}
		if r := f.refresh(t, tk.RefreshToken); r.status != 401 {
			t.Fatalf("refresh token after bearer logout: %d, want 401", r.status)
		}
		if s := f.me(t, other.AccessToken); s != 200 {
			t.Fatalf("the other session after a bearer logout: %d", s)
		}
	})

	t.Run("cookie mode", func(t *testing.T) {
		r := f.do(t, request{method: "POST", path: "/api/auth/login?cookie=1", body: map[string]string{"email": "owner@alpha.test", "password": password}})
		access, refresh, csrf := r.cookies["cc_access"], r.cookies["cc_refresh"], r.cookies["cc_csrf"]
		if r.status != 200 || access == nil || refresh == nil || csrf == nil {
			t.Fatalf("cookie login: %d %v", r.status, r.cookies)
		}
		if r := f.do(t, request{method: "GET", path: catalog, cookies: []*http.Cookie{access, csrf}}); r.status != 200 {
			t.Fatalf("by cookie: %d", r.status)
		}
		r = f.do(t, request{method: "POST", path: "/api/auth/logout", cookies: []*http.Cookie{refresh, csrf},
			headers: map[string]string{"X-CSRF-Token": csrf.Value}})
		if r.status != 204 {
			t.Fatalf("logout by cookie: %d", r.status)
		}
		// A copy of the access cookie kept after logout is refused.
		if r := f.do(t, request{method: "GET", path: catalog, cookies: []*http.Cookie{access, csrf}}); r.status != 401 {
			t.Fatalf("kept access cookie after logout: %d, want 401", r.status)
		}
	})
}

func TestRefreshReuseStopsTheFamilysAccessTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")
	stolen := f.login(t, "owner@alpha.test")
	other := f.login(t, "owner@alpha.test")
	r := f.refresh(t, stolen.RefreshToken)
	var newer tokens
	r.decode(t, &newer)
	for _, tk := range []string{stolen.AccessToken, newer.AccessToken, other.AccessToken} {
		if s := f.me(t, tk); s != 200 {
			t.Fatalf("before reuse: %d", s)
		}
	}
	if r := f.refresh(t, stolen.RefreshToken); r.status != 401 {
		t.Fatalf("reuse: %d, want 401", r.status)
	}
	for name, tk := range map[string]string{"first": stolen.AccessToken, "rotated": newer.AccessToken} {
		if s := f.me(t, tk); s != 401 {
			t.Errorf("%s access token of the revoked family: %d, want 401", name, s)
		}
	}
	if s := f.me(t, other.AccessToken); s != 200 {
		t.Fatalf("other session: %d, want 200", s)
	}
}

// TestRefreshRefusesATokenOfARevokedFamily: a logout racing a refresh can
// leave the token the refresh minted unrevoked in a revoked family; that
// token must neither refresh nor authenticate. The race's outcome is set up
// directly in the database.
func TestRefreshRefusesATokenOfARevokedFamily(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")
	first := f.login(t, "owner@alpha.test")
	r := f.refresh(t, first.RefreshToken)
	var straggler tokens
	r.decode(t, &straggler)
	err := f.scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE used_at IS NOT NULL`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := f.me(t, straggler.AccessToken); s != 401 {
		t.Fatalf("access token of a family with a revoked token: %d, want 401", s)
	}
	if r := f.refresh(t, straggler.RefreshToken); r.status != 401 {
		t.Fatalf("refresh with the straggler: %d %s, want 401", r.status, r.body)
	}
}

// TestRevocationReachesOtherProcesses runs two services on one database and
// Redis, as two processes would: a logout in one stops the session's access
// tokens in the other as soon as the pub/sub message is applied.
func TestRevocationReachesOtherProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.user(t, "owner@alpha.test", false, "", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	newProc := func(ttl time.Duration) *identity.Service {
		cfg := f.cfg
		cfg.SessionCacheTTL = ttl
		svc, err := identity.New(cfg, identity.Deps{Scope: f.scope, Redis: f.rdb, RedisPrefix: f.prefix, Audit: audit.New(audit.Config{}, audit.Deps{}), Log: f.log})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	two := newProc(time.Hour) // only a revocation message can move it
	events := make(chan uuid.UUID, 16)
	two.ObserveRevocations(func(id uuid.UUID) { events <- id })
	go two.Run(ctx)
	wait := func(want uuid.UUID) {
		t.Helper()
		for {
			select {
			case id := <-events:
				if id == want {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no event %v within 10s", want)
			}
		}
	}
	wait(uuid.Nil) // subscribed

	login := func() *identity.Tokens {
		t.Helper()
		tk, err := f.svc.Login(ctx, identity.LoginInput{Email: "owner@alpha.test", Password: password, IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	verify := func(svc *identity.Service, access string) error {
		t.Helper()
		_, err := svc.VerifyAccessToken(ctx, access)
		return err
	}
	tk, keep := login(), login()
	p, err := two.VerifyAccessToken(ctx, tk.AccessToken)
	if err != nil || p.SessionID == uuid.Nil || p.UserID != u.ID {
		t.Fatalf("process two: %+v %v", p, err)
	}
	if err := verify(two, keep.AccessToken); err != nil {
		t.Fatal(err)
	}

	if err := f.svc.Logout(ctx, tk.RefreshToken); err != nil {
		t.Fatal(err)
	}
	wait(p.SessionID)
	if err := verify(two, tk.AccessToken); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("process two after logout elsewhere: %v, want ErrInvalidToken", err)
	}
	if err := verify(two, keep.AccessToken); err != nil {
		t.Fatalf("the other session in process two: %v", err)
	}

	t.Run("a lost message is bounded by the cache TTL", func(t *testing.T) {
		// A revocation that publishes nothing (written straight to the
		// database, as if Redis had been down): a process holding the
		// session as live keeps it until its entry expires.
		cached := newProc(time.Hour)
		expiring := newProc(time.Nanosecond) // every check reads Postgres
		tk := login()
		var sid uuid.UUID
		for _, svc := range []*identity.Service{cached, expiring} {
			p, err := svc.VerifyAccessToken(ctx, tk.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			sid = p.SessionID
		}
		err := f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = ?`, sid)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(cached, tk.AccessToken); err != nil {
			t.Fatalf("within the TTL the cached answer stands: %v", err)
		}
		if err := verify(expiring, tk.AccessToken); !errors.Is(err, identity.ErrInvalidToken) {
			t.Fatalf("after the TTL: %v, want ErrInvalidToken", err)
		}
	})

	t.Run("a disabled user's tokens stop", func(t *testing.T) {
		fresh := newProc(time.Nanosecond)
		tk := login()
		if err := verify(fresh, tk.AccessToken); err != nil {
			t.Fatal(err)
		}
		err := f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE users SET status = 'disabled' WHERE id = ?`, u.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(fresh, tk.AccessToken); !errors.Is(err, identity.ErrInvalidToken) {
			t.Fatalf("disabled user: %v, want ErrInvalidToken", err)
		}
	})
}

func TestAccessTokenSessionClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.user(t, "owner@alpha.test", false, "", "")
	other := f.user(t, "other@alpha.test", false, "", "")
	tk := f.login(t, "owner@alpha.test")
	otherTk := f.login(t, "other@alpha.test")
	p, err := f.svc.VerifyAccessToken(context.Background(), tk.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	po, err := f.svc.VerifyAccessToken(context.Background(), otherTk.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(sub uuid.UUID, sid string) string {
		now := time.Now()
		c := identity.AccessClaims{Email: "owner@alpha.test", Session: sid, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: identity.Issuer, Subject: sub.String(), ID: uuid.NewString(),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}}
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(f.secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"the session of the token", sign(u.ID, p.SessionID.String()), 200},
		{"unknown session", sign(u.ID, uuid.NewString()), 401},
		{"another user's session", sign(u.ID, po.SessionID.String()), 401},
		{"session not a uuid", sign(u.ID, "s1"), 401},
		{"nil session", sign(u.ID, uuid.Nil.String()), 401},
		// A token that names no session could not be revoked: refused.
		{"no session claim", sign(u.ID, ""), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s := f.me(t, tc.token); s != tc.want {
				t.Fatalf("status %d, want %d", s, tc.want)
			}
		})
	}
	if _, err := f.svc.VerifyAccessToken(context.Background(), sign(other.ID, p.SessionID.String())); errs.CodeOf(err) != errs.CodeUnauthorized {
		t.Fatalf("a session presented for another subject: %v", err)
	}
}

// BenchmarkVerifyAccessToken measures the hot path of every authenticated
// request: the signature and the session found in the process's cache, and
// with a Postgres read each time (a cache miss).
func BenchmarkVerifyAccessToken(b *testing.B) {
	ctx := context.Background()
	rdb, prefix := testenv.Redis(b)
	f := newFixtureOn(b, rdb, prefix)
	if _, _, err := f.svc.CreateUser(ctx, identity.CreateUserInput{Email: "owner@alpha.test", Password: password}); err != nil {
		b.Fatal(err)
	}
	tk, err := f.svc.Login(ctx, identity.LoginInput{Email: "owner@alpha.test", Password: password, IP: "192.0.2.1"})
	if err != nil {
		b.Fatal(err)
	}
	_, err = f.svc.VerifyAccessToken(ctx, tk.AccessToken)
	if err != nil {
		b.Fatal(err)
	}
	uncached, err := identity.New(identity.Config{JWTSecret: f.secret, HashParams: cheap, SessionCacheTTL: time.Nanosecond}, identity.Deps{Scope: f.scope, Redis: f.rdb, RedisPrefix: f.prefix, Audit: audit.New(audit.Config{}, audit.Deps{}), Log: f.log})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		svc   *identity.Service
		token string
	}{
		{"session cached", f.svc, tk.AccessToken},
		{"session from Postgres", uncached, tk.AccessToken},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.svc.VerifyAccessToken(ctx, bc.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSessionCacheForgetsWhenRedisComesBack: revocations published while a
// process was cut off from Redis are lost to it, so when its subscription is
// re-established it forgets every session it held as live.
func TestSessionCacheForgetsWhenRedisComesBack(t *testing.T) {
	t.Parallel()
	rds := testenv.StartRedis(t)
	rdb, err := rediskit.Open(context.Background(), rds.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	f := newFixtureOn(t, rdb, "test:", func(c *identity.Config) { c.SessionCacheTTL = time.Hour })
	f.user(t, "owner@alpha.test", false, "", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan uuid.UUID, 16)
	f.svc.ObserveRevocations(func(id uuid.UUID) { events <- id })
	go f.svc.Run(ctx)
	subscribed := func() {
		t.Helper()
		for {
			select {
			case id := <-events:
				if id == uuid.Nil {
					return
				}
			case <-time.After(30 * time.Second):
				t.Fatal("no (re)subscription within 30s")
			}
		}
	}
	subscribed()
	tk := f.login(t, "owner@alpha.test")
	p, err := f.svc.VerifyAccessToken(ctx, tk.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	// Revoked elsewhere while this process cannot hear it.
	err = f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = ?`, p.SessionID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.VerifyAccessToken(ctx, tk.AccessToken); err != nil {
		t.Fatalf("cached as live (TTL 1h), want accepted until the cache is emptied: %v", err)
	}
	rds.Restart()
	subscribed()
	if _, err := f.svc.VerifyAccessToken(ctx, tk.AccessToken); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("after resubscribing: %v, want ErrInvalidToken", err)
	}
}
