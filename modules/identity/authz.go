package identity

import (
	"context"
	_ "embed" // model.conf and policy.csv
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"concierge/internal/errs"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
)

// Authorization
//
// The casbin enforcer holds only what is embedded: the model and the
// role → permission policy (policy.csv, plus the static g hierarchy in it).
// It is built once and never changed afterwards, so every request only reads
// it (SyncedEnforcer's read lock makes that explicit).
//
// Which role a user holds in a domain (user → role grant) is not loaded into
// casbin: it comes from our tables per request (memberships.role for a tenant,
// users.is_platform_admin for every domain), cached briefly in Redis, and is
// passed to casbin as the request subject: Enforce(role, domain, obj, act).
// Adding g-lines per user on the fly would mutate a shared enforcer under
// concurrent requests and leave stale grants behind; a per-domain lookup keeps
// a tenant-A grant from ever being consulted for tenant B.

//go:embed model.conf
var modelConf string

//go:embed policy.csv
var policyCSV string

// PlatformDomain is the casbin domain of the platform area.
const PlatformDomain = "*"

// Roles a user can hold.
const (
	RoleOwner         = "owner"
	RoleManager       = "manager"
	RoleAgent         = "agent"
	RoleViewer        = "viewer"
	RolePlatformAdmin = "platform_admin"
)

// ValidRole reports whether r is a tenant membership role.
func ValidRole(r string) bool {
	switch r {
	case RoleOwner, RoleManager, RoleAgent, RoleViewer:
		return true
	}
	return false
}

// authorizer decides (role, domain, object, action) from the embedded policy.
type authorizer struct {
	e *casbin.SyncedEnforcer
	// known lists every "object:action" some policy line grants, so Require
	// can refuse a typo at wiring time instead of denying it at run time.
	known map[string]bool
	// decided remembers decisions: the policy never changes after start,
	// and a decision depends only on the role, the domain's kind (a tenant
	// or the platform), the object and the action (a page asks for every
	// item of its navigation).
	decided sync.Map // "role|kind|obj|act" → bool
}

func newAuthorizer() (*authorizer, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("identity: casbin model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("identity: casbin enforcer: %w", err)
	}
	a := &authorizer{e: e, known: map[string]bool{}}
	for i, line := range strings.Split(policyCSV, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := csv.NewReader(strings.NewReader(line))
		r.TrimLeadingSpace = true
		f, err := r.Read()
		if err != nil {
			return nil, fmt.Errorf("identity: policy.csv line %d: %w", i+1, err)
		}
		switch {
		case f[0] == "p" && len(f) == 5:
			if f[2] != "tenant" && f[2] != PlatformDomain {
				return nil, fmt.Errorf("identity: policy.csv line %d: domain must be tenant or *", i+1)
			}
			if _, err := e.AddNamedPolicy("p", f[1], f[2], f[3], f[4]); err != nil {
				return nil, fmt.Errorf("identity: policy.csv line %d: %w", i+1, err)
			}
			a.known[f[3]+":"+f[4]] = true
		case f[0] == "g" && len(f) == 3:
			if _, err := e.AddNamedGroupingPolicy("g", f[1], f[2]); err != nil {
				return nil, fmt.Errorf("identity: policy.csv line %d: %w", i+1, err)
			}
		default:
			return nil, fmt.Errorf("identity: policy.csv line %d: want `p, role, domain, object, action` or `g, role, role`", i+1)
		}
	}
	return a, nil
}

