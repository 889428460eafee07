package cart

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/keyset"
	"concierge/internal/money"
	"concierge/modules/catalog"
	"concierge/tenants"
)

// The cart operations. Each public method owns its transaction; every change
// runs in change(): the cart's row is locked (SELECT ... FOR UPDATE) for the
// transaction, its lines are read and re-priced from the catalog, the change
// is applied in memory, and the lines and the cart row are written back. Two
// changes of one cart — from two API processes, or from the API and the
// WhatsApp worker — therefore take turns, and neither is lost. A change called
// inside another module's scoped transaction (a WhatsApp turn) joins it.

// newID makes a cart id: 160 random bits, base32.
func newID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return idEncoding.EncodeToString(b)
}

// Create makes an anonymous web cart in the tenant's currency; it expires
// Retention after its last change.
func (s *Service) Create(ctx context.Context) (*Cart, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	currency, err := s.currency(ctx, t)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	exp := now.Add(s.cfg.Retention)
	r := &cartRow{TenantID: t.ID, ID: newID(), Channel: ChannelWeb, Status: StatusActive, Currency: currency,
		ExpiresAt: &exp, CreatedAt: now, UpdatedAt: now}
	var out *Cart
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insertCart(ctx, tx, r); err != nil {
			return err
		}
		set, err := s.loadSettings(ctx, tx, currency)
		if err != nil {
			return err
		}
		w := &working{s: s, ctx: ctx, tx: tx, row: r, now: now}
		out = w.build(set)
		return nil
	})
	return out, err
}

// Get returns a cart, priced now. It is the shopper's read: a price change
// is shown on its line (PreviousPrice) by this read and not by the next.
// Errors: not_found (unknown, expired or another tenant's id).
func (s *Service) Get(ctx context.Context, id string) (*Cart, error) {
	return s.read(ctx, target{id: id}, true, "")
}

// Priced returns a cart priced for delivery to city ("": the cart's own
// city, if known), without acknowledging price changes: what checkout
// charges. Errors: not_found.
func (s *Service) Priced(ctx context.Context, id, city string) (*Cart, error) {
	return s.read(ctx, target{id: id}, false, city)
}

// Add puts quantity (1 to 999) of sku into the cart; an SKU already there
// adds to its line. Errors: not_found (cart), invalid (unknown or archived
// SKU, quantity, a line over 999, a cart over money.MaxMinor), conflict
// (more than the stock, the cart full or checked out).
func (s *Service) Add(ctx context.Context, id, sku string, quantity int) (*Cart, error) {
	return s.change(ctx, target{id: id}, func(w *working) error {
		v, err := w.resolveSKU(sku)
		if err != nil {
			return err
		}
		return w.add(v, quantity)
	})
}

// SetQuantity sets the quantity (0 to 999; 0 removes) of the cart's line of
// sku. Errors: not_found (cart, or no such line), invalid, conflict (stock,
// checked out).
func (s *Service) SetQuantity(ctx context.Context, id, sku string, quantity int) (*Cart, error) {
	return s.change(ctx, target{id: id}, func(w *working) error {
		i := w.findSKU(sku)
		if i < 0 {
			return errs.New(errs.CodeNotFound, "cart.item.not_found", "sku", sku)
		}
		return w.set(i, quantity)
	})
}

// Remove takes the line of sku out of the cart. Errors: not_found (cart,
// or no such line), conflict (checked out).
func (s *Service) Remove(ctx context.Context, id, sku string) (*Cart, error) {
	return s.change(ctx, target{id: id}, func(w *working) error {
		i := w.findSKU(sku)
		if i < 0 {
			return errs.New(errs.CodeNotFound, "cart.item.not_found", "sku", sku)
		}
		w.remove(i)
		return nil
	})
}

// Clear empties the cart. Errors: not_found, conflict (checked out).
func (s *Service) Clear(ctx context.Context, id string) (*Cart, error) {
	return s.change(ctx, target{id: id}, func(w *working) error {
		for len(w.lines) > 0 {
			w.remove(0)
		}
		w.touched = true
		return nil
	})
}

// Convert marks the cart checked out: it changes no more (checkout calls
// it in its own transaction, which this joins). Errors: not_found,
// conflict (already checked out).
func (s *Service) Convert(ctx context.Context, id string) error {
	_, err := s.change(ctx, target{id: id}, func(w *working) error {
		now := w.now
		w.row.Status, w.row.ConvertedAt, w.changed = StatusConverted, &now, true
		return nil
	})
	return err
}

