package identity

import (
	"context"

	"github.com/google/uuid"
)

// Actor is who did something, in the one form the audit log and every
// record of "who" use: kind and id, written "kind:id".
//
//	user:owner@shop.sa       a signed-in staff member or platform admin
//	customer:<uuid>          a WhatsApp or web customer
//	cli:<os user>            an operator at the shell
//	system:<what>            the product itself (a job, the seed)
type Actor struct {
	Kind string
	ID   string
}

// The kinds of actor.
const (
	ActorUser     = "user"
	ActorCustomer = "customer"
	ActorCLI      = "cli"
	ActorSystem   = "system"
)

// UserActor is a signed-in person, by email.
func UserActor(email string) Actor { return Actor{Kind: ActorUser, ID: email} }

// CustomerActor is a customer, by id.
func CustomerActor(id uuid.UUID) Actor { return Actor{Kind: ActorCustomer, ID: id.String()} }

// CLIActor is an operator at the shell, by OS user name.
func CLIActor(osUser string) Actor { return Actor{Kind: ActorCLI, ID: osUser} }

// SystemActor is the product acting on its own (what names the job or step).
func SystemActor(what string) Actor { return Actor{Kind: ActorSystem, ID: what} }

// String is the actor as recorded: "kind:id".
func (a Actor) String() string {
	if a.Kind == "" {
		return ActorSystem + ":unknown"
	}
	return a.Kind + ":" + a.ID
}

type actorKey struct{}

// WithActor returns a context whose work is done by a (for work that has no
// signed-in principal: the shell, jobs, the seed).
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom names who acts in ctx: the signed-in principal, else what
// WithActor set, else system:unknown.
func ActorFrom(ctx context.Context) Actor {
	if p, ok := PrincipalFromContext(ctx); ok {
		return p.Actor()
	}
	if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.Kind != "" {
		return a
	}
	return SystemActor("unknown")
}

// UserIDFrom returns the signed-in user's id, if any.
func UserIDFrom(ctx context.Context) (uuid.UUID, bool) {
	if p, ok := PrincipalFromContext(ctx); ok {
		return p.UserID, true
	}
	return uuid.Nil, false
}

// MarshalText writes the actor as String does (JSON, logs).
func (a Actor) MarshalText() ([]byte, error) { return []byte(a.String()), nil }
