// Package idempotency makes a mutating HTTP call safe to retry: a client
// sends an Idempotency-Key header, and the same key with the same request
// gets the first answer again — its status and body, byte for byte — instead
// of running the operation a second time. The cart uses it on every
// mutating route; checkout will too.
//
// # The rules
//
//   - A key is 1 to 255 visible ASCII characters (a UUID is the usual
//     choice).
//   - Keys live in Redis for TTL (24 h) from their first use, under
//     {REDIS_PREFIX}idem:{<scope>}:<sha256 of the key>. The caller names the
//     scope of a request: the cart scopes keys by tenant and cart (and a new
//     cart's by tenant and client address), so two anonymous shoppers who
//     both send "1" never meet, and keys of two tenants never do. The scope
//     is a Redis Cluster hash tag: a scope's keys share a slot.
//   - The request's fingerprint is the SHA-256 of its method, path (with
//     the query string) and raw body. The same key with another fingerprint
//     (another body, another route in the same scope) is refused with 422
//     (idempotency.key_reused) and nothing runs.
//   - The first request with a key claims it with SET NX, marked "pending"
//     for PendingTTL (60 s, longer than any request may run). A second
//     request with the same key and fingerprint while the first is running
//     waits up to Wait (2 s) for its answer and replays it; if the first is
//     still running then, it gets 409 (idempotency.in_flight) with
//     Retry-After: 1, and nothing runs twice.
//   - Answers below 500, other than 429, are stored and replayed (a 409 for
//     missing stock replays as the same 409: the key names one attempt, not
//     the operation's eventual success). A 5xx or 429 is not stored: the key
//     is released so the client's retry runs the operation again. A replay
//     carries Idempotent-Replayed: true.
//   - Redis unreachable (or slow past OpTimeout): the request runs as if it
//     had no key — correct, only not replayable — and the failure is logged
//     (fail open). Correctness never rests on Redis: the operations behind
//     keys (cart lines, checkout drafts) are exact under retries and races by
//     their own transactions; the key only makes a retry answer like the
//     first attempt.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"concierge/internal/errs"
)

// Header is the request header that carries the key.
const Header = "Idempotency-Key"

// ReplayedHeader marks a replayed answer.
const ReplayedHeader = "Idempotent-Replayed"

// MaxKeyLen bounds a key's length.
const MaxKeyLen = 255

// maxStored is the largest answer body kept for replay; a larger one is
// answered but not stored (the key is released).
const maxStored = 256 << 10

// Config shapes a Store. Zero values take the defaults.
type Config struct {
	// TTL is how long a key's answer is kept (24 h).
	TTL time.Duration
	// PendingTTL bounds how long a claimed key stays "pending" when its
	// request never finishes (a crash): after it, the key can be used again
	// (60 s; keep it above the request deadline, WRITE_TIMEOUT).
	PendingTTL time.Duration
	// Wait is how long a concurrent request with the same key waits for the
	// first one's answer before it gets 409 (2 s).
	Wait time.Duration
	// OpTimeout bounds each Redis call (200 ms); past it the request runs
	// without idempotency.
	OpTimeout time.Duration
}

// Store keeps keys and answers in Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	cfg    Config
	log    *slog.Logger
	// onWait, when set (tests), is called when a request starts waiting for
	// a concurrent one with its key.
	onWait func()
}

// New returns a store on rdb whose keys start with prefix (REDIS_PREFIX).
func New(rdb redis.UniversalClient, prefix string, cfg Config, log *slog.Logger) *Store {
	if cfg.TTL <= 0 {
		cfg.TTL = 24 * time.Hour
	}
	if cfg.PendingTTL <= 0 {
		cfg.PendingTTL = time.Minute
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 2 * time.Second
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = 200 * time.Millisecond
	}
	if log == nil {
		log = slog.Default()
	}
	return &Store{rdb: rdb, prefix: prefix, cfg: cfg, log: log}
}

// record is a key's value in Redis.
type record struct {
	State       string `json:"s"` // "pending" or "done"
	Fingerprint string `json:"f"`
	Status      int    `json:"c,omitempty"`
	ContentType string `json:"t,omitempty"`
	Location    string `json:"l,omitempty"`
	Body        []byte `json:"b,omitempty"`
}

const (
	statePending = "pending"
	stateDone    = "done"
)

// Middleware returns the handler that guards the routes it is put in front
// of. scope names the key space of a request (the cart: tenant and cart); a request it
// gives no scope runs without idempotency. Requests without the header pass
// through untouched.
func (s *Store) Middleware(scope func(c *fiber.Ctx) (string, bool)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get(Header)
		if key == "" {
			return c.Next()
		}
		if !validKey(key) {
			return errs.Invalid(errs.Field(Header, "key", "idempotency.key_invalid", "max", MaxKeyLen))
		}
		sc, ok := scope(c)
		if !ok {
			return c.Next()
		}
		return s.guard(c, s.redisKey(sc, key), fingerprint(c))
	}
}