// ForCheckout returns the cart priced for delivery to city, with the
// tenant's pricing settings, and keeps it locked (SELECT ... FOR UPDATE)
// until the caller's transaction ends: checkout calls it inside its own
// tenant transaction (which this joins), so no change to the cart slips in
// between pricing and the order. Unlike Get it acknowledges no price change.
// Errors: not_found.
func (s *Service) ForCheckout(ctx context.Context, id, city string) (*Cart, Settings, error) {
	var (
		out *Cart
		set Settings
	)
	err := s.inCart(ctx, target{id: id}, true, func(w *working, st Settings) error {
		if city != "" {
			w.row.City = city
		}
		out, set = w.build(st), st
		return nil
	})
	return out, set, err
}

// ShipsTo names the cities the store delivers to (its zones, "الرياض /
// Riyadh، جدة / Jeddah"), for messages that say where it ships.
func (s Settings) ShipsTo() string { return citiesOf(s) }

// Shipping quotes delivery of the cart to city. Errors: not_found (cart),
// invalid (no city, or a city the store does not deliver to: the message
// names the cities it does).
func (s *Service) Shipping(ctx context.Context, id, city string) (ShippingQuote, error) {
	city = strings.TrimSpace(city)
	if cityKey(city) == "" {
		return ShippingQuote{}, errs.Invalid(errs.Field("city", "required", "cart.field.city"))
	}
	var q ShippingQuote
	err := s.inCart(ctx, target{id: id}, false, func(w *working, set Settings) error {
		if !set.Ships(city) {
			return errs.Invalid(errs.Field("city", "not_served", "cart.field.city_not_served", "city", city, "cities", citiesOf(set)))
		}
		goods := Price(set, w.lines, "")
		base := goods.Subtotal - goods.Discount
		q = ShippingQuote{City: city, Threshold: set.FreeShippingThreshold, Currency: w.row.Currency}
		if z, ok := set.Zone(city); ok {
			q.Zone, q.Fee = &z, z.Fee
		} else {
			q.Fee = *set.DefaultFee
		}
		if q.Threshold > 0 {
			if q.Free = base >= q.Threshold; q.Free {
				q.Fee = 0
			} else {
				q.Remaining = q.Threshold - base
			}
		}
		return nil
	})
	return q, err
}

// CustomerCart returns the customer's open cart, making an empty one if the
// customer has none (WhatsApp carts; the id is as unguessable as a web
// cart's). Errors: not_found (no such customer).
func (s *Service) CustomerCart(ctx context.Context, customerID uuid.UUID) (*Cart, error) {
	return s.change(ctx, target{customer: customerID, create: true}, nil)
}

// OpenCustomerCart reads the customer's open cart, priced, without making
// one, locking it or acknowledging price changes (staff look at it).
// Errors: not_found (no open cart).
func (s *Service) OpenCustomerCart(ctx context.Context, customerID uuid.UUID) (*Cart, error) {
	return s.read(ctx, target{customer: customerID}, false, "")
}

// List returns a page of the tenant's carts of q.Status that hold items,
// most recently touched first, with their value at the last change.
func (s *Service) List(ctx context.Context, q ListQuery) (ListPage, error) {
	if q.Status == "" {
		q.Status = StatusAbandoned
	}
	if q.Limit <= 0 || q.Limit > MaxListPage {
		q.Limit = MaxListPage
	}
	after, err := keyset.Parse(q.Cursor, "cart.field.cursor")
	if err != nil {
		return ListPage{}, err
	}
	var page ListPage
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rs, err := listCarts(ctx, tx, q.Status, after, q.Limit+1)
		if err != nil {
			return err
		}
		if len(rs) > q.Limit {
			rs = rs[:q.Limit]
			last := rs[len(rs)-1]
			page.NextCursor = keyset.Cursor{At: last.UpdatedAt, ID: last.ID}.Encode()
		}
		for _, r := range rs {
			page.Items = append(page.Items, Summary{ID: r.ID, Channel: r.Channel, CustomerID: r.CustomerID, Status: r.Status,
				Currency: r.Currency, Items: r.ItemCount, Value: r.Subtotal, UpdatedAt: r.UpdatedAt, AbandonedAt: r.AbandonedAt})
		}
		return nil
	})
	return page, err
}

