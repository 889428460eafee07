package catalog

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// The read cache. Every entry of a tenant lives under the tenant's catalog
// version: {prefix}{tenant}:catalog:<version>:<kind>:<key>. A write bumps the
// version (INCR) after its transaction commits and before it answers, so the
// first read after a write misses and reads the committed rows; entries of
// older versions are never read again and expire (TTL). A read that races a
// write fills the entry under the version it read before its query, which the
// write's bump has already left behind.
//
// The {tenant} hash tag keeps a tenant's keys in one Redis Cluster slot, so
// the lookup script (version and entry in one round trip) is cluster-safe.
//
// Redis down: reads go to Postgres, writes still commit. A bump that fails
// after a commit is logged and counted; the entry TTL bounds how long an old
// entry could then be served, and the consistency check reports it.
type cache struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	log    *slog.Logger
	m      *metrics
}

func newCache(rdb redis.UniversalClient, prefix string, ttl time.Duration, log *slog.Logger, m *metrics) *cache {
	return &cache{rdb: rdb, prefix: prefix, ttl: ttl, log: log, m: m}
}

// lookup returns the current version and the entry under it ("" when
// missing). A missing version starts at the current time in nanoseconds, so a
// lost version key can never bring back entries of an earlier life.
var lookup = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[2], 'NX')
  v = redis.call('GET', KEYS[1])
end
return {v, redis.call('GET', KEYS[2] .. v .. ':' .. ARGV[1]) or ''}
`)

func (c *cache) versionKey(tenantID uuid.UUID) string {
	return c.prefix + "{" + tenantID.String() + "}:catalog:ver"
}

func (c *cache) entryPrefix(tenantID uuid.UUID) string {
	return c.prefix + "{" + tenantID.String() + "}:catalog:"
}

// get returns the cached bytes for key, or calls fill and stores its result
// under the version read before fill ran.
func (c *cache) get(ctx context.Context, tenantID uuid.UUID, key string, fill func() ([]byte, error)) ([]byte, error) {
	if c.rdb == nil {
		return fill()
	}
	res, err := lookup.Run(ctx, c.rdb, []string{c.versionKey(tenantID), c.entryPrefix(tenantID)},
		key, strconv.FormatInt(time.Now().UnixNano(), 10)).Slice()
	if err != nil || len(res) != 2 {
		c.m.cache.WithLabelValues("error").Inc()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return fill() // Redis unavailable: serve from Postgres
	}
	version, _ := res[0].(string)
	if s, _ := res[1].(string); s != "" {
		c.m.cache.WithLabelValues("hit").Inc()
		return []byte(s), nil
	}
	c.m.cache.WithLabelValues("miss").Inc()
	b, err := fill()
	if err != nil {
		return nil, err
	}
	if err := c.rdb.Set(ctx, c.entryPrefix(tenantID)+version+":"+key, b, c.ttl).Err(); err != nil {
		c.log.WarnContext(ctx, "catalog cache fill failed", "error", err)
	}
	return b, nil
}

// bump moves the tenant to a new catalog version. It is called after the
// write committed.
func (c *cache) bump(ctx context.Context, tenantID uuid.UUID) {
	if c.rdb == nil {
		return
	}
	// A detached context: the write committed, the bump must not be lost to
	// the request being cancelled.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = c.rdb.Incr(ctx, c.versionKey(tenantID)).Err(); err == nil {
			c.m.bumps.WithLabelValues("ok").Inc()
			return
		}
	}
	c.m.bumps.WithLabelValues("error").Inc()
	c.log.ErrorContext(ctx, "catalog cache version bump failed after a committed write; cached reads may be stale until entries expire",
		"tenant_id", tenantID, "error", err)
}

// version returns the tenant's current version ("" when none yet).
func (c *cache) version(ctx context.Context, tenantID uuid.UUID) (string, error) {
	v, err := c.rdb.Get(ctx, c.versionKey(tenantID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// entries lists up to n keys (without prefix) of kind under version.
func (c *cache) entries(ctx context.Context, tenantID uuid.UUID, version, kind string, n int) ([]string, error) {
	prefix := c.entryPrefix(tenantID) + version + ":" + kind + ":"
	var out []string
	iter := c.rdb.Scan(ctx, 0, prefix+"*", 200).Iterator()
	for iter.Next(ctx) && len(out) < n {
		out = append(out, iter.Val()[len(c.entryPrefix(tenantID)+version+":"):])
	}
	return out, iter.Err()
}

func (c *cache) raw(ctx context.Context, tenantID uuid.UUID, version, key string) ([]byte, error) {
	return c.rdb.Get(ctx, c.entryPrefix(tenantID)+version+":"+key).Bytes()
}

type metrics struct {
	cache *prometheus.CounterVec
	bumps *prometheus.CounterVec
	runs  *prometheus.CounterVec
	drift *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_catalog_cache_total",
			Help: "Catalog cache lookups by result (hit, miss, error)."}, []string{"result"}),
		bumps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_catalog_cache_bumps_total",
			Help: "Catalog version bumps after writes by result."}, []string{"result"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_catalog_sync_runs_total",
			Help: "Catalog sync runs by outcome."}, []string{"outcome"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_catalog_cache_drift_total",
			Help: "Cached catalog entries found to differ from Postgres by the consistency check."}, []string{"kind"}),
	}
}

// Collectors returns the catalog's Prometheus collectors.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.cache, s.metrics.bumps, s.metrics.runs, s.metrics.drift}
}
