package storefront

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/modules/cart"
	"concierge/modules/checkout"
	"concierge/modules/orders"
	"concierge/storefront/ui"
)

// The web cart lives in the cart module; the visitor's browser keeps only
// its id, in an HttpOnly, SameSite=Lax cookie of the store's host. A cookie
// that names no cart of this store (another store's, an expired one) is an
// empty cart.

// cart reads the visitor's open cart priced for city; nil when there is
// none.
func (s *Site) cart(c *fiber.Ctx, city string) (*cart.Cart, error) {
	ct, err := s.cartAny(c, city)
	if ct != nil && ct.Status == cart.StatusConverted {
		return nil, err
	}
	return ct, err
}

// cartAny reads the visitor's cart whatever its status.
func (s *Site) cartAny(c *fiber.Ctx, city string) (*cart.Cart, error) {
	id := c.Cookies(cartCookie)
	if id == "" || len(id) > 64 {
		return nil, nil
	}
	ct, err := s.d.Carts.Priced(c.UserContext(), id, city)
	if errs.CodeOf(err) == errs.CodeNotFound || errs.CodeOf(err) == errs.CodeInvalid || errs.CodeOf(err) == errs.CodeConflict {
		return nil, nil
	}
	return ct, err
}

func (s *Site) cartPage(c *fiber.Ctx, v *ui.View) error {
	v.Title, v.NoIndex = v.T("storefront.cart.title")+" — "+v.StoreName(), true
	city := strings.TrimSpace(c.Query("city"))
	if len(city) > 100 {
		city = ""
	}
	ct, err := s.cart(c, city)
	if err != nil {
		return err
	}
	return s.renderCart(c, v, ct, city, nil)
}

func (s *Site) renderCart(c *fiber.Ctx, v *ui.View, ct *cart.Cart, city string, msgs []string) error {
	p := ui.CartPage{Cart: ct, City: city, Messages: msgs}
	if ct != nil && len(ct.Lines) > 0 {
		if city != "" {
			q, err := s.d.Carts.Shipping(c.UserContext(), ct.ID, city)
			if err == nil {
				p.Quote = &q
			}
		}
		if s.d.Chat != nil && v.Store.WhatsApp != "" {
			p.ChatURL = s.d.Chat.CartLink(c.UserContext(), v.Lang, v.Store.WhatsApp, ct.ID)
		}
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return s.render(c, ui.CartView(v, p), false)
}

// quantity reads a form's quantity (1..99 for add, 0..99 for update).
func quantity(c *fiber.Ctx, minimum int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(arabic.DigitsToASCII(c.FormValue("quantity", "1"))))
	if err != nil || n < minimum || n > 99 {
		return 0, errs.Invalid(errs.Field("quantity", "range", "field.range", "min", minimum, "max", 99))
	}
	return n, nil
}

func (s *Site) cartAdd(c *fiber.Ctx, v *ui.View) error {
	ctx := c.UserContext()
	v.Title, v.NoIndex = v.T("storefront.cart.title")+" — "+v.StoreName(), true
	sku := strings.TrimSpace(c.FormValue("sku"))
	n, err := quantity(c, 1)
	if err != nil || sku == "" || len(sku) > 64 {
		ct, _ := s.cart(c, "")
		return s.renderCart(c.Status(fiber.StatusUnprocessableEntity), v, ct, "", []string{s.message(v.Lang, errs.Invalid(errs.Field("quantity", "range", "field.range", "min", 1, "max", 99)))})
	}
	id := c.Cookies(cartCookie)
	var ct *cart.Cart
	if id != "" && len(id) <= 64 {
		ct, err = s.d.Carts.Add(ctx, id, sku, n)
	}
	if id == "" || len(id) > 64 || errs.CodeOf(err) == errs.CodeNotFound && isCartGone(err) {
		// No cart yet, or the cookie names none of this store's: a new one.
		nc, cerr := s.d.Carts.Create(ctx)
		if cerr != nil {
			return cerr
		}
		s.setCookie(c, cartCookie, nc.ID, time.Duration(s.cfg.CartDays)*24*time.Hour)
		ct, err = s.d.Carts.Add(ctx, nc.ID, sku, n)
	}
	if err != nil {
		if code := errs.CodeOf(err); code == errs.CodeInvalid || code == errs.CodeNotFound || code == errs.CodeConflict {
			cur, _ := s.cart(c, "")
			return s.renderCart(c.Status(fiber.StatusUnprocessableEntity), v, cur, "", []string{s.message(v.Lang, err)})
		}
		return err
	}
	s.track(c, Event{Name: "cart_added", Amount: ct.Totals.Total, Currency: ct.Totals.Currency, ProductID: productOf(ct, sku)})
	return c.Redirect(v.URL("/cart"), fiber.StatusSeeOther)
}