// ---- the machinery ----

// target names the cart an operation applies to: by id, or a customer's
// open cart (made on first use when create is set).
type target struct {
	id       string
	customer uuid.UUID
	create   bool
}

// working is a cart being read or changed inside its transaction.
type working struct {
	s       *Service
	ctx     context.Context
	tx      bun.Tx
	row     *cartRow
	pricing Settings // the tenant's, read with the cart
	lines   []Line
	// variants are the lines' variants as the catalog sells them now.
	variants map[uuid.UUID]catalog.SaleVariant
	dirty    map[uuid.UUID]bool // lines to write
	gone     []uuid.UUID        // lines to delete
	touched  bool               // the shopper changed it: renewed, active again
	changed  bool               // the cart row changed otherwise (status, city)
	now      time.Time
}

// change locks the cart, applies fn (nil: none; the cart is only re-priced
// and, for a customer target with create, made when missing) and writes the
// result back.
func (s *Service) change(ctx context.Context, tg target, fn func(w *working) error) (*Cart, error) {
	var out *Cart
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		w, err := s.open(ctx, tx, tg, true)
		if err != nil {
			return err
		}
		if fn != nil {
			if w.row.Status == StatusConverted {
				return errs.New(errs.CodeConflict, "cart.closed")
			}
			if err := fn(w); err != nil {
				return err
			}
		}
		if err := w.save(); err != nil {
			return err
		}
		out = w.build(w.pricing)
		return nil
	})
	return out, err
}

// read returns the cart priced (for city, when given). With ack, price
// changes shown by this read are then cleared, under the cart's lock.
func (s *Service) read(ctx context.Context, tg target, ack bool, city string) (*Cart, error) {
	var out *Cart
	flagged := false
	err := s.inCart(ctx, tg, false, func(w *working, set Settings) error {
		if city != "" {
			w.row.City = city
		}
		out = w.build(set)
		flagged = ack && (len(w.dirty) > 0 || slices.ContainsFunc(w.lines, Line.PriceChanged))
		return nil
	})
	if err != nil || !flagged {
		return out, err
	}
	// Acknowledge under the lock: persist the new prices and clear the
	// flags this read shows (the answer is built after the lock, so a change
	// that came in between is in it too).
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		w, err := s.open(ctx, tx, tg, true)
		if err != nil {
			return err
		}
		out = w.build(w.pricing)
		for i := range w.lines {
			if w.lines[i].PreviousPrice != nil {
				w.lines[i].PreviousPrice = nil
				w.dirty[w.lines[i].VariantID] = true
			}
		}
		return w.save()
	})
	return out, err
}

// inCart runs fn on the re-priced cart without changing it.
func (s *Service) inCart(ctx context.Context, tg target, lock bool, fn func(w *working, set Settings) error) error {
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		w, err := s.open(ctx, tx, tg, lock)
		if err != nil {
			return err
		}
		return fn(w, w.pricing)
	})
}

// open reads (and with lock, locks) the target's cart and its lines,
// re-priced from the catalog. An expired cart is not found.
func (s *Service) open(ctx context.Context, tx bun.Tx, tg target, lock bool) (*working, error) {
	now := s.now().UTC()
	var (
		r   *openRow
		err error
	)
	switch {
	case tg.id != "":
		if !validID(tg.id) {
			return nil, errs.New(errs.CodeNotFound, "cart.not_found")
		}
		if r, err = getCart(ctx, tx, tg.id, lock); err != nil {
			return nil, err
		}
		if r.ExpiresAt != nil && !r.ExpiresAt.After(now) {
			return nil, errs.New(errs.CodeNotFound, "cart.not_found")
		}
	case tg.customer != uuid.Nil:
		if r, err = s.customerRow(ctx, tx, tg, lock, now); err != nil {
			return nil, err
		}
	default:
		return nil, errs.New(errs.CodeNotFound, "cart.not_found")
	}
	rows, err := cartItems(ctx, tx, r.ID)
	if err != nil {
		return nil, err
	}
	w := &working{s: s, ctx: ctx, tx: tx, row: &r.cartRow, now: now, dirty: map[uuid.UUID]bool{}, pricing: DefaultSettings(r.Currency)}
	if r.Settings != nil {
		w.pricing = toSettings(*r.Settings, r.Currency)
	}
	for _, it := range rows {
		w.lines = append(w.lines, toLine(it))
	}
	return w, w.refresh()
}