// allowed reports whether any of roles may do act on obj in domain.
func (a *authorizer) allowed(roles []string, domain, obj, act string) (bool, error) {
	kind := "tenant"
	if domain == PlatformDomain {
		kind = PlatformDomain
	}
	for _, r := range roles {
		key := r + "|" + kind + "|" + obj + "|" + act
		if ok, seen := a.decided.Load(key); seen {
			if ok.(bool) {
				return true, nil
			}
			continue
		}
		ok, err := a.e.Enforce(r, domain, obj, act)
		if err != nil {
			return false, fmt.Errorf("identity: enforce: %w", err)
		}
		a.decided.Store(key, ok)
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// grant is what a user holds in one domain, as cached.
type grant struct {
	Active        bool   `json:"a"`
	PlatformAdmin bool   `json:"pa"`
	Role          string `json:"r,omitempty"`
	LoadedAt      int64  `json:"t"` // unix milliseconds
}

func (g grant) roles() []string {
	var out []string
	if g.PlatformAdmin {
		out = append(out, RolePlatformAdmin)
	}
	if g.Role != "" {
		out = append(out, g.Role)
	}
	return out
}

// Can reports whether the user may do act on obj in domain (a tenant id, or
// PlatformDomain). A disabled or unknown user gets an unauthorized error.
func (s *Service) Can(ctx context.Context, userID uuid.UUID, domain, obj, act string) (bool, error) {
	g, err := s.grants(ctx, userID, domain)
	if err != nil {
		return false, err
	}
	if !g.Active {
		return false, errs.New(errs.CodeUnauthorized, "identity.account_disabled")
	}
	return s.authz.allowed(g.roles(), domain, obj, act)
}

// Access is what a user may do in one domain, read once (a page asks it
// for every item of its navigation).
type Access struct {
	a      *authorizer
	domain string
	roles  []string
}

// AccessIn reads the user's grant in domain (a tenant id, or
// PlatformDomain). A disabled or unknown user gets an unauthorized error.
func (s *Service) AccessIn(ctx context.Context, userID uuid.UUID, domain string) (*Access, error) {
	g, err := s.grants(ctx, userID, domain)
	if err != nil {
		return nil, err
	}
	if !g.Active {
		return nil, errs.New(errs.CodeUnauthorized, "identity.account_disabled")
	}
	return &Access{a: s.authz, domain: domain, roles: g.roles()}, nil
}

// Can reports whether the grant allows act on obj (the policy of Require).
func (a *Access) Can(obj, act string) bool {
	ok, err := a.a.allowed(a.roles, a.domain, obj, act)
	return err == nil && ok
}

// Any reports whether the user holds any role in the domain.
func (a *Access) Any() bool { return len(a.roles) > 0 }

// Known reports whether some policy line grants act on obj.
func (s *Service) Known(obj, act string) bool { return s.authz.known[obj+":"+act] }

func (s *Service) grantKeys(userID uuid.UUID) (hash, gen string) {
	// The {user id} hash tag keeps both keys in one Redis Cluster slot, so the
	// conditional write below is a single-slot script.
	hash = s.prefix + "identity:grants:{" + userID.String() + "}"
	return hash, hash + ":gen"
}

// storeIfCurrent writes a loaded grant only when no invalidation happened
// since the load began (the generation is unchanged), so a slow load can
// never put back a grant that InvalidateGrants has just dropped.
var storeIfCurrent = redis.NewScript(`
if (redis.call('GET', KEYS[2]) or '') == ARGV[1] then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return 0`)

// grants returns the user's grant in domain from Redis (younger than
// GrantsTTL) or the database.
func (s *Service) grants(ctx context.Context, userID uuid.UUID, domain string) (grant, error) {
	var tenantID uuid.UUID
	if domain != PlatformDomain {
		id, err := uuid.Parse(domain)
		if err != nil {
			return grant{}, fmt.Errorf("identity: domain %q is neither a tenant id nor %q", domain, PlatformDomain)
		}
		tenantID = id
	}
	hashKey, genKey := s.grantKeys(userID)
	pipe := s.rdb.Pipeline()
	cachedCmd := pipe.HGet(ctx, hashKey, domain)
	genCmd := pipe.Get(ctx, genKey)
	_, err := pipe.Exec(ctx)
	cacheOK := err == nil || errors.Is(err, redis.Nil)
	if !cacheOK {
		s.log.WarnContext(ctx, "identity: grants cache unreachable; reading the database", "error", err)
	}
	now := time.Now()
	if b, err := cachedCmd.Bytes(); cacheOK && err == nil {
		var g grant
		if json.Unmarshal(b, &g) == nil && now.Sub(time.UnixMilli(g.LoadedAt)) < s.cfg.GrantsTTL {
			return g, nil
		}
	}
	gen := genCmd.Val() // "" when the key does not exist

	var g grant
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		g, err = loadGrant(ctx, tx, userID, tenantID)
		return err
	})
	if err != nil {
		return grant{}, err
	}
	g.LoadedAt = now.UnixMilli()
	if cacheOK {
		b, _ := json.Marshal(g)
		if err := storeIfCurrent.Run(ctx, s.rdb, []string{hashKey, genKey}, gen, domain, b, s.cfg.GrantsTTL.Milliseconds()).Err(); err != nil && !errors.Is(err, redis.Nil) {
			s.log.WarnContext(ctx, "identity: grants cache write failed", "error", err)
		}
	}
	return g, nil
}

// InvalidateGrants drops every cached grant of the user, so the next request
// reads memberships and the platform flag from the database. Call it after
// changing either. When Redis is unreachable the failure is logged and the
// cached grants expire within GrantsTTL.
func (s *Service) InvalidateGrants(ctx context.Context, userID uuid.UUID) {
	hashKey, genKey := s.grantKeys(userID)
	pipe := s.rdb.TxPipeline()
	pipe.Incr(ctx, genKey)
	pipe.Expire(ctx, genKey, 24*time.Hour)
	pipe.Del(ctx, hashKey)
	if _, err := pipe.Exec(ctx); err != nil {
		s.log.ErrorContext(ctx, "identity: grant invalidation failed; cached grants expire within the TTL",
			"user_id", userID, "error", err)
	}
}
