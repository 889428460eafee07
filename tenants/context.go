package tenants

import (
	"context"
	"errors"

	"concierge/internal/jobs"

	"github.com/google/uuid"
)

// ErrNoTenant is returned when tenant work is attempted without a tenant in
// the context. Tenancy fails closed: this is an error, never an empty result.
var ErrNoTenant = errors.New("tenants: no tenant in context")

type ctxKey struct{}

// WithTenant returns a context carrying t.
func WithTenant(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// WithTenantID returns a context carrying only a tenant id (workers, jobs).
func WithTenantID(ctx context.Context, id uuid.UUID) context.Context {
	return WithTenant(ctx, &Tenant{ID: id})
}

// FromContext returns the tenant of ctx, or ErrNoTenant.
func FromContext(ctx context.Context) (*Tenant, error) {
	t, ok := ctx.Value(ctxKey{}).(*Tenant)
	if !ok || t == nil || t.ID == uuid.Nil {
		return nil, ErrNoTenant
	}
	return t, nil
}

// JobTenancy is how background jobs carry a tenant (internal/jobs sits below
// this package, so the composition root hands it these functions).
func JobTenancy() jobs.Tenancy {
	return jobs.Tenancy{
		With: WithTenantID,
		Of: func(ctx context.Context) (uuid.UUID, bool) {
			t, err := FromContext(ctx)
			if err != nil {
				return uuid.Nil, false
			}
			return t.ID, true
		},
	}
}