// customerRow reads the customer's open cart, making it when asked.
func (s *Service) customerRow(ctx context.Context, tx bun.Tx, tg target, lock bool, now time.Time) (*openRow, error) {
	r, err := openCustomerCart(ctx, tx, tg.customer, lock)
	if err == nil || !tg.create || !errors.Is(err, errs.ErrNotFound) {
		return r, err
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	currency, err := s.currency(ctx, t)
	if err != nil {
		return nil, err
	}
	cid := tg.customer
	if err := insertCustomerCart(ctx, tx, &cartRow{TenantID: t.ID, ID: newID(), Channel: ChannelWhatsApp, CustomerID: &cid,
		Status: StatusActive, Currency: currency, CreatedAt: now, UpdatedAt: now}); err != nil {
		return nil, err
	}
	return openCustomerCart(ctx, tx, tg.customer, true)
}

// refresh re-prices the lines from the catalog, in the cart's transaction
// (one query for every line): the price applied is the catalog's now (a
// change is flagged with the price before it until a read shows it), titles
// follow the catalog, and a variant no longer sold makes its line
// unavailable (kept, outside the totals).
func (w *working) refresh() error {
	if len(w.lines) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(w.lines))
	for i, l := range w.lines {
		ids[i] = l.VariantID
	}
	vs, err := w.s.catalog.SaleVariants(w.ctx, w.tx, ids)
	if err != nil {
		return err
	}
	w.variants = vs
	for i := range w.lines {
		l := &w.lines[i]
		v, ok := vs[l.VariantID]
		if !ok || !v.OnSale() || v.Currency != w.row.Currency {
			l.Available, l.Stock = false, nil
			continue
		}
		l.Available, l.Stock = v.Available(), v.Stock
		if w.describe(l, v) {
			w.dirty[l.VariantID] = true
		}
		if v.Price != l.UnitPrice {
			switch {
			case l.PreviousPrice == nil:
				prev := l.UnitPrice
				l.PreviousPrice = &prev
			case *l.PreviousPrice == v.Price: // back where the shopper saw it
				l.PreviousPrice = nil
			}
			l.UnitPrice = v.Price
			w.dirty[l.VariantID] = true
		}
	}
	return nil
}

// describe copies the variant's SKU, titles and options onto the line,
// reporting whether any changed.
func (w *working) describe(l *Line, v catalog.SaleVariant) bool {
	d := Line{SKU: v.SKU, TitleAR: pick("ar", v.TitleAR, v.TitleEN), TitleEN: pick("en", v.TitleAR, v.TitleEN),
		OptionsAR: optionLabel(v.Variant, "ar"), OptionsEN: optionLabel(v.Variant, "en")}
	changed := l.SKU != d.SKU || l.TitleAR != d.TitleAR || l.TitleEN != d.TitleEN || l.OptionsAR != d.OptionsAR || l.OptionsEN != d.OptionsEN
	l.SKU, l.TitleAR, l.TitleEN, l.OptionsAR, l.OptionsEN = d.SKU, d.TitleAR, d.TitleEN, d.OptionsAR, d.OptionsEN
	return changed
}

// optionLabel is a variant's option values in locale: "Black / M".
func optionLabel(v catalog.Variant, locale string) string {
	vals := make([]string, 0, len(v.Options))
	for _, o := range v.Options {
		if s := strings.TrimSpace(o.ValueIn(locale)); s != "" {
			vals = append(vals, s)
		}
	}
	return strings.Join(vals, " / ")
}

// resolveSKU finds the variant sold under sku. Errors: invalid naming the
// SKU (unknown, archived, or its product withdrawn).
func (w *working) resolveSKU(sku string) (catalog.SaleVariant, error) {
	// An SKU already in the cart was just read with its line (adding more of
	// it is the common add: a double tap, "+1").
	// (Exactly as written: SKUs differing only in case may be two variants.)
	trimmed := strings.TrimSpace(sku)
	for _, l := range w.lines {
		if v, ok := w.variants[l.VariantID]; ok && l.SKU == trimmed && v.SKU == trimmed && v.OnSale() {
			return v, nil
		}
	}
	v, err := w.s.catalog.SaleVariantBySKU(w.ctx, w.tx, sku)
	if errors.Is(err, errs.ErrNotFound) {
		return v, errUnknownSKU(strings.TrimSpace(sku))
	}
	return v, err
}

