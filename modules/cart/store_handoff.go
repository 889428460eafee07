package cart

import (
	"context"

	"github.com/uptrace/bun"
)

// The hand-off code's queries (handoff.go). Every one runs in the tenant's
// scoped transaction: row-level security keeps a code to its tenant, and the
// unique index carts_handoff_code (tenant_id, handoff_code) serves the
// lookup (text = is leakproof).

// handoffRow reads what HandoffCode needs of cart id and locks its row.
func handoffRow(ctx context.Context, tx bun.IDB, id string) (*cartRow, error) {
	var r cartRow
	err := tx.NewSelect().Model(&r).Column("tenant_id", "id", "status", "expires_at", "handoff_code").
		Where("id = ?", id).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// setHandoffCode gives cart id the code unless another cart of the tenant
// has it; false when one does.
func setHandoffCode(ctx context.Context, tx bun.IDB, id, code string) (bool, error) {
	res, err := tx.NewUpdate().Table("carts").Set("handoff_code = ?", code).Where("id = ?", id).
		Where("NOT EXISTS (SELECT 1 FROM carts AS other WHERE other.handoff_code = ?)", code).Exec(ctx)
	if err != nil {
		return false, notFound(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// cartByHandoff is the id of the cart with code. Errors: not_found.
func cartByHandoff(ctx context.Context, tx bun.IDB, code string) (string, error) {
	var id string
	err := tx.NewSelect().Table("carts").Column("id").Where("handoff_code = ?", code).Limit(1).Scan(ctx, &id)
	return id, notFound(err)
}
