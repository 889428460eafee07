package idempotency_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/idempotency"
	"concierge/internal/testenv"
)

// server is a Fiber app with the product's error handler and one guarded
// route, POST /things/:id, whose handler counts its runs, answers 201 with a
// new serial number, and, when told, waits or fails.
type server struct {
	app   *fiber.App
	store *idempotency.Store
	runs  atomic.Int64
	hold  chan struct{} // when set, the handler waits on it
	enter chan struct{} // signalled when the handler starts
	fail  atomic.Int32  // status to fail with (500, 429, 409), 0 for none
}

func newServer(t *testing.T, rdb redis.UniversalClient, prefix string, cfg idempotency.Config) *server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &server{app: fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(log, i18n.MustLoad())})}
	store := idempotency.New(rdb, prefix, cfg, log)
	s.store = store
	guard := store.Middleware(func(c *fiber.Ctx) (string, bool) {
		tenant := c.Get("X-Tenant")
		return tenant, tenant != ""
	})
	s.app.Post("/things/:id", guard, func(c *fiber.Ctx) error {
		n := s.runs.Add(1)
		if s.enter != nil {
			s.enter <- struct{}{}
		}
		if s.hold != nil {
			<-s.hold
		}
		switch s.fail.Load() {
		case 500:
			return fmt.Errorf("boom")
		case 429:
			return errs.New(errs.CodeRateLimited, "error.rate_limited")
		case 409:
			return errs.New(errs.CodeConflict, "error.exists")
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": c.Params("id"), "serial": n, "body": string(c.Body())})
	})
	return s
}

type answer struct {
	status   int
	body     string
	replayed bool
	ctype    string
}

func (s *server) post(t *testing.T, path, tenant, key, body string) answer {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tenant != "" {
		req.Header.Set("X-Tenant", tenant)
	}
	if key != "" {
		req.Header.Set(idempotency.Header, key)
	}
	res, err := s.app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, body: string(b), replayed: res.Header.Get(idempotency.ReplayedHeader) == "true",
		ctype: res.Header.Get("Content-Type")}
}

const keyA = "0b3f2a8e-5c1d-4e7f-9a6b-1c2d3e4f5a6b"

func TestReplayAndReuse(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	s := newServer(t, rdb, prefix, idempotency.Config{})

	first := s.post(t, "/things/1", "t1", keyA, `{"n":1}`)
	if first.status != 201 || first.replayed {
		t.Fatalf("first: %+v", first)
	}
	// The same key and request: the stored answer, byte for byte, and the
	// handler did not run again.
	again := s.post(t, "/things/1", "t1", keyA, `{"n":1}`)
	if again.status != 201 || again.body != first.body || !again.replayed || again.ctype != first.ctype || s.runs.Load() != 1 {
		t.Fatalf("replay: %+v (first %+v), runs %d", again, first, s.runs.Load())
	}
	// The same key with another body, or on another resource: 422, nothing runs.
	for _, tc := range []struct{ path, body string }{{"/things/1", `{"n":2}`}, {"/things/2", `{"n":1}`}, {"/things/1?x=1", `{"n":1}`}} {
		r := s.post(t, tc.path, "t1", keyA, tc.body)
		if r.status != 422 || !strings.Contains(r.body, `"code":"invalid"`) || s.runs.Load() != 1 {
			t.Fatalf("%s %s with a used key: %+v, runs %d", tc.path, tc.body, r, s.runs.Load())
		}
	}
	// Keys are per scope (tenant): another tenant's identical key is its own.
	if r := s.post(t, "/things/1", "t2", keyA, `{"n":1}`); r.status != 201 || r.replayed || s.runs.Load() != 2 {
		t.Fatalf("another scope: %+v", r)
	}
	// No key: every request runs.
	s.post(t, "/things/1", "t1", "", `{"n":1}`)
	s.post(t, "/things/1", "t1", "", `{"n":1}`)
	if s.runs.Load() != 4 {
		t.Fatalf("without a key: %d runs, want 4", s.runs.Load())
	}
	// The key is stored under the prefix with the scope as a hash tag, for
	// 24 hours.
	keys, err := rdb.Keys(context.Background(), prefix+"idem:{t1}:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("stored keys: %v %v", keys, err)
	}
	if ttl := rdb.TTL(context.Background(), keys[0]).Val(); ttl < 23*time.Hour || ttl > 24*time.Hour {
		t.Fatalf("ttl %s, want 24h", ttl)
	}
}

func TestKeyShape(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	s := newServer(t, rdb, prefix, idempotency.Config{})
	for _, key := range []string{strings.Repeat("k", 256), "has a space in the key ok", "ключ-идемпотентности", "tab\tinside"} {
		r := s.post(t, "/things/1", "t1", key, `{}`)
		if r.status != 422 || !strings.Contains(r.body, `"field":"Idempotency-Key"`) {
			t.Fatalf("key %q: %+v", key, r)
		}
	}
	if s.runs.Load() != 0 {
		t.Fatal("a refused key ran the handler")
	}
	// Short keys are keys: the caller's scope keeps them apart.
	if r := s.post(t, "/things/1", "t1", "1", `{}`); r.status != 201 {
		t.Fatalf("a one-character key: %+v", r)
	}
	if r := s.post(t, "/things/1", "t1", "1", `{}`); r.status != 201 || !r.replayed || s.runs.Load() != 1 {
		t.Fatalf("a one-character key again: %+v", r)
	}
}

