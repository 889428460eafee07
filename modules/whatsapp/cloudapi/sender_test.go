package cloudapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"concierge/internal/errs"
	"concierge/internal/testenv"
	"concierge/modules/whatsapp/cloudapi"
)

// testRedis is testenv.Redis plus the cleanup of redis_rate's own keys,
// which it stores under "rate:" + key, outside the test's prefix.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	rdb, prefix := testenv.Redis(t)
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, "rate:"+prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return rdb, prefix
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSenderRateLimit(t *testing.T) {
	t.Parallel()
	rdb, prefix := testRedis(t)
	api := newFakeAPI(t, nil)
	s := cloudapi.NewSender(cloudapi.NewClient(api.URL, "v21.0", api.Client()), rdb, prefix,
		cloudapi.SenderConfig{RatePerSecond: 1, Burst: 2, RedisTimeout: 5 * time.Second})
	ctx := context.Background()

	for i := range 2 {
		if _, err := s.Send(ctx, creds, customer, cloudapi.TextMessage("hi")); err != nil {
			t.Fatalf("send %d within the burst: %v", i, err)
		}
	}
	_, err := s.Send(ctx, creds, customer, cloudapi.TextMessage("hi"))
	var rl *cloudapi.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("send after the burst = %v, want *RateLimitedError", err)
	}
	if ra := cloudapi.RetryAfter(err); ra <= 0 || ra > time.Second || rl.PhoneNumberID != bizNumberID {
		t.Errorf("RateLimitedError = %+v (RetryAfter %s)", rl, ra)
	}
	if !errors.Is(err, errs.ErrRateLimited) || cloudapi.IsPermanent(err) {
		t.Errorf("error %v: want rate_limited and retryable", err)
	}
	if api.hits() != 2 {
		t.Errorf("the limited send reached the API: %d calls", api.hits())
	}
	if n, _ := rdb.Exists(ctx, "rate:"+s.RateKey(bizNumberID)).Result(); n != 1 || s.RateKey(bizNumberID) != prefix+"wa:rate:{"+bizNumberID+"}" {
		t.Errorf("rate key %q not in Redis", s.RateKey(bizNumberID))
	}
	// Another number has its own bucket.
	other := cloudapi.Creds{PhoneNumberID: "118273645501928", AccessToken: token}
	if _, err := s.Send(ctx, other, customer, cloudapi.TextMessage("hi")); err != nil {
		t.Errorf("another number: %v", err)
	}
	// An invalid message costs no rate.
	if _, err := s.Send(ctx, other, customer, cloudapi.TextMessage("")); !cloudapi.IsPermanent(err) {
		t.Errorf("invalid message: %v", err)
	}
	if _, err := s.Send(ctx, other, customer, cloudapi.TextMessage("hi")); err != nil {
		t.Errorf("another number, second send: %v", err)
	}
}

