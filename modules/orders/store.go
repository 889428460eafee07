package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/keyset"
	"concierge/internal/money"
)

type orderRow struct {
	bun.BaseModel `bun:"table:orders"`
	TenantID      uuid.UUID       `bun:"tenant_id"`
	ID            uuid.UUID       `bun:"id"`
	Number        int64           `bun:"number"`
	CartID        string          `bun:"cart_id"`
	Channel       string          `bun:"channel"`
	CustomerID    *uuid.UUID      `bun:"customer_id"`
	CustomerName  string          `bun:"customer_name"`
	CustomerPhone string          `bun:"customer_phone"`
	Locale        string          `bun:"locale"`
	Status        string          `bun:"status"`
	PaymentMethod string          `bun:"payment_method"`
	Currency      string          `bun:"currency"`
	Subtotal      int64           `bun:"subtotal"`
	Discount      int64           `bun:"discount"`
	Shipping      int64           `bun:"shipping"`
	VAT           int64           `bun:"vat"`
	Total         int64           `bun:"total"`
	VATRateBP     int             `bun:"vat_rate_bp"`
	VATIncluded   bool            `bun:"vat_included"`
	City          string          `bun:"city"`
	Address       json.RawMessage `bun:"address,type:jsonb"`
	Notes         string          `bun:"notes"`
	StockHeld     bool            `bun:"stock_held"`
	CartVersion   string          `bun:"cart_version"`
	ConfirmedAt   *time.Time      `bun:"confirmed_at"`
	CancelledAt   *time.Time      `bun:"cancelled_at"`
	RefusedAt     *time.Time      `bun:"refused_at"`
	ShippedAt     *time.Time      `bun:"shipped_at"`
	DeliveredAt   *time.Time      `bun:"delivered_at"`
	TrackingNo    string          `bun:"tracking_number"`
	TrackingURL   string          `bun:"tracking_url"`
	Carrier       string          `bun:"carrier"`
	CreatedAt     time.Time       `bun:"created_at"`
	UpdatedAt     time.Time       `bun:"updated_at"`
}

// dbAddress is the stored form of an address.
type dbAddress struct {
	BuildingNumber   string      `json:"building_number"`
	Street           string      `json:"street"`
	District         string      `json:"district"`
	City             string      `json:"city"`
	PostalCode       string      `json:"postal_code"`
	AdditionalNumber string      `json:"additional_number,omitempty"`
	ShortAddress     string      `json:"short_address,omitempty"`
	Notes            string      `json:"notes,omitempty"`
	Location         *dbLocation `json:"location,omitempty"`
}

type dbLocation struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

func toDBAddress(a Address) json.RawMessage {
	d := dbAddress{BuildingNumber: a.BuildingNumber, Street: a.Street, District: a.District, City: a.City, PostalCode: a.PostalCode,
		AdditionalNumber: a.AdditionalNumber, ShortAddress: a.ShortAddress, Notes: a.Notes}
	if a.Location != nil {
		d.Location = &dbLocation{Lat: a.Location.Lat, Lng: a.Location.Lng}
	}
	b, _ := json.Marshal(d)
	return b
}

func fromDBAddress(raw json.RawMessage) Address {
	if len(raw) == 0 { // left out of a summary
		return Address{}
	}
	var d dbAddress
	_ = json.Unmarshal(raw, &d)
	a := Address{BuildingNumber: d.BuildingNumber, Street: d.Street, District: d.District, City: d.City, PostalCode: d.PostalCode,
		AdditionalNumber: d.AdditionalNumber, ShortAddress: d.ShortAddress, Notes: d.Notes}
	if d.Location != nil {
		a.Location = &Location{Lat: d.Location.Lat, Lng: d.Location.Lng}
	}
	return a
}

