package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"concierge/internal/errs"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// SenderConfig tunes a Sender. Zero values take the defaults.
type SenderConfig struct {
	// RatePerSecond is the per-number send rate (default 20: Cloud API
	// throughput per business number is far higher, but 20/s keeps a
	// runaway broadcast from hurting the number's quality rating).
	RatePerSecond int
	// Burst is how many sends may go at once (default RatePerSecond).
	Burst int
	// BreakerFailures is how many consecutive retryable failures open a
	// number's breaker (default 5).
	BreakerFailures int
	// BreakerCooldown is how long an open breaker rejects sends before it
	// lets one probe through (default 30s).
	BreakerCooldown time.Duration
	// RedisTimeout bounds the rate-limit call; past it (or on any Redis
	// error) the send goes ahead: the limit fails open (default 500ms).
	RedisTimeout time.Duration
	// FailClosed makes a Redis failure hold sends back (RateLimitedError
	// with a short RetryAfter) instead of letting them through: with
	// several workers, only the shared limit keeps a number within Meta's
	// throughput, so the product waits for Redis rather than risk the
	// number's quality rating. Replies are queued jobs and lose nothing.
	FailClosed bool
	// Logger reports Redis failures and breaker state changes (default:
	// discard). Access tokens are never logged.
	Logger *slog.Logger
}

func (c SenderConfig) withDefaults() SenderConfig {
	if c.RatePerSecond <= 0 {
		c.RatePerSecond = 20
	}
	if c.Burst <= 0 {
		c.Burst = c.RatePerSecond
	}
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerCooldown <= 0 {
		c.BreakerCooldown = 30 * time.Second
	}
	if c.RedisTimeout <= 0 {
		c.RedisTimeout = 500 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// ErrBreakerOpen is returned (wrapped, with the remaining cooldown for
// RetryAfter) while a number's circuit breaker is open: recent sends through
// it kept failing, so sends are held back without calling Meta.
var ErrBreakerOpen = errors.New("whatsapp: circuit breaker open")

// RateLimitedError is returned when a number's send rate is used up.
// errors.Is(err, errs.ErrRateLimited) holds for it.
type RateLimitedError struct {
	PhoneNumberID string
	RetryAfter    time.Duration
}

// Error says which number is limited and for how long.
func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("whatsapp: number %s is over its send rate, retry after %s", e.PhoneNumberID, e.RetryAfter)
}

// Unwrap makes the error a rate_limited one in the shared vocabulary.
func (e *RateLimitedError) Unwrap() error { return errs.ErrRateLimited }

type breakerOpenError struct {
	phoneNumberID string
	remaining     time.Duration
}

func (e *breakerOpenError) Error() string {
	return fmt.Sprintf("%v for number %s, retry after %s", ErrBreakerOpen, e.phoneNumberID, e.remaining)
}

func (e *breakerOpenError) Unwrap() error { return ErrBreakerOpen }

// Sender sends through a Client with, per business number, a GCRA rate
// limit in Redis (shared by every worker process) and a circuit breaker (per
// process). It is safe for concurrent use.
type Sender struct {
	client  *Client
	limiter *redis_rate.Limiter // nil: no rate limit
	prefix  string
	limit   redis_rate.Limit
	cfg     SenderConfig

	mu       sync.Mutex
	breakers map[string]*numberBreaker
}

type numberBreaker struct {
	cb *gobreaker.CircuitBreaker[string]

	mu     sync.Mutex
	opened time.Time // when it last opened
}

// NewSender wraps client. The rate limit's Redis key is keyPrefix +
// "wa:rate:{" + phone_number_id + "}" (redis_rate itself prepends "rate:");
// the braces are a Redis Cluster hash tag. A nil rdb disables rate limiting.
func NewSender(client *Client, rdb redis.UniversalClient, keyPrefix string, cfg SenderConfig) *Sender {
	cfg = cfg.withDefaults()
	s := &Sender{
		client:   client,
		prefix:   keyPrefix,
		limit:    redis_rate.Limit{Rate: cfg.RatePerSecond, Burst: cfg.Burst, Period: time.Second},
		cfg:      cfg,
		breakers: map[string]*numberBreaker{},
	}
	if rdb != nil {
		s.limiter = redis_rate.NewLimiter(rdb)
	}
	return s
}

// RateKey is the rate-limit key of a number (before redis_rate's "rate:").
func (s *Sender) RateKey(phoneNumberID string) string {
	return s.prefix + "wa:rate:{" + phoneNumberID + "}"
}

// Send sends o to to through creds' number: first the number's rate limit
// (*RateLimitedError when used up; a Redis failure lets the send through),
// then its circuit breaker (ErrBreakerOpen, wrapped, while open), then the
// Client. Only retryable failures count against the breaker: a permanent
// error (invalid recipient, expired window, bad template) means Meta is
// answering and leaves it closed.
func (s *Sender) Send(ctx context.Context, creds Creds, to string, o Outgoing) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err // an invalid message costs no rate and no breaker failure
	}
	if err := s.allow(ctx, creds.PhoneNumberID); err != nil {
		return "", err
	}
	b := s.breaker(creds.PhoneNumberID)
	wamid, err := b.cb.Execute(func() (string, error) {
		return s.client.Send(ctx, creds, to, o)
	})
	switch {
	case errors.Is(err, gobreaker.ErrOpenState):
		return "", &breakerOpenError{phoneNumberID: creds.PhoneNumberID, remaining: b.remaining(s.cfg.BreakerCooldown)}
	case errors.Is(err, gobreaker.ErrTooManyRequests):
		// Half-open and its probe is still out: wait a little.
		return "", &breakerOpenError{phoneNumberID: creds.PhoneNumberID, remaining: min(time.Second, s.cfg.BreakerCooldown)}
	}
	return wamid, err
}