// isCartGone tells a missing cart from a missing SKU.
func isCartGone(err error) bool {
	var e *errs.Error
	if errors.As(err, &e) {
		return strings.Contains(e.Msg.ID, "cart.not_found") || e.Msg.ID == "cart.not_found"
	}
	return false
}

func productOf(ct *cart.Cart, sku string) *uuid.UUID {
	for _, l := range ct.Lines {
		if strings.EqualFold(l.SKU, sku) {
			id := l.ProductID
			return &id
		}
	}
	return nil
}

func (s *Site) cartUpdate(c *fiber.Ctx, v *ui.View) error {
	return s.cartChange(c, v, func(id, sku string) (*cart.Cart, error) {
		n, err := quantity(c, 0)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return s.d.Carts.Remove(c.UserContext(), id, sku)
		}
		return s.d.Carts.SetQuantity(c.UserContext(), id, sku, n)
	})
}

func (s *Site) cartRemove(c *fiber.Ctx, v *ui.View) error {
	return s.cartChange(c, v, func(id, sku string) (*cart.Cart, error) { return s.d.Carts.Remove(c.UserContext(), id, sku) })
}

func (s *Site) cartChange(c *fiber.Ctx, v *ui.View, change func(id, sku string) (*cart.Cart, error)) error {
	v.Title, v.NoIndex = v.T("storefront.cart.title")+" — "+v.StoreName(), true
	id, sku := c.Cookies(cartCookie), strings.TrimSpace(c.FormValue("sku"))
	if id == "" || len(id) > 64 || sku == "" || len(sku) > 64 {
		return c.Redirect(v.URL("/cart"), fiber.StatusSeeOther)
	}
	if _, err := change(id, sku); err != nil {
		if code := errs.CodeOf(err); code == errs.CodeInvalid || code == errs.CodeNotFound || code == errs.CodeConflict {
			ct, _ := s.cart(c, "")
			return s.renderCart(c.Status(fiber.StatusUnprocessableEntity), v, ct, "", []string{s.message(v.Lang, err)})
		}
		return err
	}
	return c.Redirect(v.URL("/cart"), fiber.StatusSeeOther)
}

// ---- checkout ----

// checkoutFields are the checkout form's fields, as the API names their
// errors (address.city → city).
var checkoutFields = []string{"name", "phone", "building_number", "street", "district", "city", "postal_code",
	"additional_number", "short_address", "notes", "method", "consent", "idem"}

func (s *Site) checkoutPage(c *fiber.Ctx, v *ui.View) error {
	v.Title, v.NoIndex = v.T("storefront.checkout.title")+" — "+v.StoreName(), true
	ct, err := s.cart(c, "")
	if err != nil {
		return err
	}
	// The city the shopper estimated shipping for, so the summary shows
	// the total they will pay.
	city := strings.TrimSpace(c.Query("city"))
	if len(city) > 100 {
		city = ""
	}
	if city != "" {
		if priced, err := s.cart(c, city); err == nil && priced != nil {
			ct = priced
		}
	}
	if ct == nil || ct.Items() == 0 {
		return c.Redirect(v.URL("/cart"), fiber.StatusSeeOther)
	}
	form := ui.Form{Fields: map[string]ui.Field{"idem": {Value: randomKey()}, "city": {Value: city}}}
	s.track(c, Event{Name: "checkout_started", Amount: ct.Totals.Total, Currency: ct.Totals.Currency})
	return s.renderCheckout(c, v, ct, form)
}

