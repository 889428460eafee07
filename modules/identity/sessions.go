package identity

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
)

// Session revocation
//
// An access token names its session (claim "sid": the refresh token family
// it was issued with). VerifyAccessToken, and so Authenticate, refuses it
// once the family is revoked (Logout, refresh-token reuse detection) or its
// user is disabled or gone. Postgres is the truth (refresh_tokens.revoked_at,
// users.status); each process remembers what it read for at most
// SessionCacheTTL, so an authenticated request costs a map lookup and a
// session costs one indexed query per TTL per process.
//
// Revoking drops the entry in the revoking process at once and publishes the
// family id on Redis; Run, in every process, drops it on receipt. Whenever
// Run's subscription is (re)established, after Redis restarted or the
// connection broke, the process forgets every entry, since it may have
// missed revocations meanwhile. So a revoked session's access tokens stop
//   - at once in the process that revoked it,
//   - one pub/sub delivery later (milliseconds) in the others,
//   - at most SessionCacheTTL (default 10s) later when the message is lost
//     (Redis down or unreachable from the revoking process).
//
// A token without "sid" is refused: it could not be revoked. (No release
// without sessions ever ran in production.)

// maxSessionEntries bounds the cache; past it the map starts over.
const maxSessionEntries = 100_000

type sessionEntry struct {
	user uuid.UUID
	live bool
	exp  time.Time
}

// sessionCache remembers, per session, whether it was live when read.
type sessionCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	// gen moves on every drop or reset; a load that began under an older
	// generation is not stored (it may predate the revocation).
	gen uint64
	m   map[uuid.UUID]sessionEntry
}

func newSessionCache(ttl time.Duration) *sessionCache {
	return &sessionCache{ttl: ttl, m: map[uuid.UUID]sessionEntry{}}
}

func (c *sessionCache) get(id uuid.UUID, now time.Time) (sessionEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || !now.Before(e.exp) {
		return sessionEntry{}, false
	}
	return e, true
}

func (c *sessionCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores what a load read, unless a revocation arrived since gen.
func (c *sessionCache) put(id uuid.UUID, e sessionEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= maxSessionEntries {
		clear(c.m)
	}
	c.m[id] = e
}

func (c *sessionCache) drop(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, id)
}

func (c *sessionCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// checkSession answers ErrInvalidToken unless p's session is live.
func (s *Service) checkSession(ctx context.Context, p *Principal) error {
	if p.SessionID == uuid.Nil {
		return ErrInvalidToken // every token names its session; one that does not cannot be revoked
	}
	now := time.Now()
	e, ok := s.sessions.get(p.SessionID, now)
	if !ok {
		gen := s.sessions.generation()
		var st sessionState
		err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			st, err = loadSession(ctx, tx, p.SessionID, p.UserID)
			return err
		})
		if err != nil {
			return err
		}
		e = sessionEntry{user: p.UserID, live: st.live(), exp: now.Add(s.cfg.SessionCacheTTL)}
		s.sessions.put(p.SessionID, e, gen)
	}
	if !e.live || e.user != p.UserID {
		return ErrInvalidToken
	}
	return nil
}

func (s *Service) revocationChannel() string { return s.prefix + "identity:sessions:revoked" }

// sessionRevoked makes every process forget that the family was live. It is
// called after the revocation committed. A lost message is logged; other
// processes then notice within SessionCacheTTL.
func (s *Service) sessionRevoked(ctx context.Context, family uuid.UUID) {
	s.sessions.drop(family)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := s.rdb.Publish(ctx, s.revocationChannel(), family.String()).Err(); err != nil {
		s.log.ErrorContext(ctx, "identity: session revocation not published; other processes refuse its access tokens within the session cache TTL",
			"family_id", family, "ttl", s.cfg.SessionCacheTTL, "error", err)
	}
}

// ObserveRevocations registers fn to hear when Run has (re)subscribed
// (uuid.Nil) and when it applied a revocation published by a process (the
// family id). For tests and metrics; call it before Run.
func (s *Service) ObserveRevocations(fn func(uuid.UUID)) { s.observeRevocations = fn }

// Run applies session revocations published by every process (its own
// included) until ctx ends. Start it once per process. While Redis is
// unreachable the client keeps reconnecting; each (re)subscription empties
// the session cache.
func (s *Service) Run(ctx context.Context) {
	sub := s.rdb.Subscribe(ctx, s.revocationChannel())
	defer func() { _ = sub.Close() }()
	ch := sub.ChannelWithSubscriptions()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			switch m := m.(type) {
			case *redis.Subscription:
				if m.Kind == "subscribe" {
					s.sessions.reset()
					s.observe(uuid.Nil)
				}
			case *redis.Message:
				if id, err := uuid.Parse(m.Payload); err == nil && id != uuid.Nil {
					s.sessions.drop(id)
					s.observe(id)
				}
			}
		}
	}
}

func (s *Service) observe(id uuid.UUID) {
	if s.observeRevocations != nil {
		s.observeRevocations(id)
	}
}
