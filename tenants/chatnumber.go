package tenants

import (
	"context"

	"github.com/uptrace/bun"
)

// ChatNumber is the WhatsApp number the tenant of ctx chats on, as
// customers dial it (Number.DisplayPhone, E.164): the first active number
// it was given, "" when it has none. The storefront builds its "Chat to
// order" links on it (StorefrontOf caches it). It reads in the tenant's
// scoped transaction, so a tenant request never takes the platform path.
// Errors: ErrNoTenant.
func (s *Service) ChatNumber(ctx context.Context) (string, error) {
	var phones []string
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Table("whatsapp_numbers").Column("display_phone").
			Where("status = 'active'").OrderExpr("created_at, id").Limit(1).Scan(ctx, &phones)
	})
	if err != nil || len(phones) == 0 {
		return "", err
	}
	return phones[0], nil
}
