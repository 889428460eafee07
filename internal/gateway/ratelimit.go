package gateway

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

// RateLimitBudget bounds the Redis round trip of one rate-limit check; past
// it the request goes through (fail open).
const RateLimitBudget = 100 * time.Millisecond

// HeaderRateLimitRemaining tells the client how many requests its key has left.
const HeaderRateLimitRemaining = "X-RateLimit-Remaining"

// KeyFunc names the bucket a request counts against, or returns false when
// the limit does not apply to it.
type KeyFunc func(c *fiber.Ctx) (string, bool)

// leaseTTL is how long tokens taken from the shared bucket may be spent
// locally; unspent tokens are then dropped (never returned), so a lease can
// only make a process stricter than the shared limit, not looser.
const leaseTTL = time.Second

// maxLeases bounds the per-process lease table; expired leases are swept
// when it is full.
const maxLeases = 100_000

// LeaseSize is how many tokens one Redis round trip takes from a bucket of
// the given limit: a tenth of the burst, at least one. Small limits (a login
// form, a single IP) are checked in Redis on every request; large ones (a
// busy tenant) cost one round trip per lease instead of one per request.
func LeaseSize(limit redis_rate.Limit) int { return max(1, limit.Burst/10) }

type lease struct {
	mu          sync.Mutex
	tokens      int       // local tokens left
	remaining   int       // the shared bucket's remaining count at the last refill
	expires     time.Time // tokens are void after this
	deniedUntil time.Time // the shared bucket said no until then
}

// RateLimit applies a GCRA limit (redis_rate) per key: keyPrefix + keyFn(c).
// (redis_rate itself stores the bucket under "rate:" + that key.) Each
// process leases LeaseSize(limit) tokens per round trip with AllowAtMost and
// spends them locally for up to a second; a refusal is remembered locally
// until its retry time. Over the limit, the answer is a 429 problem with
// Retry-After in whole seconds; every checked answer carries
// X-RateLimit-Remaining. When Redis fails or is slower than RateLimitBudget
// the request goes through and a warning is logged, at most once per 10
// seconds per middleware: limits are disposable, availability is not.
func RateLimit(limiter *redis_rate.Limiter, keyPrefix string, keyFn KeyFunc, limit redis_rate.Limit) fiber.Handler {
	var lastWarn atomic.Int64 // unix nanoseconds of the last warning
	var suppressed atomic.Int64
	var mu sync.Mutex
	leases := map[string]*lease{}
	size := LeaseSize(limit)
	get := func(key string, now time.Time) *lease {
		mu.Lock()
		defer mu.Unlock()
		l, ok := leases[key]
		if !ok {
			if len(leases) >= maxLeases {
				for k, old := range leases {
					old.mu.Lock()
					stale := now.After(old.expires) && now.After(old.deniedUntil)
					old.mu.Unlock()
					if stale {
						delete(leases, k)
					}
				}
			}
			l = &lease{}
			leases[key] = l
		}
		return l
	}
	deny := func(retryAfter time.Duration) error {
		retry := max(int(math.Ceil(retryAfter.Seconds())), 1)
		return &errs.Error{
			Code:       errs.CodeRateLimited,
			RetryAfter: retry, Msg: errs.M("error.rate_limited")}
	}
	return func(c *fiber.Ctx) error {
		key, ok := keyFn(c)
		if !ok {
			return c.Next()
		}
		now := time.Now()
		l := get(key, now)
		l.mu.Lock()
		if now.Before(l.deniedUntil) {
			wait := l.deniedUntil.Sub(now)
			l.mu.Unlock()
			c.Set(HeaderRateLimitRemaining, "0")
			return deny(wait)
		}
		if l.tokens > 0 && now.Before(l.expires) {
			l.tokens--
			left := l.remaining + l.tokens
			l.mu.Unlock()
			c.Set(HeaderRateLimitRemaining, strconv.Itoa(left))
			return c.Next()
		}
		l.mu.Unlock()

		ctx, cancel := context.WithTimeout(c.UserContext(), RateLimitBudget)
		res, err := limiter.AllowAtMost(ctx, keyPrefix+key, limit, size)
		cancel()
		if err != nil {
			now := time.Now().UnixNano()
			last := lastWarn.Load()
			if now-last >= int64(10*time.Second) && lastWarn.CompareAndSwap(last, now) {
				httpx.LoggerFrom(c, slog.Default()).WarnContext(c.UserContext(),
					"rate limit unavailable; letting requests through",
					"error", err.Error(), "key_prefix", keyPrefix, "suppressed", suppressed.Swap(0))
			} else {
				suppressed.Add(1)
			}
			return c.Next()
		}
		l.mu.Lock()
		if res.Allowed <= 0 {
			l.tokens = 0
			l.deniedUntil = time.Now().Add(res.RetryAfter)
			l.mu.Unlock()
			c.Set(HeaderRateLimitRemaining, "0")
			return deny(res.RetryAfter)
		}
		l.tokens = res.Allowed - 1
		l.remaining = res.Remaining
		l.expires = time.Now().Add(leaseTTL)
		left := l.remaining + l.tokens
		l.mu.Unlock()
		c.Set(HeaderRateLimitRemaining, strconv.Itoa(left))
		return c.Next()
	}
}

// ByIP keys requests by client IP (see AppConfig.ProxyHeader); IPv6 clients
// by their /64, since one host usually owns a whole /64.
func ByIP(c *fiber.Ctx) (string, bool) {
	ip := c.IP()
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip, true
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return "ip:" + p.String(), true
	}
	return "ip:" + addr.String(), true
}

// ByTenant keys requests by the tenant id tenantID returns; requests without
// a tenant are not limited by it. The id is wrapped in a Redis Cluster hash
// tag ({id}) so a tenant's keys share a slot.
func ByTenant(tenantID func(c *fiber.Ctx) string) KeyFunc {
	return func(c *fiber.Ctx) (string, bool) {
		id := tenantID(c)
		if id == "" {
			return "", false
		}
		return "tenant:{" + id + "}", true
	}
}
