package tenants

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Cache keeps resolved tenants in two levels: an in-process map (the hot path
// of every request) and Redis (shared by all processes). A change to a tenant,
// its domains or numbers deletes its Redis keys and publishes an invalidation
// that every process applies to its own map. Unknown hosts are remembered
// briefly in-process only, and forgotten on any change.
type Cache struct {
	rdb      redis.UniversalClient
	prefix   string
	ttl      time.Duration
	localTTL time.Duration
	log      *slog.Logger

	mu    sync.RWMutex
	gen   uint64
	local map[string]cacheEntry

	// observe, when set, is told when Run has subscribed (uuid.Nil) and after
	// each invalidation from another process has been applied.
	observe func(uuid.UUID)
}

// Observe registers fn to hear when Run has subscribed (uuid.Nil) and when it
// applied a remote invalidation (the tenant id). For tests and metrics.
func (c *Cache) Observe(fn func(uuid.UUID)) { c.observe = fn }

// cached is what a resolution stores: the tenant and, for a phone_number_id,
// the number with its secrets still sealed.
type cached struct {
	Tenant *Tenant    `json:"tenant,omitempty"`
	Number *numberRow `json:"number,omitempty"`
	// Storefront is the tenant's storefront settings (StorefrontOf).
	Storefront *Storefront `json:"storefront,omitempty"`
	Miss       bool        `json:"miss,omitempty"`
	_          struct{}    `json:"-"`
}

type cacheEntry struct {
	val cached
	exp time.Time
}

const maxLocalEntries = 50_000

// NewCache builds the cache. ttl bounds the Redis entries; in-process entries
// live at most a minute so a lost invalidation heals quickly.
func NewCache(rdb redis.UniversalClient, prefix string, ttl time.Duration, log *slog.Logger) *Cache {
	local := ttl
	if local > time.Minute {
		local = time.Minute
	}
	return &Cache{rdb: rdb, prefix: prefix + "tenants:", ttl: ttl, localTTL: local, log: log, local: map[string]cacheEntry{}}
}

func (c *Cache) channel() string { return c.prefix + "invalidate" }

// get returns the entry for key from memory or Redis.
func (c *Cache) get(ctx context.Context, key string) (cached, bool) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.local[key]
	c.mu.RUnlock()
	if ok && now.Before(e.exp) {
		return e.val, true
	}
	b, err := c.rdb.Get(ctx, c.prefix+key).Bytes()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			c.log.WarnContext(ctx, "tenant cache: redis get failed; reading the database", "error", err)
		}
		return cached{}, false
	}
	var v cached
	if json.Unmarshal(b, &v) != nil || v.Tenant == nil {
		return cached{}, false
	}
	c.putLocal(key, v, c.genNow())
	return v, true
}

func (c *Cache) genNow() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// putLocal stores v unless an invalidation happened since gen was read.
func (c *Cache) putLocal(key string, v cached, gen uint64) {
	ttl := c.localTTL
	if v.Miss {
		ttl = 10 * time.Second
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.local) >= maxLocalEntries {
		clear(c.local)
	}
	c.local[key] = cacheEntry{val: v, exp: time.Now().Add(ttl)}
}

// put stores a found resolution in both levels and indexes the key under its
// tenant so an invalidation can find it.
func (c *Cache) put(ctx context.Context, key string, v cached, gen uint64) {
	c.putLocal(key, v, gen)
	if v.Miss {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	idx := c.prefix + "keys:{" + v.Tenant.ID.String() + "}"
	pipe := c.rdb.TxPipeline()
	pipe.Set(ctx, c.prefix+key, b, c.ttl)
	pipe.SAdd(ctx, idx, key)
	pipe.Expire(ctx, idx, c.ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		c.log.WarnContext(ctx, "tenant cache: redis set failed", "error", err)
	}
}

// Invalidate forgets everything cached about a tenant, here and in every
// other process.
func (c *Cache) Invalidate(ctx context.Context, tenantID uuid.UUID) {
	c.dropLocal(tenantID)
	idx := c.prefix + "keys:{" + tenantID.String() + "}"
	keys, err := c.rdb.SMembers(ctx, idx).Result()
	if err == nil {
		full := []string{idx}
		for _, k := range keys {
			full = append(full, c.prefix+k)
		}
		err = c.rdb.Del(ctx, full...).Err()
	}
	if err == nil {
		err = c.rdb.Publish(ctx, c.channel(), tenantID.String()).Err()
	}
	if err != nil {
		c.log.ErrorContext(ctx, "tenant cache: invalidation incomplete; entries expire within the TTL", "tenant_id", tenantID, "error", err)
	}
}

func (c *Cache) dropLocal(tenantID uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.local {
		if e.val.Miss || (e.val.Tenant != nil && e.val.Tenant.ID == tenantID) {
			delete(c.local, k)
		}
	}
}

// Run applies invalidations published by other processes until ctx ends.
// Every time the subscription is (re)established — at start, and after the
// connection broke or Redis restarted (go-redis reconnects on its own) —
// every local entry is forgotten, since invalidations may have been missed
// meanwhile.
func (c *Cache) Run(ctx context.Context) {
	sub := c.rdb.Subscribe(ctx, c.channel())
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
					c.mu.Lock()
					c.gen++
					clear(c.local)
					c.mu.Unlock()
					if c.observe != nil {
						c.observe(uuid.Nil)
					}
				}
			case *redis.Message:
				if id, err := uuid.Parse(m.Payload); err == nil {
					c.dropLocal(id)
					if c.observe != nil {
						c.observe(id)
					}
				}
			}
		}
	}
}