// add puts quantity of variant v into the cart.
func (w *working) add(v catalog.SaleVariant, quantity int) error {
	if quantity < 1 || quantity > MaxQuantity {
		return errs.Invalid(errs.Field("quantity", "range", "field.range", "min", 1, "max", MaxQuantity))
	}
	if !v.OnSale() || v.Currency != w.row.Currency {
		return errUnknownSKU(v.SKU)
	}
	i := slices.IndexFunc(w.lines, func(l Line) bool { return l.VariantID == v.ID })
	have := 0
	if i >= 0 {
		have = w.lines[i].Quantity
	}
	want := have + quantity
	if want > MaxQuantity {
		return errs.Invalid(errs.Field("quantity", "max", "cart.field.line_max", "max", MaxQuantity, "in_cart", have))
	}
	if err := checkStock(v.SKU, v.Stock, want, have); err != nil {
		return err
	}
	if i < 0 {
		if len(w.lines) >= MaxLines {
			return errs.New(errs.CodeConflict, "cart.full", "max", MaxLines)
		}
		pos := 0
		for _, l := range w.lines {
			pos = max(pos, l.position+1)
		}
		w.lines = append(w.lines, Line{VariantID: v.ID, ProductID: v.ProductID, UnitPrice: v.Price, AddedAt: w.now, position: pos})
		i = len(w.lines) - 1
	}
	l := &w.lines[i]
	w.describe(l, v)
	l.Quantity, l.Available, l.Stock = want, true, v.Stock
	if l.UnitPrice != v.Price {
		prev := l.UnitPrice
		l.PreviousPrice, l.UnitPrice = &prev, v.Price
	}
	w.dirty[v.ID], w.touched = true, true
	return nil
}

// set sets line i's quantity (0 removes it).
func (w *working) set(i, quantity int) error {
	if quantity < 0 || quantity > MaxQuantity {
		return errs.Invalid(errs.Field("quantity", "range", "field.range", "min", 0, "max", MaxQuantity))
	}
	if quantity == 0 {
		w.remove(i)
		return nil
	}
	l := &w.lines[i]
	if !l.Available && (l.Stock == nil || *l.Stock > 0) {
		return errUnknownSKU(l.SKU)
	}
	if quantity > l.Quantity { // lowering a short line is always allowed
		if err := checkStock(l.SKU, l.Stock, quantity, l.Quantity); err != nil {
			return err
		}
	}
	l.Quantity = quantity
	w.dirty[l.VariantID], w.touched = true, true
	return nil
}

// remove takes line i out.
func (w *working) remove(i int) {
	w.gone = append(w.gone, w.lines[i].VariantID)
	delete(w.dirty, w.lines[i].VariantID)
	w.lines = slices.Delete(w.lines, i, i+1)
	w.touched = true
}

// findSKU is the index of the line of sku (any case), or -1.
func (w *working) findSKU(sku string) int {
	sku = strings.TrimSpace(sku)
	return slices.IndexFunc(w.lines, func(l Line) bool { return strings.EqualFold(l.SKU, sku) })
}

// findVariant is the index of the line of variant id, or -1.
func (w *working) findVariant(id uuid.UUID) int {
	return slices.IndexFunc(w.lines, func(l Line) bool { return l.VariantID == id })
}

// save writes the changed lines and the cart row: the value at this change
// for the staff list, and, when the shopper changed it, the time (the
// abandon sweep's clock), the expiry of a web cart and the status (an
// abandoned cart is active again).
func (w *working) save() error {
	var sub int64
	n := 0
	for _, l := range w.lines {
		if l.Available {
			sub += l.Total()
			n += l.Quantity
		}
	}
	if sub > money.MaxMinor {
		return errs.New(errs.CodeInvalid, "cart.too_large")
	}
	var ups []itemRow
	for _, l := range w.lines {
		if w.dirty[l.VariantID] {
			ups = append(ups, fromLine(w.row.TenantID, w.row.ID, l, w.now))
		}
	}
	r := w.row
	changed := w.touched || w.changed || r.Subtotal != sub || r.ItemCount != n || len(ups) > 0 || len(w.gone) > 0
	r.Subtotal, r.ItemCount = sub, n
	if w.touched {
		r.UpdatedAt = w.now
		if r.Status == StatusAbandoned {
			r.Status, r.AbandonedAt = StatusActive, nil
		}
		if r.Channel == ChannelWeb {
			exp := w.now.Add(w.s.cfg.Retention)
			r.ExpiresAt = &exp
		}
	}
	if !changed {
		return nil
	}
	return saveChanges(w.ctx, w.tx, r, ups, w.gone)
}