// guard claims the key, runs the rest of the chain once, and stores its
// answer; or replays, refuses or waits as the key's record says.
func (s *Store) guard(c *fiber.Ctx, rkey, fp string) error {
	ctx := c.UserContext()
	claimed, err := s.claim(ctx, rkey, fp)
	if err != nil {
		s.log.WarnContext(ctx, "idempotency: redis unavailable; running without replay", "error", err)
		return c.Next()
	}
	if !claimed {
		rec, err := s.await(ctx, rkey, fp)
		switch {
		case err != nil:
			s.log.WarnContext(ctx, "idempotency: redis unavailable; running without replay", "error", err)
			return c.Next()
		case rec == nil: // expired between the claim and the read: try once more
			if claimed, err = s.claim(ctx, rkey, fp); err != nil {
				return c.Next()
			} else if !claimed {
				return &errs.Error{Code: errs.CodeConflict, Msg: errs.M("idempotency.in_flight"), RetryAfter: 1}
			}
		case rec.Fingerprint != fp:
			return errs.New(errs.CodeInvalid, "idempotency.key_reused")
		case rec.State == stateDone:
			return replay(c, rec)
		default:
			return &errs.Error{Code: errs.CodeConflict, Msg: errs.M("idempotency.in_flight"), RetryAfter: 1}
		}
	}
	// This request owns the key: run it, answer it, store the answer.
	if err := c.Next(); err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	s.finish(ctx, c, rkey, fp)
	return nil
}

// claim sets the key to pending unless it exists.
func (s *Store) claim(ctx context.Context, rkey, fp string) (bool, error) {
	b, _ := json.Marshal(record{State: statePending, Fingerprint: fp})
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	return s.rdb.SetNX(ctx, rkey, b, s.cfg.PendingTTL).Result()
}

// await reads the key's record; while it is pending with the same
// fingerprint it polls (backing off from 10 ms) until it is done or Wait
// has passed. nil: the key is gone.
func (s *Store) await(ctx context.Context, rkey, fp string) (*record, error) {
	deadline := time.Now().Add(s.cfg.Wait)
	pause := 10 * time.Millisecond
	for waited := false; ; waited = true {
		rec, err := s.read(ctx, rkey)
		if err != nil || rec == nil || rec.State == stateDone || rec.Fingerprint != fp || !time.Now().Add(pause).Before(deadline) {
			return rec, err
		}
		if !waited && s.onWait != nil {
			s.onWait()
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return rec, nil
		case <-t.C:
		}
		pause = min(pause*2, 200*time.Millisecond)
	}
}

func (s *Store) read(ctx context.Context, rkey string) (*record, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	b, err := s.rdb.Get(ctx, rkey).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// finish stores the answer for replay, or releases the key when the answer
// must not be replayed (5xx, 429, too large). Failures are logged: the
// answer has gone out either way.
func (s *Store) finish(ctx context.Context, c *fiber.Ctx, rkey, fp string) {
	res := c.Response()
	status := res.StatusCode()
	body := res.Body()
	// The context may be ending with the request; the bookkeeping gets a
	// short budget of its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.OpTimeout)
	defer cancel()
	if status >= 500 || status == fiber.StatusTooManyRequests || len(body) > maxStored || res.IsBodyStream() {
		if err := s.rdb.Del(ctx, rkey).Err(); err != nil {
			s.log.WarnContext(ctx, "idempotency: could not release a key", "error", err)
		}
		return
	}
	rec := record{State: stateDone, Fingerprint: fp, Status: status, ContentType: string(res.Header.ContentType()),
		Location: string(res.Header.Peek(fiber.HeaderLocation)), Body: append([]byte(nil), body...)}
	b, err := json.Marshal(rec)
	if err == nil {
		err = s.rdb.Set(ctx, rkey, b, s.cfg.TTL).Err()
	}
	if err != nil {
		s.log.WarnContext(ctx, "idempotency: could not store an answer; a retry will run again", "error", err)
	}
}

// replay answers with a stored answer.
func replay(c *fiber.Ctx, rec *record) error {
	c.Status(rec.Status)
	if rec.ContentType != "" {
		c.Set(fiber.HeaderContentType, rec.ContentType)
	}
	if rec.Location != "" {
		c.Set(fiber.HeaderLocation, rec.Location)
	}
	c.Set(ReplayedHeader, "true")
	return c.Send(rec.Body)
}

func (s *Store) redisKey(scope, key string) string {
	h := sha256.Sum256([]byte(key))
	return s.prefix + "idem:{" + scope + "}:" + hex.EncodeToString(h[:])
}

// fingerprint identifies the request a key was first used with.
func fingerprint(c *fiber.Ctx) string {
	h := sha256.New()
	h.Write([]byte(c.Method()))
	h.Write([]byte{0})
	h.Write(c.Request().URI().RequestURI())
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(len(c.Body()))))
	h.Write([]byte{0})
	h.Write(c.Body())
	return hex.EncodeToString(h.Sum(nil))
}

// validKey reports whether key is 1 to 255 visible ASCII characters.
func validKey(key string) bool {
	if key == "" || len(key) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}