func TestSenderRateLimitFailsOpen(t *testing.T) {
	t.Parallel()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = dead.Close() })
	api := newFakeAPI(t, nil)
	var logs syncBuffer
	s := cloudapi.NewSender(cloudapi.NewClient(api.URL, "v21.0", api.Client()), dead, "x:",
		cloudapi.SenderConfig{RatePerSecond: 1, Burst: 1, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	for i := range 3 {
		if wamid, err := s.Send(context.Background(), creds, customer, cloudapi.TextMessage("hi")); err != nil || wamid == "" {
			t.Fatalf("send %d with Redis down = %q, %v; want it sent", i, wamid, err)
		}
	}
	if !strings.Contains(logs.String(), "rate limit unavailable") || strings.Contains(logs.String(), token) {
		t.Errorf("logs = %s", logs.String())
	}
}

// waitState polls the breaker until it reaches want or the deadline passes.
func waitState(t *testing.T, s *cloudapi.Sender, id, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.BreakerState(id) != want {
		if time.Now().After(deadline) {
			t.Fatalf("breaker state %q, want %q", s.BreakerState(id), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSenderBreaker(t *testing.T) {
	t.Parallel()
	rdb, prefix := testRedis(t)
	api := newFakeAPI(t, metaError(500, cloudapi.CodeGeneric, ""))
	var logs syncBuffer
	const cooldown = 50 * time.Millisecond
	s := cloudapi.NewSender(cloudapi.NewClient(api.URL, "v21.0", api.Client()), rdb, prefix, cloudapi.SenderConfig{
		RatePerSecond: 1000, BreakerFailures: 3, BreakerCooldown: cooldown, RedisTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	ctx := context.Background()
	send := func() error {
		_, err := s.Send(ctx, creds, customer, cloudapi.TextMessage("hi"))
		return err
	}

	if got := s.BreakerState(bizNumberID); got != "closed" {
		t.Fatalf("new number's breaker = %q", got)
	}
	for i := range 3 {
		if err := send(); cloudapi.IsPermanent(err) || errors.Is(err, cloudapi.ErrBreakerOpen) || err == nil {
			t.Fatalf("failure %d = %v, want a retryable API error", i, err)
		}
	}
	if got := s.BreakerState(bizNumberID); got != "open" {
		t.Fatalf("after 3 retryable failures the breaker is %q, want open", got)
	}

	// Open: rejected without calling the server.
	err := send()
	if !errors.Is(err, cloudapi.ErrBreakerOpen) || cloudapi.IsPermanent(err) {
		t.Fatalf("send while open = %v, want ErrBreakerOpen", err)
	}
	if ra := cloudapi.RetryAfter(err); ra <= 0 || ra > cooldown {
		t.Errorf("RetryAfter while open = %s, want (0, %s]", ra, cooldown)
	}
	if api.hits() != 3 {
		t.Errorf("the open breaker let a call through: %d calls", api.hits())
	}
	// Other numbers are not affected.
	if got := s.BreakerState("118273645501928"); got != "closed" {
		t.Errorf("other number's breaker = %q", got)
	}

	// After the cooldown one probe goes through; success closes the breaker.
	api.setRespond(okSend("wamid.BACK"))
	waitState(t, s, bizNumberID, "half-open")
	if wamid, err := s.Send(ctx, creds, customer, cloudapi.TextMessage("hi")); err != nil || wamid != "wamid.BACK" {
		t.Fatalf("probe = %q, %v", wamid, err)
	}
	if got := s.BreakerState(bizNumberID); got != "closed" {
		t.Errorf("after a successful probe the breaker is %q, want closed", got)
	}
	if api.hits() != 4 {
		t.Errorf("calls = %d, want 4", api.hits())
	}

	// A failed probe opens it again.
	api.setRespond(metaError(503, 0, ""))
	for range 3 {
		_ = send()
	}
	waitState(t, s, bizNumberID, "half-open")
	if err := send(); err == nil || errors.Is(err, cloudapi.ErrBreakerOpen) {
		t.Fatalf("failing probe = %v", err)
	}
	if got := s.BreakerState(bizNumberID); got != "open" {
		t.Errorf("after a failed probe the breaker is %q, want open", got)
	}
	if l := logs.String(); !strings.Contains(l, `"to":"open"`) || strings.Contains(l, token) {
		t.Errorf("logs = %s", l)
	}
}

func TestSenderPermanentErrorsKeepBreakerClosed(t *testing.T) {
	t.Parallel()
	rdb, prefix := testRedis(t)
	api := newFakeAPI(t, metaError(400, cloudapi.CodeUndeliverable, ""))
	s := cloudapi.NewSender(cloudapi.NewClient(api.URL, "v21.0", api.Client()), rdb, prefix, cloudapi.SenderConfig{
		RatePerSecond: 1000, BreakerFailures: 2, BreakerCooldown: time.Hour, RedisTimeout: 5 * time.Second,
	})
	ctx := context.Background()
	for i := range 10 {
		_, err := s.Send(ctx, creds, customer, cloudapi.TextMessage("hi"))
		if !cloudapi.IsPermanent(err) {
			t.Fatalf("send %d = %v, want permanent", i, err)
		}
	}
	if got := s.BreakerState(bizNumberID); got != "closed" || api.hits() != 10 {
		t.Fatalf("after 10 permanent errors the breaker is %q (%d calls), want closed", got, api.hits())
	}

	// A permanent error between retryable ones resets the count: Meta answered.
	for _, respond := range []int{500, 400, 500, 400, 500} {
		if respond == 500 {
			api.setRespond(metaError(500, cloudapi.CodeGeneric, ""))
		} else {
			api.setRespond(metaError(400, cloudapi.CodeReengagement, ""))
		}
		_, _ = s.Send(ctx, creds, customer, cloudapi.TextMessage("hi"))
	}
	if got := s.BreakerState(bizNumberID); got != "closed" {
		t.Errorf("alternating errors opened the breaker (%q)", got)
	}

	// A caller's cancellation does not count either.
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	api.setRespond(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	for range 3 {
		cctx, cancel := context.WithCancel(ctx)
		before := api.hits()
		done := make(chan error, 1)
		go func() {
			_, err := s.Send(cctx, creds, customer, cloudapi.TextMessage("hi"))
			done <- err
		}()
		waitHits(t, api, before+1)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled send = %v", err)
		}
	}
	if got := s.BreakerState(bizNumberID); got != "closed" {
		t.Errorf("cancelled sends opened the breaker (%q)", got)
	}
}

// waitHits polls until the fake API has received n requests.
func waitHits(t *testing.T, api *fakeAPI, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for api.hits() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the API received %d requests, want %d", api.hits(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