func (s *Site) renderCheckout(c *fiber.Ctx, v *ui.View, ct *cart.Cart, form ui.Form) error {
	methods, err := s.methods(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return s.render(c, ui.CheckoutView(v, ui.CheckoutPage{Cart: ct, Methods: methods, Form: form}), false)
}

// methods are the store's enabled payment providers, cash on delivery
// first.
func (s *Site) methods(c *fiber.Ctx) ([]string, error) {
	ps, err := s.d.Checkout.PaymentSettings(c.UserContext())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range ps {
		if p.Enabled {
			if p.Provider == "cod" {
				out = append([]string{"cod"}, out...)
			} else {
				out = append(out, p.Provider)
			}
		}
	}
	return out, nil
}

func (s *Site) checkoutPost(c *fiber.Ctx, v *ui.View) error {
	ctx := c.UserContext()
	v.Title, v.NoIndex = v.T("storefront.checkout.title")+" — "+v.StoreName(), true
	form := ui.Form{Fields: map[string]ui.Field{}}
	for _, f := range checkoutFields {
		form.Fields[f] = ui.Field{Value: strings.TrimSpace(c.FormValue(f))}
	}
	// A converted cart is read too: a second submit of the same form (a
	// double click) reaches Init, which answers the order the first made.
	ct, err := s.cartAny(c, form.Get("city"))
	if err != nil {
		return err
	}
	if ct == nil || len(ct.Lines) == 0 {
		return c.Redirect(v.URL("/cart"), fiber.StatusSeeOther)
	}
	set := func(name, msg string) {
		f := form.Fields[name]
		if f.Error == "" {
			f.Error = msg
			form.Fields[name] = f
		}
	}
	addr, fe := checkout.ParseAddress(checkout.AddressInput{BuildingNumber: form.Get("building_number"), Street: form.Get("street"),
		District: form.Get("district"), City: form.Get("city"), PostalCode: form.Get("postal_code"),
		AdditionalNumber: form.Get("additional_number"), ShortAddress: form.Get("short_address"), Notes: form.Get("notes")}, "")
	for _, f := range fe {
		set(f.Field, s.d.Texts.Message(v.Lang, f.Msg))
	}
	if n := form.Get("name"); n == "" || len(n) > 100 {
		set("name", s.d.Texts.Text(v.Lang, "field.required", nil))
	}
	phone, err := orders.ParsePhone(form.Get("phone"))
	if err != nil {
		set("phone", s.d.Texts.Text(v.Lang, "checkout.field.phone", nil))
	}
	for _, f := range []string{"street", "district", "city", "notes"} {
		if len(form.Get(f)) > 300 {
			set(f, s.d.Texts.Text(v.Lang, "field.max", map[string]any{"param": 300}))
		}
	}
	methods, err := s.methods(c)
	if err != nil {
		return err
	}
	method := form.Get("method")
	if !contains(methods, method) {
		set("method", s.d.Texts.Text(v.Lang, "field.required", nil))
	}
	if form.Get("consent") != "yes" {
		set("consent", v.T("storefront.checkout.consent_required"))
	}
	for _, f := range form.Fields {
		if f.Error != "" {
			form.Error = v.T("storefront.checkout.errors")
			return s.renderCheckout(c.Status(fiber.StatusUnprocessableEntity), v, ct, form)
		}
	}
	// The cart is the idempotency key: a second submit of the same cart
	// gets the order the first one made.
	res, err := s.d.Checkout.Init(ctx, checkout.InitRequest{CartID: ct.ID, CustomerName: form.Get("name"), CustomerPhone: phone,
		Locale: v.Lang, Address: addr, Method: method, Notes: form.Get("notes"), Actor: "customer:web"})
	if err != nil {
		if code := errs.CodeOf(err); code == errs.CodeInvalid || code == errs.CodeConflict || code == errs.CodeNotFound {
			form.Error = s.message(v.Lang, err)
			for _, f := range errs.FieldsOf(err) {
				set(strings.TrimPrefix(strings.TrimPrefix(f.Field, "address."), "customer."), s.d.Texts.Message(v.Lang, f.Msg))
			}
			return s.renderCheckout(c.Status(fiber.StatusUnprocessableEntity), v, ct, form)
		}
		return err
	}
	// Cash on delivery: the shopper placed it from a page that showed the
	// order in full, so this is also their confirmation.
	if res.Order.Status == orders.StatusPendingPayment && (res.Payment == nil || res.Payment.RedirectURL == "") {
		if res, err = s.d.Checkout.Confirm(ctx, res.Order.ID, "customer:web"); err != nil {
			return err
		}
	}
	// The order is made: the cart cookie goes (the cart is closed).
	c.Cookie(&fiber.Cookie{Name: cartCookie, Value: "", Path: "/", MaxAge: -1, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	if res.Payment != nil && res.Payment.RedirectURL != "" && res.Order.Status == orders.StatusPendingPayment {
		return c.Redirect(res.Payment.RedirectURL, fiber.StatusSeeOther)
	}
	return c.Redirect(v.URL("/checkout/done")+"?order="+res.Order.ID.String(), fiber.StatusSeeOther)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func randomKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// done is the order confirmation (also where the card provider returns
// the shopper): the order's number, lines and payment state, nothing
// personal.
func (s *Site) done(c *fiber.Ctx, v *ui.View) error {
	v.Title, v.NoIndex = v.T("storefront.done.title")+" — "+v.StoreName(), true
	id, err := uuid.Parse(c.Query("order"))
	if err != nil {
		return errs.New(errs.CodeNotFound, "orders.not_found")
	}
	d, err := s.d.Orders.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	state := "pending"
	switch {
	case d.Status == orders.StatusCancelled:
		state = "cancelled"
	case d.PaymentMethod == "cod" && d.Status != orders.StatusPendingPayment:
		state = "cod"
	case d.Status != orders.StatusPendingPayment:
		state = "paid"
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return s.render(c, ui.DoneView(v, ui.DonePage{Order: d.Order, Payment: state}), false)
}

// cancelled is where the card provider sends a shopper who gave up: the
// order's page, which says the payment did not complete.
func (s *Site) cancelled(c *fiber.Ctx, v *ui.View) error { return s.done(c, v) }

// ---- order lookup ----

func (s *Site) lookupPage(c *fiber.Ctx, v *ui.View) error {
	v.Title, v.NoIndex = v.T("storefront.lookup.title")+" — "+v.StoreName(), true
	return s.render(c, ui.LookupView(v, ui.LookupPage{Form: ui.Form{Fields: map[string]ui.Field{}}}), false)
}

func (s *Site) lookupPost(c *fiber.Ctx, v *ui.View) error {
	v.Title, v.NoIndex = v.T("storefront.lookup.title")+" — "+v.StoreName(), true
	form := ui.Form{Fields: map[string]ui.Field{"phone": {Value: c.FormValue("phone")}, "order_number": {Value: c.FormValue("order_number")}}}
	if len(form.Get("phone")) > 32 || len(form.Get("order_number")) > 24 {
		return errs.Invalid(errs.Field("phone", "max", "field.max", "param", 32))
	}
	d, err := s.d.Orders.LookupLimited(c.UserContext(), s.d.ClientIP(c), form.Get("phone"), form.Get("order_number"))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if err == nil {
		return s.render(c, ui.LookupView(v, ui.LookupPage{Form: form, Order: d}), false)
	}
	switch errs.CodeOf(err) {
	case errs.CodeInvalid:
		for _, f := range errs.FieldsOf(err) {
			fl := form.Fields[f.Field]
			fl.Error = s.d.Texts.Message(v.Lang, f.Msg)
			form.Fields[f.Field] = fl
		}
		c.Status(fiber.StatusUnprocessableEntity)
	case errs.CodeNotFound:
		form.Error = v.T("storefront.lookup.not_found")
		c.Status(fiber.StatusNotFound)
	case errs.CodeRateLimited:
		form.Error = v.T("storefront.lookup.limited")
		var e *errs.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
		}
		c.Status(fiber.StatusTooManyRequests)
	default:
		return err
	}
	return s.render(c, ui.LookupView(v, ui.LookupPage{Form: form}), false)
}
