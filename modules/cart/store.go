package cart

import (
	"context"
	"database/sql"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
	"concierge/internal/keyset"
)

// The store: every SQL query of the cart, as functions that take a bun.IDB
// (the caller's scoped transaction; row-level security keeps each to its
// tenant) and work on private row types converted to and from the domain
// types. No rows → not_found with the cart's message.

type cartRow struct {
	bun.BaseModel `bun:"table:carts"`
	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID            string     `bun:"id,pk"`
	Channel       string     `bun:"channel"`
	CustomerID    *uuid.UUID `bun:"customer_id,type:uuid"`
	Status        string     `bun:"status"`
	Currency      string     `bun:"currency"`
	City          string     `bun:"city"`
	ItemCount     int        `bun:"item_count"`
	Subtotal      int64      `bun:"subtotal"`
	ExpiresAt     *time.Time `bun:"expires_at"`
	AbandonedAt   *time.Time `bun:"abandoned_at"`
	ConvertedAt   *time.Time `bun:"converted_at"`
	CreatedAt     time.Time  `bun:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
	HandoffCode   *string    `bun:"handoff_code"` // handoff.go; nil until asked for
}

type itemRow struct {
	bun.BaseModel `bun:"table:cart_items"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	CartID        string    `bun:"cart_id,pk"`
	VariantID     uuid.UUID `bun:"variant_id,pk,type:uuid"`
	ProductID     uuid.UUID `bun:"product_id,type:uuid"`
	SKU           string    `bun:"sku"`
	TitleAR       string    `bun:"title_ar"`
	TitleEN       string    `bun:"title_en"`
	OptionsAR     string    `bun:"options_ar"`
	OptionsEN     string    `bun:"options_en"`
	Quantity      int       `bun:"quantity"`
	UnitPrice     int64     `bun:"unit_price"`
	PreviousPrice *int64    `bun:"previous_price"`
	Position      int       `bun:"position"`
	AddedAt       time.Time `bun:"added_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func toLine(r itemRow) Line {
	return Line{VariantID: r.VariantID, ProductID: r.ProductID, SKU: r.SKU, TitleAR: r.TitleAR, TitleEN: r.TitleEN,
		OptionsAR: r.OptionsAR, OptionsEN: r.OptionsEN, Quantity: r.Quantity, UnitPrice: r.UnitPrice,
		PreviousPrice: r.PreviousPrice, Available: true, AddedAt: r.AddedAt, position: r.Position}
}

func fromLine(tenantID uuid.UUID, cartID string, l Line, now time.Time) itemRow {
	return itemRow{TenantID: tenantID, CartID: cartID, VariantID: l.VariantID, ProductID: l.ProductID, SKU: l.SKU,
		TitleAR: l.TitleAR, TitleEN: l.TitleEN, OptionsAR: l.OptionsAR, OptionsEN: l.OptionsEN, Quantity: l.Quantity,
		UnitPrice: l.UnitPrice, PreviousPrice: l.PreviousPrice, Position: l.position, AddedAt: l.AddedAt, UpdatedAt: now}
}

type eventRow struct {
	bun.BaseModel `bun:"table:cart_events"`
	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	Kind          string     `bun:"kind"`
	CartID        string     `bun:"cart_id"`
	Channel       string     `bun:"channel"`
	CustomerID    *uuid.UUID `bun:"customer_id,type:uuid"`
	ItemCount     int        `bun:"item_count"`
	Value         int64      `bun:"value"`
	Currency      string     `bun:"currency"`
	At            time.Time  `bun:"at"`
}

// settingsRow is a pricing_settings row; the JSON names are the columns'
// (a cart is read with its settings as to_jsonb, see openCart).
type settingsRow struct {
	bun.BaseModel         `bun:"table:pricing_settings"`
	TenantID              uuid.UUID `bun:"tenant_id,pk,type:uuid" json:"tenant_id"`
	VATRateBP             int       `bun:"vat_rate_bp" json:"vat_rate_bp"`
	PricesIncludeVAT      bool      `bun:"prices_include_vat" json:"prices_include_vat"`
	DefaultFee            *int64    `bun:"default_fee" json:"default_fee"`
	FreeShippingThreshold int64     `bun:"free_shipping_threshold" json:"free_shipping_threshold"`
	Zones                 []zoneRow `bun:"zones,type:jsonb,notnull" json:"zones"`
	UpdatedAt             time.Time `bun:"updated_at" json:"updated_at"`
}

// zoneRow is a zone as the pricing_settings.zones column holds it.
type zoneRow struct {
	NameAR  string   `json:"name_ar"`
	NameEN  string   `json:"name_en"`
	Aliases []string `json:"aliases,omitempty"`
	Fee     int64    `json:"fee"`
}

func toSettings(r settingsRow, currency string) Settings {
	s := Settings{Currency: currency, VATRateBP: r.VATRateBP, PricesIncludeVAT: r.PricesIncludeVAT, DefaultFee: r.DefaultFee,
		FreeShippingThreshold: r.FreeShippingThreshold, UpdatedAt: r.UpdatedAt, Zones: make([]Zone, len(r.Zones))}
	for i, z := range r.Zones {
		s.Zones[i] = Zone{NameAR: z.NameAR, NameEN: z.NameEN, Aliases: z.Aliases, Fee: z.Fee}
	}
	return s
}

func fromSettings(tenantID uuid.UUID, s Settings) settingsRow {
	r := settingsRow{TenantID: tenantID, VATRateBP: s.VATRateBP, PricesIncludeVAT: s.PricesIncludeVAT, DefaultFee: s.DefaultFee,
		FreeShippingThreshold: s.FreeShippingThreshold, UpdatedAt: s.UpdatedAt, Zones: make([]zoneRow, len(s.Zones))}
	for i, z := range s.Zones {
		r.Zones[i] = zoneRow{NameAR: z.NameAR, NameEN: z.NameEN, Aliases: z.Aliases, Fee: z.Fee}
	}
	return r
}

// notFound maps no rows to the cart's not_found.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Wrap(errs.CodeNotFound, err, "cart.not_found")
	}
	return db.Translate(err, "cart")
}

// ---- carts ----

func insertCart(ctx context.Context, tx bun.IDB, r *cartRow) error {
	_, err := tx.NewInsert().Model(r).Exec(ctx)
	return db.Translate(err, "cart")
}

// openRow is a cart read with its tenant's pricing settings (nil: none
// set), in one query.
type openRow struct {
	cartRow  `bun:",extend"`
	Settings *settingsRow `bun:"settings,type:jsonb"`
}

// openCart reads the cart that where selects (and with lock, takes its row
// lock for the transaction), with the tenant's pricing settings.
func openCart(ctx context.Context, tx bun.IDB, lock bool, where func(*bun.SelectQuery) *bun.SelectQuery) (*openRow, error) {
	var r openRow
	q := where(tx.NewSelect().Model(&r).ColumnExpr("cart_row.*").
		ColumnExpr("(SELECT to_jsonb(s) FROM pricing_settings AS s) AS settings"))
	if lock {
		q = q.For("UPDATE OF cart_row")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// getCart reads a cart by id.
func getCart(ctx context.Context, tx bun.IDB, id string, lock bool) (*openRow, error) {
	return openCart(ctx, tx, lock, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("cart_row.id = ?", id) })
}

// openCustomerCart reads a customer's open cart.
func openCustomerCart(ctx context.Context, tx bun.IDB, customerID uuid.UUID, lock bool) (*openRow, error) {
	return openCart(ctx, tx, lock, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("cart_row.customer_id = ?", customerID).Where("cart_row.status IN (?, ?)", StatusActive, StatusAbandoned)
	})
}

// insertCustomerCart inserts a customer's cart unless the customer has an
// open one (a concurrent insert waits for the other and does nothing).
func insertCustomerCart(ctx context.Context, tx bun.IDB, r *cartRow) error {
	_, err := tx.NewInsert().Model(r).
		On("CONFLICT (tenant_id, customer_id) WHERE status IN ('active', 'abandoned') DO NOTHING").Exec(ctx)
	if db.IsForeignKeyViolation(err) {
		return errs.Wrap(errs.CodeNotFound, err, "cart.customer_unknown")
	}
	return db.Translate(err, "cart")
}

// saveChanges writes a change in one statement: the cart row's update, with
// the lines deleted (gone) and written (ups: insert, or replace the line of
// the variant) as its data-modifying CTEs.
func saveChanges(ctx context.Context, tx bun.IDB, r *cartRow, ups []itemRow, gone []uuid.UUID) error {
	q := tx.NewUpdate().Model(r).
		Column("status", "city", "item_count", "subtotal", "expires_at", "abandoned_at", "converted_at", "updated_at").WherePK()
	if len(gone) > 0 {
		q = q.With("gone", tx.NewDelete().Table("cart_items").Where("cart_id = ?", r.ID).Where("variant_id IN (?)", bun.In(gone)))
	}
	if len(ups) > 0 {
		q = q.With("ups", tx.NewInsert().Model(&ups).
			On("CONFLICT (tenant_id, cart_id, variant_id) DO UPDATE").
			Set("product_id = EXCLUDED.product_id, sku = EXCLUDED.sku, title_ar = EXCLUDED.title_ar, title_en = EXCLUDED.title_en").
			Set("options_ar = EXCLUDED.options_ar, options_en = EXCLUDED.options_en, quantity = EXCLUDED.quantity").
			Set("unit_price = EXCLUDED.unit_price, previous_price = EXCLUDED.previous_price, updated_at = EXCLUDED.updated_at"))
	}
	_, err := q.Exec(ctx)
	return db.Translate(err, "cart")
}

// cartItems reads a cart's lines in the order they were added.
func cartItems(ctx context.Context, tx bun.IDB, cartID string) ([]itemRow, error) {
	var rs []itemRow
	err := tx.NewSelect().Model(&rs).Where("cart_id = ?", cartID).Order("position", "variant_id").Scan(ctx)
	return rs, err
}

// ---- the staff list ----

func listCarts(ctx context.Context, tx bun.IDB, status string, after *keyset.Cursor, limit int) ([]cartRow, error) {
	var rs []cartRow
	q := tx.NewSelect().Model(&rs).
		Column("tenant_id", "id", "channel", "customer_id", "status", "currency", "item_count", "subtotal", "abandoned_at", "updated_at").
		Where("status = ?", status).Where("item_count > 0")
	if after != nil {
		q = q.Where("(updated_at, id) < (?, ?)", after.At, after.ID)
	}
	err := q.OrderExpr("updated_at DESC, id DESC").Limit(int64(limit)).Scan(ctx)
	return rs, err
}

// ---- pricing settings ----

// getSettings reads the tenant's settings; nil when it has set none.
func getSettings(ctx context.Context, tx bun.IDB) (*settingsRow, error) {
	var r settingsRow
	err := tx.NewSelect().Model(&r).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &r, err
}

// lockSettings holds the tenant's pricing settings until tx ends (a lock
// that exists before the settings' row does).
func lockSettings(ctx context.Context, tx bun.IDB, tenantID uuid.UUID) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('cart-pricing:' || ?::text, 0))", tenantID.String())
	return err
}

func putSettings(ctx context.Context, tx bun.IDB, r *settingsRow) error {
	_, err := tx.NewInsert().Model(r).On("CONFLICT (tenant_id) DO UPDATE").
		Set("vat_rate_bp = EXCLUDED.vat_rate_bp, prices_include_vat = EXCLUDED.prices_include_vat").
		Set("default_fee = EXCLUDED.default_fee, free_shipping_threshold = EXCLUDED.free_shipping_threshold").
		Set("zones = EXCLUDED.zones, updated_at = EXCLUDED.updated_at").Exec(ctx)
	return db.Translate(err, "pricing settings")
}

// ---- the sweeps ----

// tenantsWithStaleCarts lists, on the platform path, the tenants that have
// active carts with items untouched since before cutoff.
func tenantsWithStaleCarts(ctx context.Context, tx bun.IDB, cutoff time.Time) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.NewSelect().Table("carts").ColumnExpr("DISTINCT tenant_id").
		Where("status = ?", StatusActive).Where("item_count > 0").Where("updated_at < ?", cutoff).Scan(ctx, &ids)
	return ids, err
}

// tenantsWithExpiredCarts lists, on the platform path, the tenants that
// have web carts past their expiry.
func tenantsWithExpiredCarts(ctx context.Context, tx bun.IDB, now time.Time) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.NewSelect().Table("carts").ColumnExpr("DISTINCT tenant_id").
		Where("channel = ?", ChannelWeb).Where("expires_at < ?", now).Scan(ctx, &ids)
	return ids, err
}

// abandonCarts marks the tenant's active carts with items untouched since
// cutoff as abandoned and returns them. A cart locked by a change waits for
// it and is then skipped, its updated_at being new.
func abandonCarts(ctx context.Context, tx bun.IDB, cutoff, now time.Time) ([]cartRow, error) {
	var rs []cartRow
	err := tx.NewRaw(`UPDATE carts SET status = ?, abandoned_at = ?
		WHERE status = ? AND item_count > 0 AND updated_at < ? RETURNING *`,
		StatusAbandoned, now, StatusActive, cutoff).Scan(ctx, &rs)
	return rs, err
}

func insertEvents(ctx context.Context, tx bun.IDB, rs []eventRow) error {
	if len(rs) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&rs).Exec(ctx)
	return err
}

// deleteExpiredCarts deletes the tenant's web carts past their expiry
// (their lines go with them).
func deleteExpiredCarts(ctx context.Context, tx bun.IDB, now time.Time) (int, error) {
	res, err := tx.NewDelete().Table("carts").Where("channel = ?", ChannelWeb).Where("expires_at < ?", now).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// events lists the tenant's cart events of a cart, oldest first (tests,
// and analytics later).
func cartEvents(ctx context.Context, tx bun.IDB, cartID string) ([]eventRow, error) {
	var rs []eventRow
	err := tx.NewSelect().Model(&rs).Where("cart_id = ?", cartID).Order("id").Scan(ctx)
	return rs, err
}

// ---- ids ----

// idEncoding is lower-case RFC 4648 base32 without padding: 20 random bytes
// (160 bits) make 32 characters.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// validID reports whether s is shaped like a cart id (so a malformed id is
// a 404 without a query).
func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') })
}
