package catalog

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"
)

// variantBySKUAny reads the variant with sku, archived or not: the SKU as
// written first ((tenant_id, sku) is unique and indexed, and text = is
// leakproof, so the index serves it under row-level security), else in any
// case, one still on sale first. Errors: not_found.
func variantBySKUAny(ctx context.Context, tx bun.IDB, sku string) (*variantRow, error) {
	var r variantRow
	err := tx.NewSelect().Model(&r).Where("sku = ?", sku).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.NewSelect().Model(&r).Where("lower(sku) = lower(?)", sku).
			OrderExpr("archived, position, id").Limit(1).Scan(ctx)
	}
	if err != nil {
		return nil, translate(err, "catalog.variant.not_found")
	}
	return &r, nil
}
