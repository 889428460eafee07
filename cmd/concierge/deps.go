package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/redis/go-redis/v9"

	"concierge/internal/config"
	"concierge/internal/db"
	"concierge/internal/rediskit"
	"concierge/internal/secrets"
	"concierge/modules/audit"
	"concierge/tenants"
)

// deps are the dependencies every command shares, built top-down.
type deps struct {
	cfg     config.Config
	log     *slog.Logger
	db      *db.DB
	rdb     *redis.Client
	keys    *secrets.Keyring
	audit   *audit.Log
	scope   *tenants.Scope
	cache   *tenants.Cache
	tenants *tenants.Service
}

func openDeps(ctx context.Context, cfg config.Config, log *slog.Logger) (*deps, error) {
	if log == nil {
		log = newLogger(cfg.LogLevel, os.Stderr)
	}
	if cfg.MasterKey == "" {
		return nil, fmt.Errorf("MASTER_KEY is not set: give it base64 of 32 bytes (e.g. `openssl rand -base64 32`); `make run` generates one into .data/master.key")
	}
	keys, err := secrets.New(cfg.MasterKey, cfg.MasterKeysOld...)
	if err != nil {
		return nil, err
	}
	// Step 1: PostgreSQL (pgx pool, bun on top).
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return nil, err
	}
	// Step 2: Redis (cache, rate limits, locks; disposable).
	rdb, err := rediskit.Open(ctx, cfg.RedisURL)
	if err != nil {
		d.Close()
		return nil, err
	}
	// Step 3: tenancy: the scoped transaction, resolution cache, onboarding.
	scope := tenants.NewScope(d.Bun)
	al := audit.New(audit.Config{}, audit.Deps{RequestID: requestIDFrom, Scope: scope})
	cache := tenants.NewCache(rdb, cfg.RedisPrefix, cfg.CacheTTL, log)
	return &deps{
		cfg: cfg, log: log, db: d, rdb: rdb, keys: keys, audit: al, scope: scope, cache: cache,
		tenants: tenants.New(scope, keys, cache, al, cfg.PlatformDomain, log),
	}, nil
}

func (d *deps) Close() {
	_ = d.rdb.Close()
	d.db.Close()
}