// TestErrorsAreReplayedButFailuresAreNot: a 4xx answer is the answer to that
// key; a 5xx or 429 releases the key so the retry runs.
func TestErrorsAreReplayedButFailuresAreNot(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	s := newServer(t, rdb, prefix, idempotency.Config{})
	s.fail.Store(409)
	first := s.post(t, "/things/1", "t1", keyA, `{}`)
	s.fail.Store(0)
	again := s.post(t, "/things/1", "t1", keyA, `{}`)
	if first.status != 409 || again.status != 409 || again.body != first.body || !again.replayed || s.runs.Load() != 1 ||
		!strings.HasPrefix(again.ctype, "application/problem+json") {
		t.Fatalf("409 replay: %+v then %+v, runs %d", first, again, s.runs.Load())
	}
	for i, status := range []int32{500, 429} {
		key := fmt.Sprintf("retry-after-%d-failure-%d", status, i)
		s.fail.Store(status)
		if r := s.post(t, "/things/2", "t1", key, `{}`); r.status != int(status) {
			t.Fatalf("failure %d: %+v", status, r)
		}
		s.fail.Store(0)
		before := s.runs.Load()
		if r := s.post(t, "/things/2", "t1", key, `{}`); r.status != 201 || r.replayed || s.runs.Load() != before+1 {
			t.Fatalf("retry after %d: %+v", status, r)
		}
	}
}

// TestConcurrentFirstUse: requests with one key racing the first run it
// once; those that arrive while it runs wait for its answer, or get 409 when
// it outlasts the wait.
func TestConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	s := newServer(t, rdb, prefix, idempotency.Config{Wait: 10 * time.Second})
	s.hold, s.enter = make(chan struct{}), make(chan struct{}, 1)
	waiting := make(chan struct{}, 64)
	idempotency.OnWait(s.store, func() { waiting <- struct{}{} })

	first := make(chan answer, 1)
	go func() { first <- s.post(t, "/things/1", "t1", keyA, `{"n":1}`) }()
	<-s.enter // the first request is inside the handler
	const n = 8
	var wg sync.WaitGroup
	answers := make(chan answer, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers <- s.post(t, "/things/1", "t1", keyA, `{"n":1}`)
		}()
	}
	// Every other request is waiting for the first (its key is pending);
	// then the first finishes.
	for range n {
		<-waiting
	}
	pendingKey(t, rdb, prefix)
	close(s.hold)
	wg.Wait()
	close(answers)
	f := <-first
	for a := range answers {
		if a.status != 201 || a.body != f.body || !a.replayed {
			t.Fatalf("concurrent request: %+v, first %+v", a, f)
		}
	}
	if s.runs.Load() != 1 {
		t.Fatalf("the handler ran %d times", s.runs.Load())
	}

	// A first request that outlasts the wait: the second gets 409 with
	// Retry-After, and still nothing runs twice.
	short := newServer(t, rdb, prefix+"short:", idempotency.Config{Wait: 50 * time.Millisecond})
	short.hold, short.enter = make(chan struct{}), make(chan struct{}, 1)
	done := make(chan answer, 1)
	go func() { done <- short.post(t, "/things/1", "t1", keyA, `{}`) }()
	<-short.enter
	r := short.post(t, "/things/1", "t1", keyA, `{}`)
	close(short.hold)
	if r.status != 409 || !strings.Contains(r.body, `"code":"conflict"`) {
		t.Fatalf("in flight: %+v", r)
	}
	if d := <-done; d.status != 201 || short.runs.Load() != 1 {
		t.Fatalf("first of the short wait: %+v, runs %d", d, short.runs.Load())
	}
}

// pendingKey checks the key is pending in Redis while its first request
// runs.
func pendingKey(t *testing.T, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	keys, err := rdb.Keys(context.Background(), prefix+"idem:{t1}:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("pending key: %v %v", keys, err)
	}
	if v := rdb.Get(context.Background(), keys[0]).Val(); !strings.Contains(v, `"pending"`) {
		t.Fatalf("the key is not pending: %s", v)
	}
}

// TestRedisDownFailsOpen: without Redis the operation still runs (once per
// request, as without a key) and answers; with Redis back, keys work again.
func TestRedisDownFailsOpen(t *testing.T) {
	t.Parallel()
	pr := testenv.StartRedis(t)
	opt, _ := redis.ParseURL(pr.URL())
	opt.MaxRetries = -1
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	s := newServer(t, rdb, "x:", idempotency.Config{OpTimeout: 100 * time.Millisecond})
	pr.Stop()
	for i := range 2 {
		if r := s.post(t, "/things/1", "t1", keyA, `{}`); r.status != 201 || r.replayed {
			t.Fatalf("request %d with Redis down: %+v", i, r)
		}
	}
	if s.runs.Load() != 2 {
		t.Fatalf("runs %d, want 2 (not replayable, still answered)", s.runs.Load())
	}
	pr.Start()
	a := s.post(t, "/things/1", "t1", keyA, `{}`)
	b := s.post(t, "/things/1", "t1", keyA, `{}`)
	if a.status != 201 || !b.replayed || b.body != a.body || s.runs.Load() != 3 {
		t.Fatalf("Redis back: %+v %+v runs %d", a, b, s.runs.Load())
	}
}
