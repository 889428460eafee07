package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// ErrNoTenant is the cause of refusing a TenantJob that carries no tenant.
var ErrNoTenant = errors.New("jobs: the job carries no tenant")

// Tenancy is how a TenantJob's tenant reaches its worker and how an
// insertion is checked against the tenant of its context. This package sits
// below tenancy, so the composition root injects it (tenants.JobTenancy),
// the way gateway.ByTenant gets the tenant of a request.
type Tenancy struct {
	// With returns ctx carrying the tenant id (the worker's context).
	With func(ctx context.Context, id uuid.UUID) context.Context
	// Of returns the tenant id of ctx, if it carries one.
	Of func(ctx context.Context) (uuid.UUID, bool)
}

func (t Tenancy) with(ctx context.Context, id uuid.UUID) context.Context {
	if t.With == nil {
		return ctx
	}
	return t.With(ctx, id)
}

func (t Tenancy) of(ctx context.Context) (uuid.UUID, bool) {
	if t.Of == nil {
		return uuid.Nil, false
	}
	return t.Of(ctx)
}

// TenantJob is implemented by the args of every job that touches tenant data:
//
//	type NotifyArgs struct {
//		TenantID       uuid.UUID `json:"tenant_id"`
//		ConversationID uuid.UUID `json:"conversation_id"`
//	}
//
//	func (NotifyArgs) Kind() string          { return "conversation.notify" }
//	func (a NotifyArgs) Tenant() uuid.UUID   { return a.TenantID }
//
// Implement Tenant on the value, not the pointer. River's tables are platform
// tables; the tenant lives in the args, and the worker's context gets it so
// the worker's tenant-scoped transaction runs scoped to it.
type TenantJob interface {
	Tenant() uuid.UUID
}

// tenantOf returns the tenant of args when they are a TenantJob.
func tenantOf(args any) (uuid.UUID, bool) {
	tj, ok := args.(TenantJob)
	if !ok {
		return uuid.Nil, false
	}
	return tj.Tenant(), true
}

// tenantWorker puts a TenantJob's tenant into its worker's context. The
// embedded worker keeps its own Middleware, NextRetry and Timeout.
type tenantWorker[T river.JobArgs] struct {
	river.Worker[T]
	tenancy Tenancy
}

func (w *tenantWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	id, ok := tenantOf(job.Args)
	if !ok {
		id, ok = tenantOf(&job.Args)
	}
	if ok {
		if id == uuid.Nil {
			// Fails closed, and for good: no retry can give it a tenant.
			return river.JobCancel(fmt.Errorf("jobs: %s job %d: %w", job.Kind, job.ID, ErrNoTenant))
		}
		ctx = w.tenancy.with(ctx, id)
	}
	return w.Worker.Work(ctx, job)
}

// insertGuard checks every insertion, on every path (InsertTx, Insert,
// periodic jobs): the queue is one the workers serve, and a TenantJob carries
// a tenant, the one of the context when the context has one (a tenant
// request cannot enqueue work for another tenant).
type insertGuard struct {
	river.MiddlewareDefaults
	queues  map[string]int
	tenancy Tenancy
}

var _ rivertype.JobInsertMiddleware = (*insertGuard)(nil)

func (g *insertGuard) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	ctxTenant, ctxHas := g.tenancy.of(ctx)
	for _, p := range many {
		if _, ok := g.queues[p.Queue]; !ok {
			return nil, fmt.Errorf("jobs: %s job for queue %q, which no worker serves", p.Kind, p.Queue)
		}
		id, ok := tenantOf(p.Args)
		if !ok {
			continue
		}
		if id == uuid.Nil {
			return nil, fmt.Errorf("jobs: %s job: %w", p.Kind, ErrNoTenant)
		}
		if ctxHas && ctxTenant != id {
			return nil, fmt.Errorf("jobs: %s job for tenant %s inserted in tenant %s's context", p.Kind, id, ctxTenant)
		}
	}
	return doInner(ctx)
}
