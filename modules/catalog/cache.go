package catalog

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
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
// last saw (bounded, in two generations; the HTTP layer keeps the API bytes
// it made the same way), with the value decoded from an entry once (readers
// get clones), and reads the version itself at most once per round of
// concurrent requests (currentVersion): a cached read costs one Redis round
// trip shared by every request that arrived meanwhile, never an answer read
// before the request arrived. Concurrent misses of one entry run one fill.
// The {tenant} hash tag keeps a tenant's keys in one Redis Cluster slot.
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
	fills  sync.Map // entry key → *flight: the fills running now
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
// clone, when set, deep-copies a value: the process's copy then decodes an
// entry once and hands out clones (cheaper than decoding every read), and
// a reader may still change what it got.
type codec[T any] struct {
	encode func(T) ([]byte, error)
	decode func([]byte) (T, error)
	clone  func(T) T
}

// cached returns the value of key under version: this process's copy, else
// Redis's, else fill's result, stored under the version read before fill
// ran. Concurrent misses of one entry in a process run fill once: the
// others wait for its result (a cold entry under load — a new version, a
// fresh process — costs one query, not one per request), and fill for
// themselves only when it failed. An empty version (no cache, Redis down)
// calls fill. An entry that does not decode is filled again.
func cached[T any](ctx context.Context, c *cache, tenantID uuid.UUID, version, key string, cd codec[T], fill func() (T, error)) (T, error) {
	if version == "" {
		return fill()
	}
	local := c.locals.of(tenantID)
	if e, ok := local.entry(version, key); ok {
		if v, err := read(e, cd); err == nil {
			c.m.hit.Inc()
			return v, nil
		}
	}
	full := c.entryKey(tenantID, version, key)
	if b, err := c.rdb.Get(ctx, full).Bytes(); err == nil {
		e := &localEntry{b: b}
		if v, err := read(e, cd); err == nil {
			c.m.hit.Inc()
			local.keep(version, key, e)
			return v, nil
		}
	}
	f, leader := c.join(full)
	if !leader {
		select {
		case <-f.done:
			if f.b != nil {
				if v, err := read(&localEntry{b: f.b}, cd); err == nil {
					c.m.hit.Inc()
					return v, nil
				}
			}
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		f = nil // the fill we waited for failed: fill for ourselves
	}
	if f != nil {
		defer func() { // also when fill panics: no waiter is left behind
			c.fills.Delete(full)
			close(f.done)
		}()
	}
	c.m.miss.Inc()
	v, b, err := fillEntry(ctx, c, full, cd, fill)
	if errors.Is(err, errMadeFromCache) {
		return v, nil
	}
	if err == nil {
		local.put(version, key, b)
		if f != nil {
			f.b = b
		}
	}
	return v, err
}

// errMadeFromCache is what a fill returns with a value it made from other
// entries (a search page from a cached ranking and cached products): as
// cheap to make again as to read back, so cached returns it without
// keeping it, and a stream of one-off searches (every price ceiling a new
// key) does not push the entries it is made of out of the process's copy.
var errMadeFromCache = errors.New("catalog: made from cached entries")

// fillEntry runs fill and stores its encoded result in Redis under full.
func fillEntry[T any](ctx context.Context, c *cache, full string, cd codec[T], fill func() (T, error)) (T, []byte, error) {
	v, err := fill()
	if err != nil {
		return v, nil, err
	}
	b, err := cd.encode(v)
	if err != nil {
		return v, nil, err
	}
	if err := c.rdb.Set(ctx, full, b, c.ttl).Err(); err != nil {
		c.log.WarnContext(ctx, "catalog cache fill failed", "error", err)
	}
	return v, b, nil
}

// getMany returns the entries of keys under version that this process's
// copy or Redis has (one MGET for those the copy lacks), by key.
func (c *cache) getMany(ctx context.Context, tenantID uuid.UUID, version string, keys []string) map[string]*localEntry {
	out := make(map[string]*localEntry, len(keys))
	if version == "" {
		return out
	}
	local := c.locals.of(tenantID)
	var missing, full []string
	for _, k := range keys {
		if e, ok := local.entry(version, k); ok {
			out[k] = e
		} else {
			missing = append(missing, k)
			full = append(full, c.entryKey(tenantID, version, k))
		}
	}
	if len(missing) == 0 {
		return out
	}
	vs, err := c.rdb.MGet(ctx, full...).Result()
	if err != nil {
		c.m.cacheErr.Inc()
		return out
	}
	for i, v := range vs {
		if s, ok := v.(string); ok {
			out[missing[i]] = local.put(version, missing[i], []byte(s))
		}
	}
	return out
}

// store keeps b as the entry key under version, in this process's copy and
// in Redis (what a fill does with its result).
func (c *cache) store(ctx context.Context, tenantID uuid.UUID, version, key string, b []byte) {
	if version == "" {
		return
	}
	if err := c.rdb.Set(ctx, c.entryKey(tenantID, version, key), b, c.ttl).Err(); err != nil {
		c.log.WarnContext(ctx, "catalog cache fill failed", "error", err)
	}
	c.locals.of(tenantID).put(version, key, b)
}

// flight is a fill in progress; b is its encoded result (nil: it failed),
// set before done closes.
type flight struct {
	done    chan struct{}
	b       []byte
	waiters atomic.Int32 // callers waiting for it (tests read it)
}

// join returns the fill in progress for the entry key full and false, or
// a new one and true: the caller fills, then sets b, deletes it and closes
// done.
func (c *cache) join(full string) (*flight, bool) {
	f := &flight{done: make(chan struct{})}
	if running, loaded := c.fills.LoadOrStore(full, f); loaded {
		running := running.(*flight)
		running.waiters.Add(1)
		return running, false
	}
	return f, true
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
// version; a new version starts it empty. It keeps two generations: when
// the current one is full it becomes the older one (the one before is
// dropped), and an entry read from the older one moves back into the
// current one, so entries in use (a product, a search's ranking) outlive a
// stream of entries read once (pages of one-off searches).
type localEntries struct {
	mu      sync.RWMutex
	version string
	entries map[string]*localEntry // the current generation
	older   map[string]*localEntry // the previous generation
	bytes   int                    // of the current generation
}

// localEntry is an entry as stored, and the value decoded from it once
// (for a codec that can clone values: readers get clones, never it).
type localEntry struct {
	b []byte
	v atomic.Value
}

// Local copies are bounded per tenant (both generations together); past the
// bound the older generation is dropped.
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

// get returns the bytes of the entry key under version.
func (l *localEntries) get(version, key string) ([]byte, bool) {
	e, ok := l.entry(version, key)
	if !ok {
		return nil, false
	}
	return e.b, true
}

// entry returns the entry key under version.
func (l *localEntries) entry(version, key string) (*localEntry, bool) {
	l.mu.RLock()
	if l.version != version {
		l.mu.RUnlock()
		return nil, false
	}
	if e, ok := l.entries[key]; ok {
		l.mu.RUnlock()
		return e, true
	}
	_, old := l.older[key]
	l.mu.RUnlock()
	if !old {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.version != version {
		return nil, false
	}
	if e, ok := l.entries[key]; ok { // moved back meanwhile
		return e, true
	}
	e, ok := l.older[key]
	if !ok {
		return nil, false
	}
	delete(l.older, key)
	l.add(key, e)
	return e, true
}

// put keeps b as the entry key under version and returns it.
func (l *localEntries) put(version, key string, b []byte) *localEntry {
	e := &localEntry{b: b}
	l.keep(version, key, e)
	return e
}

// keep keeps e as the entry key under version.
func (l *localEntries) keep(version, key string, e *localEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.version != version {
		// Versions only grow; an older version's fill must not replace a
		// newer copy (versions are decimal counters of equal length in
		// practice; compare as numbers).
		if newer(l.version, version) {
			return
		}
		l.version, l.entries, l.older, l.bytes = version, map[string]*localEntry{}, nil, 0
	}
	if old, ok := l.entries[key]; ok {
		l.bytes -= len(old.b)
		delete(l.entries, key)
	}
	delete(l.older, key)
	l.add(key, e)
}

// add puts an entry into the current generation, which first becomes the
// older one when it is full. l.mu is held.
func (l *localEntries) add(key string, e *localEntry) {
	if len(l.entries) >= maxLocalEntries/2 || l.bytes+len(e.b) > maxLocalBytes/2 {
		l.older, l.entries, l.bytes = l.entries, map[string]*localEntry{}, 0
	}
	if l.entries == nil {
		l.entries = map[string]*localEntry{}
	}
	l.entries[key] = e
	l.bytes += len(e.b)
}

// read returns the value of e: a clone of the value decoded before, or,
// the first time, the value decoded from e's bytes (then kept, for a codec
// that clones).
func read[T any](e *localEntry, cd codec[T]) (T, error) {
	if cd.clone != nil {
		if v, ok := e.v.Load().(T); ok {
			return cd.clone(v), nil
		}
	}
	v, err := cd.decode(e.b)
	if err != nil || cd.clone == nil {
		return v, err
	}
	e.v.Store(v)
	return cd.clone(v), nil
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
