package catalog

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// The read cache. Every entry of a tenant lives under the tenant's catalog
// version: {prefix}{tenant}:catalog:<version>:<codec>:<kind>:<key>, holding
// the cache's own encoding of domain values (cache_codec.go; never the
// public API's JSON, which the HTTP layer makes). A write bumps the
// version (INCR) after its transaction commits and before it answers, so the
// first read after a write misses and reads the committed rows; entries of
// older versions are never read again and expire (TTL). A read that races a
// write fills the entry under the version it read before its query, which the
// write's bump has already left behind.
//
// Each process keeps a copy of the entries it served under the version it
// last saw (bounded; the HTTP layer keeps the API bytes it made the same
// way), and reads the version itself at most once per round of
// concurrent requests (currentVersion): a cached read costs one Redis round
// trip shared by every request that arrived meanwhile, never an answer read
// before the request arrived. The {tenant} hash tag keeps a tenant's keys in
// one Redis Cluster slot.
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
	gates  sync.Map // tenant id → *gate
	locals copies
}

func newCache(rdb redis.UniversalClient, prefix string, ttl time.Duration, log *slog.Logger, m *metrics) *cache {
	return &cache{rdb: rdb, prefix: prefix, ttl: ttl, log: log, m: m}
}

// versionKey is the tenant's catalog version counter.
func (c *cache) versionKey(tenantID uuid.UUID) string {
	return c.prefix + "{" + tenantID.String() + "}:catalog:ver"
}

func (c *cache) entryPrefix(tenantID uuid.UUID) string {
	return c.prefix + "{" + tenantID.String() + "}:catalog:"
}

// version is the tenant's catalog version to read under: "" when there is
// no cache or Redis cannot be reached (reads then go to Postgres). Its only
// error is the context's.
func (c *cache) version(ctx context.Context, tenantID uuid.UUID) (string, error) {
	if c.rdb == nil {
		return "", nil
	}
	v, err := c.currentVersion(ctx, tenantID)
	if err != nil {
		c.m.cacheErr.Inc()
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", nil // Redis unavailable: serve from Postgres
	}
	return v, nil
}

// entryKey is the Redis key of an entry: its version and the encoding's.
func (c *cache) entryKey(tenantID uuid.UUID, version, key string) string {
	return c.entryPrefix(tenantID) + version + ":" + codecVersion + ":" + key
}

// codec turns a cached value into the cache's private encoding and back.
type codec[T any] struct {
	encode func(T) ([]byte, error)
	decode func([]byte) (T, error)
}

// cached returns the value of key under version: this process's copy, else
// Redis's, else fill's result, stored under the version read before fill
// ran. An empty version (no cache, Redis down) calls fill. An entry that
// does not decode is filled again.
func cached[T any](ctx context.Context, c *cache, tenantID uuid.UUID, version, key string, cd codec[T], fill func() (T, error)) (T, error) {
	if version == "" {
		return fill()
	}
	local := c.locals.of(tenantID)
	if b, ok := local.get(version, key); ok {
		if v, err := cd.decode(b); err == nil {
			c.m.hit.Inc()
			return v, nil
		}
	}
	full := c.entryKey(tenantID, version, key)
	if b, err := c.rdb.Get(ctx, full).Bytes(); err == nil {
		if v, err := cd.decode(b); err == nil {
			c.m.hit.Inc()
			local.put(version, key, b)
			return v, nil
		}
	}
	c.m.miss.Inc()
	v, err := fill()
	if err != nil {
		return v, err
	}
	b, err := cd.encode(v)
	if err != nil {
		return v, err
	}
	if err := c.rdb.Set(ctx, full, b, c.ttl).Err(); err != nil {
		c.log.WarnContext(ctx, "catalog cache fill failed", "error", err)
	}
	local.put(version, key, b)
	return v, nil
}