// build is the cart as the domain shows it, priced under set.
func (w *working) build(set Settings) *Cart {
	r := w.row
	c := &Cart{ID: r.ID, Channel: r.Channel, CustomerID: r.CustomerID, Status: r.Status, Currency: r.Currency, City: r.City,
		ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Lines: make([]Line, len(w.lines))}
	for i, l := range w.lines {
		if l.PreviousPrice != nil {
			p := *l.PreviousPrice
			l.PreviousPrice = &p
		}
		c.Lines[i] = l
	}
	c.Totals = Price(set, c.Lines, r.City)
	c.zones = len(set.Zones)
	return c
}

// loadSettings reads the tenant's pricing, or the defaults.
func (s *Service) loadSettings(ctx context.Context, tx bun.IDB, currency string) (Settings, error) {
	r, err := getSettings(ctx, tx)
	if err != nil || r == nil {
		return DefaultSettings(currency), err
	}
	return toSettings(*r, currency), nil
}

// currency is the tenant's currency (the context's tenant carries it when
// it was resolved from a request; jobs and the WhatsApp worker carry only an
// id).
func (s *Service) currency(ctx context.Context, t *tenants.Tenant) (string, error) {
	if t.Currency != "" {
		return t.Currency, nil
	}
	if s.tenants == nil {
		return "", errs.Wrap(errs.CodeInternal, errors.New("cart: no tenant directory to read the currency from"), "")
	}
	full, err := s.tenants.Get(ctx, t.ID.String())
	if err != nil {
		return "", err
	}
	return full.Currency, nil
}

// ---- errors ----

// stockError is the cause of a stock refusal: what the flows tell the
// customer.
type stockError struct {
	SKU       string
	Available int // the stock; 0: sold out
	InCart    int
}

func (e *stockError) Error() string { return "not enough stock of " + e.SKU }

// checkStock refuses want pieces of sku when stock (nil: untracked) has
// fewer.
func checkStock(sku string, stock *int, want, have int) error {
	if stock == nil || want <= *stock {
		return nil
	}
	cause := &stockError{SKU: sku, Available: max(*stock, 0), InCart: have}
	switch {
	case *stock <= 0:
		return &errs.Error{Code: errs.CodeConflict, Err: cause, Msg: errs.M("cart.sold_out", "sku", sku),
			Fields: []errs.FieldError{errs.Field("quantity", "stock", "cart.field.sold_out", "sku", sku)}}
	case have > 0:
		return &errs.Error{Code: errs.CodeConflict, Err: cause, Msg: errs.M("cart.stock_in_cart", "sku", sku, "available", *stock, "in_cart", have),
			Fields: []errs.FieldError{errs.Field("quantity", "stock", "cart.field.stock", "available", *stock)}}
	}
	return &errs.Error{Code: errs.CodeConflict, Err: cause, Msg: errs.M("cart.stock", "sku", sku, "available", *stock),
		Fields: []errs.FieldError{errs.Field("quantity", "stock", "cart.field.stock", "available", *stock)}}
}

func errUnknownSKU(sku string) error {
	return errs.Invalid(errs.Field("sku", "unknown", "cart.field.sku_unknown", "sku", sku))
}

// citiesOf names the cities the store delivers to, for a refusal.
func citiesOf(s Settings) string {
	names := make([]string, 0, len(s.Zones))
	for _, z := range s.Zones {
		switch {
		case z.NameAR != "" && z.NameEN != "":
			names = append(names, z.NameAR+" / "+z.NameEN)
		default:
			names = append(names, z.NameAR+z.NameEN)
		}
	}
	return strings.Join(names, "، ")
}