func toOrderRow(tenantID uuid.UUID, o *Order) *orderRow {
	return &orderRow{TenantID: tenantID, ID: o.ID, Number: o.Number, CartID: o.CartID, Channel: o.Channel, CustomerID: o.CustomerID,
		CustomerName: o.CustomerName, CustomerPhone: o.CustomerPhone, Locale: o.Locale, Status: o.Status, PaymentMethod: o.PaymentMethod,
		Currency: o.Totals.Currency, Subtotal: o.Totals.Subtotal, Discount: o.Totals.Discount, Shipping: o.Totals.Shipping,
		VAT: o.Totals.VAT, Total: o.Totals.Total, VATRateBP: o.Totals.VATRateBP, VATIncluded: o.Totals.VATIncluded,
		City: o.Address.City, Address: toDBAddress(o.Address), Notes: o.Notes, StockHeld: o.StockHeld, CartVersion: o.CartVersion,
		ConfirmedAt: o.ConfirmedAt, CancelledAt: o.CancelledAt, RefusedAt: o.RefusedAt, ShippedAt: o.ShippedAt, DeliveredAt: o.DeliveredAt,
		TrackingNo: o.Tracking.Number, TrackingURL: o.Tracking.URL, Carrier: o.Tracking.Carrier, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func (r *orderRow) toOrder() Order {
	return Order{ID: r.ID, Number: r.Number, CartID: r.CartID, Channel: r.Channel, CustomerID: r.CustomerID, CustomerName: r.CustomerName,
		CustomerPhone: r.CustomerPhone, Locale: r.Locale, Status: r.Status, PaymentMethod: r.PaymentMethod,
		Totals: Totals{Currency: r.Currency, Subtotal: r.Subtotal, Discount: r.Discount, Shipping: r.Shipping, VAT: r.VAT, Total: r.Total,
			VATRateBP: r.VATRateBP, VATIncluded: r.VATIncluded},
		Address: fromDBAddress(r.Address), Notes: r.Notes, StockHeld: r.StockHeld, CartVersion: r.CartVersion,
		ConfirmedAt: r.ConfirmedAt, CancelledAt: r.CancelledAt, RefusedAt: r.RefusedAt, ShippedAt: r.ShippedAt, DeliveredAt: r.DeliveredAt,
		Tracking: Tracking{Number: r.TrackingNo, URL: r.TrackingURL, Carrier: r.Carrier}, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type lineRow struct {
	bun.BaseModel `bun:"table:order_lines"`
	TenantID      uuid.UUID `bun:"tenant_id" json:"-"`
	OrderID       uuid.UUID `bun:"order_id" json:"-"`
	Position      int       `bun:"position" json:"position"`
	VariantID     uuid.UUID `bun:"variant_id" json:"variant_id"`
	ProductID     uuid.UUID `bun:"product_id" json:"product_id"`
	SKU           string    `bun:"sku" json:"sku"`
	TitleAR       string    `bun:"title_ar" json:"title_ar"`
	TitleEN       string    `bun:"title_en" json:"title_en"`
	OptionsAR     string    `bun:"options_ar" json:"options_ar"`
	OptionsEN     string    `bun:"options_en" json:"options_en"`
	Quantity      int       `bun:"quantity" json:"quantity"`
	UnitPrice     int64     `bun:"unit_price" json:"unit_price"`
}

func toLineRows(lines []Line) []lineRow {
	out := make([]lineRow, len(lines))
	for i, l := range lines {
		out[i] = lineRow{Position: i, VariantID: l.VariantID, ProductID: l.ProductID, SKU: l.SKU, TitleAR: l.TitleAR, TitleEN: l.TitleEN,
			OptionsAR: l.OptionsAR, OptionsEN: l.OptionsEN, Quantity: l.Quantity, UnitPrice: l.UnitPrice}
	}
	return out
}

func (r lineRow) toLine() Line {
	return Line{VariantID: r.VariantID, ProductID: r.ProductID, SKU: r.SKU, TitleAR: r.TitleAR, TitleEN: r.TitleEN,
		OptionsAR: r.OptionsAR, OptionsEN: r.OptionsEN, Quantity: r.Quantity, UnitPrice: r.UnitPrice}
}

type eventRow struct {
	bun.BaseModel `bun:"table:order_events"`
	TenantID      uuid.UUID         `bun:"tenant_id" json:"-"`
	ID            uuid.UUID         `bun:"id" json:"id"`
	OrderID       uuid.UUID         `bun:"order_id" json:"-"`
	Kind          string            `bun:"kind" json:"kind"`
	FromStatus    string            `bun:"from_status" json:"from_status"`
	ToStatus      string            `bun:"to_status" json:"to_status"`
	Actor         string            `bun:"actor" json:"actor"`
	Note          string            `bun:"note" json:"note"`
	Data          map[string]string `bun:"data,type:jsonb" json:"data"`
	At            time.Time         `bun:"at" json:"at"`
}

func (r eventRow) toEvent() Event {
	return Event{ID: r.ID, Kind: r.Kind, From: r.FromStatus, To: r.ToStatus, Actor: r.Actor, Note: r.Note, Data: r.Data, At: r.At}
}

// insertOrder writes a new order, its lines and its first event in one
// statement, numbering it from the tenant's sequence (next_order_number).
func insertOrder(ctx context.Context, tx bun.IDB, r *orderRow, lines []lineRow, ev eventRow) (int64, error) {
	lj, err := json.Marshal(lines)
	if err != nil {
		return 0, err
	}
	if ev.Data == nil {
		ev.Data = map[string]string{}
	}
	dj, _ := json.Marshal(ev.Data)
	var number int64
	err = tx.NewRaw(`WITH o AS (
			INSERT INTO orders (tenant_id, id, number, cart_id, channel, customer_id, customer_name, customer_phone, locale, status,
				payment_method, currency, subtotal, discount, shipping, vat, total, vat_rate_bp, vat_included, city, address, notes,
				stock_held, cart_version, created_at, updated_at)
			VALUES (?0, ?1, next_order_number(?0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?23)
			RETURNING number),
		l AS (
			INSERT INTO order_lines (tenant_id, order_id, position, variant_id, product_id, sku, title_ar, title_en, options_ar, options_en, quantity, unit_price)
			SELECT ?0, ?1, x.position, x.variant_id, x.product_id, x.sku, x.title_ar, x.title_en, x.options_ar, x.options_en, x.quantity, x.unit_price
			FROM jsonb_to_recordset(?24::jsonb) AS x (position int, variant_id uuid, product_id uuid, sku text, title_ar text, title_en text,
				options_ar text, options_en text, quantity int, unit_price bigint)),
		e AS (
			INSERT INTO order_events (tenant_id, id, order_id, kind, from_status, to_status, actor, note, data, at)
			VALUES (?0, ?25, ?1, ?26, '', ?8, ?27, '', ?28::jsonb, ?23))
		SELECT number FROM o`,
		r.TenantID, r.ID, r.CartID, r.Channel, r.CustomerID, r.CustomerName, r.CustomerPhone, r.Locale, r.Status,
		r.PaymentMethod, r.Currency, r.Subtotal, r.Discount, r.Shipping, r.VAT, r.Total, r.VATRateBP, r.VATIncluded, r.City,
		string(r.Address), r.Notes, r.StockHeld, r.CartVersion, r.CreatedAt, string(lj), ev.ID, ev.Kind, ev.Actor, string(dj)).Scan(ctx, &number)
	return number, translate(err)
}

// updateOrder writes every changeable column of an order.
func updateOrder(ctx context.Context, tx bun.IDB, r *orderRow) error {
	_, err := tx.NewUpdate().Model(r).
		Column("customer_id", "customer_name", "customer_phone", "locale", "status", "payment_method", "currency", "subtotal", "discount",
			"shipping", "vat", "total", "vat_rate_bp", "vat_included", "city", "address", "notes", "stock_held", "cart_version",
			"confirmed_at", "cancelled_at", "refused_at", "shipped_at", "delivered_at", "tracking_number", "tracking_url", "carrier", "updated_at").
		Where("id = ?", r.ID).Exec(ctx)
	return translate(err)
}

// replaceLines replaces an order's lines.
func replaceLines(ctx context.Context, tx bun.IDB, tenantID, orderID uuid.UUID, lines []lineRow) error {
	if _, err := tx.NewDelete().Table("order_lines").Where("order_id = ?", orderID).Exec(ctx); err != nil {
		return err
	}
	if len(lines) == 0 {
		return nil
	}
	for i := range lines {
		lines[i].TenantID, lines[i].OrderID = tenantID, orderID
	}
	_, err := tx.NewInsert().Model(&lines).Exec(ctx)
	return translate(err)
}

func insertEvent(ctx context.Context, tx bun.IDB, r *eventRow) error {
	if r.Data == nil {
		r.Data = map[string]string{}
	}
	_, err := tx.NewInsert().Model(r).Exec(ctx)
	return translate(err)
}

// getOrder reads an order with its lines (lock: FOR UPDATE of the order).
func getOrder(ctx context.Context, tx bun.IDB, where string, lock bool, args ...any) (*Order, error) {
	var r orderRow
	q := tx.NewSelect().Model(&r).Where(where, args...).OrderExpr("created_at DESC").Limit(1)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, translate(err)
	}
	o := r.toOrder()
	var ls []lineRow
	if err := tx.NewSelect().Model(&ls).Where("order_id = ?", r.ID).Order("position").Scan(ctx); err != nil {
		return nil, err
	}
	for _, l := range ls {
		o.Lines = append(o.Lines, l.toLine())
	}
	return &o, nil
}

// detailRow is an order read whole in one statement: its lines and events
// aggregated as JSON beside its row.
type detailRow struct {
	orderRow
	LinesJSON  json.RawMessage `bun:"lines_json"`
	EventsJSON json.RawMessage `bun:"events_json"`
}

// getDetail reads one order with its lines and timeline in one statement
// (the staff read and the public lookup are one round trip, not three).
// Errors: not_found.
func getDetail(ctx context.Context, tx bun.IDB, where string, args ...any) (*Order, []Event, error) {
	var r detailRow
	err := tx.NewRaw(`SELECT o.*,
			(SELECT coalesce(json_agg(l ORDER BY l.position), '[]') FROM (SELECT position, variant_id, product_id, sku, title_ar,
				title_en, options_ar, options_en, quantity, unit_price FROM order_lines WHERE order_id = o.id) l) AS lines_json,
			(SELECT coalesce(json_agg(e ORDER BY e.at, e.id), '[]') FROM (SELECT id, kind, from_status, to_status, actor, note, data, at
				FROM order_events WHERE order_id = o.id) e) AS events_json
		FROM orders o WHERE `+where+` LIMIT 1`, args...).Scan(ctx, &r)
	if err != nil {
		return nil, nil, translate(err)
	}
	var (
		ls []lineRow
		es []eventRow
	)
	if err := json.Unmarshal(r.LinesJSON, &ls); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(r.EventsJSON, &es); err != nil {
		return nil, nil, err
	}
	o := r.toOrder()
	o.Lines = make([]Line, len(ls))
	for i, l := range ls {
		o.Lines[i] = l.toLine()
	}
	evs := make([]Event, len(es))
	for i, e := range es {
		evs[i] = e.toEvent()
	}
	return &o, evs, nil
}

// summaryColumns are the columns of a Summary list (ListQuery.Summary).
var summaryColumns = []string{"tenant_id", "id", "number", "channel", "customer_id", "customer_name", "customer_phone", "locale", "status",
	"payment_method", "currency", "total", "confirmed_at", "cancelled_at", "refused_at", "shipped_at", "delivered_at", "created_at", "updated_at"}

func listOrders(ctx context.Context, tx bun.IDB, q ListQuery, after *keyset.Cursor) ([]orderRow, error) {
	var rs []orderRow
	sel := tx.NewSelect().Model(&rs).OrderExpr("created_at DESC, id DESC").Limit(int64(q.Limit + 1))
	if q.Summary {
		sel = sel.Column(summaryColumns...)
	}
	if q.Phone != "" {
		sel = sel.Where("customer_phone = ?", q.Phone)
	}
	if q.Status != "" {
		sel = sel.Where("status = ?", q.Status)
	}
	if q.PaymentMethod != "" {
		sel = sel.Where("payment_method = ?", q.PaymentMethod)
	}
	if !q.From.IsZero() {
		sel = sel.Where("created_at >= ?", q.From)
	}
	if !q.To.IsZero() {
		sel = sel.Where("created_at < ?", q.To)
	}
	if after != nil {
		sel = sel.Where("(created_at, id) < (?, ?)", after.At, after.ID)
	}
	return rs, sel.Scan(ctx)
}

// orderStats counts the orders placed in [from, to) and sums their totals
// by currency (drafts and cancelled orders left out).
func orderStats(ctx context.Context, tx bun.IDB, from, to time.Time) (Stats, error) {
	var rows []struct {
		Currency string `bun:"currency"`
		Orders   int64  `bun:"orders"`
		Revenue  int64  `bun:"revenue"`
	}
	err := tx.NewSelect().Table("orders").ColumnExpr("currency, count(*) AS orders, coalesce(sum(total), 0)::bigint AS revenue").
		Where("created_at >= ? AND created_at < ?", from, to).Where("status NOT IN (?, ?)", StatusPendingPayment, StatusCancelled).
		GroupExpr("currency").OrderExpr("revenue DESC").Scan(ctx, &rows)
	var st Stats
	for _, r := range rows {
		st.Orders += r.Orders
		st.Revenue = append(st.Revenue, money.Amount{Minor: r.Revenue, Currency: r.Currency})
	}
	return st, err
}

func countRefusals(ctx context.Context, tx bun.IDB, phone string) (int, error) {
	n, err := tx.NewSelect().Table("orders").Where("customer_phone = ? AND refused_at IS NOT NULL", phone).Count(ctx)
	return int(n), err
}

// translate maps driver errors onto the error vocabulary.
func translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return db.Translate(err, "order")
}

// customerOrders reads a WhatsApp customer's newest placed orders (not
// drafts waiting for payment), without lines.
func customerOrders(ctx context.Context, tx bun.IDB, customerID uuid.UUID, phone string, limit int) ([]Order, error) {
	var rs []orderRow
	q := tx.NewSelect().Model(&rs).Where("status <> 'pending_payment'")
	if phone != "" {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("customer_id = ?", customerID).WhereOr("customer_phone = ?", phone)
		})
	} else {
		q = q.Where("customer_id = ?", customerID)
	}
	err := q.
		OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx)
	out := make([]Order, len(rs))
	for i := range rs {
		out[i] = rs[i].toOrder()
	}
	return out, err
}
