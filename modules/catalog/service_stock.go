package catalog

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
)

// StockLine is a quantity of one variant, taken or given back.
type StockLine struct {
	VariantID uuid.UUID
	Quantity  int
}

// ReserveStock takes each line's quantity from its variant's stock inside
// tx, the caller's tenant transaction (checkout's): all or nothing. The
// variants are locked in id order (two checkouts of the same variants never
// deadlock) and each is checked after its lock, so two customers racing for
// the last unit get one unit between them. Variants whose stock is not
// tracked always have enough. When a product runs out, its stock flag
// (search, lists) is refreshed in tx; the caller calls StockChanged after
// commit. It reports whether it did. Errors: conflict
// ("catalog.stock.sold_out", naming the SKUs short) — the caller must roll
// tx back.
func (s *Service) ReserveStock(ctx context.Context, tx bun.IDB, lines []StockLine) (flagsChanged bool, err error) {
	return s.moveStock(ctx, tx, lines, -1)
}

// ReleaseStock gives each line's quantity back to its variant's stock
// inside tx (a payment failed, expired or was cancelled; an order was
// cancelled). Variants no longer in the catalog are skipped. It reports
// whether a product's stock flag changed (call StockChanged after commit).
func (s *Service) ReleaseStock(ctx context.Context, tx bun.IDB, lines []StockLine) (flagsChanged bool, err error) {
	return s.moveStock(ctx, tx, lines, 1)
}

// StockChanged drops the tenant's cached catalog answers after a stock
// change that turned a product's availability (ReserveStock and
// ReleaseStock report it); call it after the transaction commits.
func (s *Service) StockChanged(ctx context.Context) {
	if t, err := tenantOf(ctx); err == nil {
		s.cache.bump(ctx, t.ID)
	}
}

func (s *Service) moveStock(ctx context.Context, tx bun.IDB, lines []StockLine, sign int) (bool, error) {
	qty := map[uuid.UUID]int{}
	for _, l := range lines {
		if l.Quantity > 0 {
			qty[l.VariantID] += l.Quantity
		}
	}
	if len(qty) == 0 {
		return false, nil
	}
	ids := make([]uuid.UUID, 0, len(qty))
	for id := range qty {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	deltas := make([]int, len(ids))
	for i, id := range ids {
		deltas[i] = sign * qty[id]
	}
	moved, err := moveStock(ctx, tx, ids, deltas)
	if err != nil {
		return false, err
	}
	var short []string
	var turned []uuid.UUID
	for _, m := range moved {
		switch {
		case !m.Moved:
			short = append(short, m.SKU)
		case m.Before != nil && (*m.Before > 0) != (*m.Before+m.Delta > 0):
			turned = append(turned, m.ProductID)
		}
	}
	if sign < 0 && (len(short) > 0 || len(moved) < len(ids)) {
		if len(short) == 0 {
			// A variant deleted since the cart priced it.
			return false, errs.New(errs.CodeConflict, "catalog.stock.gone")
		}
		return false, errs.New(errs.CodeConflict, "catalog.stock.sold_out", "skus", strings.Join(short, ", "))
	}
	if len(turned) == 0 {
		return false, nil
	}
	return true, refresh(ctx, tx, dedupe(turned))
}