// currentVersion returns the tenant's catalog version as Redis has it at
// some moment after the call began: concurrent callers share one GET, but a
// caller never takes the answer of a GET that was already in flight when it
// arrived (it waits for the next round). Since writes bump the version
// before they answer, a read that starts after a write's answer always sees
// that write's version, while a burst of reads costs one Redis round trip
// per round instead of one per read.
func (c *cache) currentVersion(ctx context.Context, tenantID uuid.UUID) (string, error) {
	gv, ok := c.gates.Load(tenantID)
	if !ok {
		gv, _ = c.gates.LoadOrStore(tenantID, &gate{})
	}
	g := gv.(*gate)
	g.mu.Lock()
	if g.next == nil {
		g.next = &round{done: make(chan struct{})}
	}
	r := g.next
	if !g.running {
		g.running, g.next = true, nil
		go c.rounds(g, tenantID, r)
	}
	g.mu.Unlock()
	select {
	case <-r.done:
		return r.version, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// gate runs a tenant's version reads one round at a time.
type gate struct {
	mu      sync.Mutex
	running bool
	next    *round // the round callers arriving now join; starts after the running one
}

type round struct {
	done    chan struct{}
	version string
	err     error
}

func (c *cache) rounds(g *gate, tenantID uuid.UUID, r *round) {
	for r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r.version, r.err = c.fetchVersion(ctx, tenantID)
		cancel()
		close(r.done)
		g.mu.Lock()
		r, g.next = g.next, nil
		if r == nil {
			g.running = false
		}
		g.mu.Unlock()
	}
}

// fetchVersion reads the version. A missing version starts at the current
// time in nanoseconds, so a lost version key can never bring back entries of
// an earlier life.
func (c *cache) fetchVersion(ctx context.Context, tenantID uuid.UUID) (string, error) {
	v, err := c.rdb.Get(ctx, c.versionKey(tenantID)).Result()
	if errors.Is(err, redis.Nil) {
		if err = c.rdb.SetNX(ctx, c.versionKey(tenantID), strconv.FormatInt(time.Now().UnixNano(), 10), 0).Err(); err != nil {
			return "", err
		}
		v, err = c.rdb.Get(ctx, c.versionKey(tenantID)).Result()
	}
	return v, err
}

// localEntries is this process's copy of a tenant's entries under one
// version; a new version starts it empty.
type localEntries struct {
	mu      sync.RWMutex
	version string
	entries map[string][]byte
	bytes   int
}

// Local copies are bounded per tenant; past the bound the copy starts over.
const (
	maxLocalEntries = 20000
	maxLocalBytes   = 64 << 20
)

// copies are a process's copies of every tenant's entries.
type copies struct{ m sync.Map } // tenant id → *localEntries

func (cs *copies) of(tenantID uuid.UUID) *localEntries {
	l, ok := cs.m.Load(tenantID)
	if !ok {
		l, _ = cs.m.LoadOrStore(tenantID, &localEntries{})
	}
	return l.(*localEntries)
}

func (l *localEntries) get(version, key string) ([]byte, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.version != version {
		return nil, false
	}
	b, ok := l.entries[key]
	return b, ok
}

func (l *localEntries) put(version, key string, b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.version != version {
		// Versions only grow; an older version's fill must not replace a
		// newer copy (versions are decimal counters of equal length in
		// practice; compare as numbers).
		if newer(l.version, version) {
			return
		}
		l.version, l.entries, l.bytes = version, map[string][]byte{}, 0
	}
	if len(l.entries) >= maxLocalEntries || l.bytes+len(b) > maxLocalBytes {
		l.entries, l.bytes = map[string][]byte{}, 0
	}
	l.entries[key] = b
	l.bytes += len(b)
}

// newer reports whether version a is newer than b.
func newer(a, b string) bool {
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	return err1 == nil && err2 == nil && x > y
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

// storedVersion returns the tenant's current version as Redis has it now
// ("" when none yet).
func (c *cache) storedVersion(ctx context.Context, tenantID uuid.UUID) (string, error) {
	v, err := c.rdb.Get(ctx, c.versionKey(tenantID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// entries lists up to n keys (kind:key) of kind under version.
func (c *cache) entries(ctx context.Context, tenantID uuid.UUID, version, kind string, n int) ([]string, error) {
	base := c.entryKey(tenantID, version, "")
	var out []string
	iter := c.rdb.Scan(ctx, 0, base+kind+":*", 200).Iterator()
	for iter.Next(ctx) && len(out) < n {
		out = append(out, iter.Val()[len(base):])
	}
	return out, iter.Err()
}

// raw reads an entry as stored.
func (c *cache) raw(ctx context.Context, tenantID uuid.UUID, version, key string) ([]byte, error) {
	return c.rdb.Get(ctx, c.entryKey(tenantID, version, key)).Bytes()
}

type metrics struct {
	hit, miss, cacheErr prometheus.Counter // children of cache
	cache               *prometheus.CounterVec
	bumps               *prometheus.CounterVec
	runs                *prometheus.CounterVec
	drift               *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_catalog_cache_total",
			Help: "Catalog cache lookups by result (hit, miss, error)."}, []string{"result"}),
		bumps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_catalog_cache_bumps_total",
			Help: "Catalog version bumps after writes by result."}, []string{"result"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_catalog_sync_runs_total",
			Help: "Catalog sync runs by outcome."}, []string{"outcome"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_catalog_cache_drift_total",
			Help: "Cached catalog entries found to differ from Postgres by the consistency check."}, []string{"kind"}),
	}
	m.hit, m.miss, m.cacheErr = m.cache.WithLabelValues("hit"), m.cache.WithLabelValues("miss"), m.cache.WithLabelValues("error")
	return m
}

// Collectors returns the catalog's Prometheus collectors.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.cache, s.metrics.bumps, s.metrics.runs, s.metrics.drift}
}
