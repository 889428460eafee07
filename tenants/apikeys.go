package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

// APIKeyHeader carries a tenant API key: clients that do not come through a
// tenant host (apps, integrations) name their tenant with it.
const APIKeyHeader = "X-API-Key"

// APIKey is a tenant's API key. The key itself is shown once, at creation;
// only its SHA-256 is stored.
type APIKey struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	Name      string
	Prefix    string // the first characters, to recognise a key in a list
	CreatedAt time.Time
	RevokedAt *time.Time
}

type apiKeyRow struct {
	bun.BaseModel `bun:"table:tenant_api_keys"`
	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	Name          string     `bun:"name"`
	Prefix        string     `bun:"prefix"`
	KeyHash       []byte     `bun:"key_hash"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	RevokedAt     *time.Time `bun:"revoked_at"`
}

func (r apiKeyRow) toAPIKey() APIKey {
	return APIKey{ID: r.ID, TenantID: r.TenantID, Name: r.Name, Prefix: r.Prefix, CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
}

func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// CreateAPIKey makes a key for a tenant and returns it with its plaintext
// ("ck_" + 43 random URL-safe characters), which is never stored.
func (s *Service) CreateAPIKey(ctx context.Context, actor, idOrSlug, name string) (*APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, "", errs.Invalid(errs.Field("name", "required", "tenants.api_key_name"))
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, "", err
	}
	plain := "ck_" + base64.RawURLEncoding.EncodeToString(raw[:])
	var out APIKey
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		r := apiKeyRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), Name: name, Prefix: plain[:10], KeyHash: hashKey(plain)}
		if _, err := tx.NewInsert().Model(&r).Returning("created_at").Exec(ctx); err != nil {
			return translate(err, "API key")
		}
		out = r.toAPIKey()
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "api_key.create",
			Target: "api_key:" + r.ID.String(), After: map[string]string{"name": name, "prefix": r.Prefix}})
	})
	if err != nil {
		return nil, "", err
	}
	return &out, plain, nil
}

// APIKeys lists a tenant's keys (never the keys themselves).
func (s *Service) APIKeys(ctx context.Context, idOrSlug string) ([]APIKey, error) {
	var out []APIKey
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		var rs []apiKeyRow
		if err := tx.NewSelect().Model(&rs).Where("tenant_id = ?", t.ID).Order("created_at").Scan(ctx); err != nil {
			return err
		}
		for _, r := range rs {
			out = append(out, r.toAPIKey())
		}
		return nil
	})
	return out, err
}

// RevokeAPIKey stops a key from working, in every process.
func (s *Service) RevokeAPIKey(ctx context.Context, actor, idOrSlug string, keyID uuid.UUID) error {
	var tenantID uuid.UUID
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		tenantID = t.ID
		res, err := tx.NewUpdate().Table("tenant_api_keys").Set("revoked_at = now()").
			Where("tenant_id = ? AND id = ? AND revoked_at IS NULL", t.ID, keyID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.CodeNotFound, "tenants.no_such_api_key")
		}
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "api_key.revoke", Target: "api_key:" + keyID.String()})
	})
	if err != nil {
		return err
	}
	s.invalidate(ctx, tenantID)
	return nil
}

// errBadKey is the one answer for an unknown, revoked or malformed key.
var errBadKey = errs.New(errs.CodeUnauthorized, "tenants.bad_api_key")

// ResolveAPIKey finds the tenant of an API key (cached like hosts, dropped
// on revocation). Errors: unauthorized, forbidden (suspended tenant).
func (s *Service) ResolveAPIKey(ctx context.Context, key string) (*Tenant, error) {
	if !strings.HasPrefix(key, "ck_") || len(key) > 100 {
		return nil, errBadKey
	}
	h := hashKey(key)
	ck := "apikey:" + base64.RawURLEncoding.EncodeToString(h)
	if v, ok := s.cache.get(ctx, ck); ok {
		if v.Miss || v.Tenant == nil {
			return nil, errBadKey
		}
		return active(v)
	}
	gen := s.cache.genNow()
	var t *Tenant
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var r apiKeyRow
		err := tx.NewSelect().Model(&r).Where("key_hash = ? AND revoked_at IS NULL", h).Scan(ctx)
		if err != nil {
			return translate(err, "API key")
		}
		t, err = getTenant(ctx, tx, r.TenantID.String())
		return err
	})
	if errors.Is(err, errs.ErrNotFound) {
		s.cache.put(ctx, ck, cached{Miss: true}, gen)
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	s.cache.put(ctx, ck, cached{Tenant: t}, gen)
	return active(cached{Tenant: t})
}

type apiKeyJSON struct {
	ID        uuid.UUID  `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Key       string     `json:"key,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func toAPIKeyJSON(k APIKey, plain string) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Key: plain, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

func (h *HTTP) createAPIKey(c *fiber.Ctx) error {
	var req struct {
		Name string `json:"name" validate:"required,max=100"`
	}
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	k, plain, err := h.svc.CreateAPIKey(c.UserContext(), h.actor(c.UserContext()), c.Params("id"), req.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAPIKeyJSON(*k, plain))
}

func (h *HTTP) listAPIKeys(c *fiber.Ctx) error {
	ks, err := h.svc.APIKeys(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	out := make([]apiKeyJSON, len(ks))
	for i, k := range ks {
		out[i] = toAPIKeyJSON(k, "")
	}
	return c.JSON(fiber.Map{"items": out})
}

func (h *HTTP) revokeAPIKey(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("key"))
	if err != nil {
		return errs.New(errs.CodeNotFound, "tenants.no_such_api_key")
	}
	if err := h.svc.RevokeAPIKey(c.UserContext(), h.actor(c.UserContext()), c.Params("id"), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
