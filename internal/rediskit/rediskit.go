// Package rediskit opens the Redis client and holds the small Redis-backed
// tools the gateway shares: rate limiting (GCRA) and idempotency keys.
// Redis keeps only what is fast and disposable; losing it loses no message or
// order.
package rediskit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Open connects to url and checks the connection.
func Open(ctx context.Context, url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: parse REDIS_URL: %w", err)
	}
	opt.PoolSize = 64
	opt.MinIdleConns = 4
	// Honour request deadlines on reads too, so a hung Redis cannot hold a
	// request past its budget (rate limits fail open after 100 ms).
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(opt)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pingCtx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis: ping: %w", err)
	}
	return c, nil
}
