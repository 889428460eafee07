package gateway

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"

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

// RateLimit applies a GCRA limit (redis_rate) per key: keyPrefix + keyFn(c).
// (redis_rate itself stores the bucket under "rate:" + that key.) Over the
// limit, the answer is a 429 problem with Retry-After in whole seconds;
// every checked answer carries X-RateLimit-Remaining. When Redis fails or is
// slower than RateLimitBudget the request goes through and a warning is
// logged, at most once per 10 seconds per middleware: limits are disposable,
// availability is not.
func RateLimit(limiter *redis_rate.Limiter, keyPrefix string, keyFn KeyFunc, limit redis_rate.Limit) fiber.Handler {
	var lastWarn atomic.Int64 // unix nanoseconds of the last warning
	var suppressed atomic.Int64
	return func(c *fiber.Ctx) error {
		key, ok := keyFn(c)
		if !ok {
			return c.Next()
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), RateLimitBudget)
		res, err := limiter.Allow(ctx, keyPrefix+key, limit)
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
		c.Set(HeaderRateLimitRemaining, strconv.Itoa(res.Remaining))
		if res.Allowed > 0 {
			return c.Next()
		}
		retry := max(int(math.Ceil(res.RetryAfter.Seconds())), 1)
		return &httpx.Error{
			Code:       httpx.CodeRateLimited,
			Message:    "too many requests; retry after " + strconv.Itoa(retry) + " seconds",
			RetryAfter: retry,
		}
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