// MarkRead sends a read receipt for wamid through the same limit and
// breaker as messages.
func (s *Sender) MarkRead(ctx context.Context, creds Creds, wamid string) error {
	_, err := s.Send(ctx, creds, "", MarkReadMessage(wamid))
	return err
}

func (s *Sender) allow(ctx context.Context, phoneNumberID string) error {
	if s.limiter == nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.RedisTimeout)
	defer cancel()
	res, err := s.limiter.Allow(rctx, s.RateKey(phoneNumberID), s.limit)
	if err != nil {
		if ctx.Err() != nil {
			return &APIError{Message: "rate limit: " + ctx.Err().Error(), Err: ctx.Err()}
		}
		if s.cfg.FailClosed {
			s.cfg.Logger.Warn("whatsapp: rate limit unavailable, holding sends until Redis answers",
				slog.String("phone_number_id", phoneNumberID), slog.Any("error", err))
			return &RateLimitedError{PhoneNumberID: phoneNumberID, RetryAfter: 2 * time.Second}
		}
		s.cfg.Logger.Warn("whatsapp: rate limit unavailable, sending anyway",
			slog.String("phone_number_id", phoneNumberID), slog.Any("error", err))
		return nil
	}
	if res.Allowed == 0 {
		return &RateLimitedError{PhoneNumberID: phoneNumberID, RetryAfter: max(res.RetryAfter, time.Millisecond)}
	}
	return nil
}

func (s *Sender) breaker(phoneNumberID string) *numberBreaker {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.breakers[phoneNumberID]; ok {
		return b
	}
	b := &numberBreaker{}
	failures := uint32(s.cfg.BreakerFailures)
	log := s.cfg.Logger
	b.cb = gobreaker.NewCircuitBreaker[string](gobreaker.Settings{
		Name:        "whatsapp:" + phoneNumberID,
		MaxRequests: 1,
		Timeout:     s.cfg.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		// A permanent error is Meta answering: the number works.
		IsSuccessful: func(err error) bool { return err == nil || IsPermanent(err) },
		// The caller giving up says nothing about Meta.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				b.mu.Lock()
				b.opened = time.Now()
				b.mu.Unlock()
			}
			log.Warn("whatsapp: circuit breaker", slog.String("phone_number_id", phoneNumberID),
				slog.String("from", from.String()), slog.String("to", to.String()))
		},
	})
	s.breakers[phoneNumberID] = b
	return b
}

func (b *numberBreaker) remaining(cooldown time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(cooldown-time.Since(b.opened), time.Millisecond)
}

// BreakerState is the state of a number's circuit breaker: "closed",
// "half-open" or "open" ("closed" for a number that has not sent yet).
func (s *Sender) BreakerState(phoneNumberID string) string {
	s.mu.Lock()
	b, ok := s.breakers[phoneNumberID]
	s.mu.Unlock()
	if !ok {
		return gobreaker.StateClosed.String()
	}
	return b.cb.State().String()
}
