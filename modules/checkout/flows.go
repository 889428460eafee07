package checkout

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/cart"
	"concierge/modules/orders"
	"concierge/modules/whatsapp/dialog"
	"concierge/plugins/payments"
)

// Checkout in WhatsApp. The cart's Checkout button begins it (Begin); the
// customer gives the address (the last order's is offered first): a
// location pin or step by step (name, city from the store's zones,
// district, street, building number, postal code), sees the summary with
// delivery and total, agrees to the use of their data for the order
// (recorded in the consent ledger), and picks how to pay. The order is
// created with the payment started by a job: cash on delivery sends the
// order with Confirm / Cancel buttons, a card sends the payment page's
// link. Leaving halfway and coming back resumes at the step left (the
// state is the conversation's).
//
// Reply ids:
//
//	checkout:start                  begin, or resume where the customer left
//	checkout:saved:yes|no           use the last order's address, or a new one
//	checkout:type                   type the address instead of a pin
//	checkout:city:<n> | city:other  a zone from the list, or another city
//	checkout:skip                   skip an optional field (after a pin)
//	checkout:agree | checkout:stop  consent to the order's use of data; leave
//	checkout:pay:<provider>         the payment method
//	checkout:cod_confirm:<order>    confirm a cash-on-delivery order
//	checkout:cod_cancel:<order>     cancel it

// FlowsName is the capability's name: its reply-id and step prefix.
const FlowsName = "checkout"

const (
	idConfirm = FlowsName + ":cod_confirm:"
	idCancel  = FlowsName + ":cod_cancel:"
)

// Steps (State.Step).
const (
	stepSaved    = FlowsName + ":saved"
	stepName     = FlowsName + ":name"
	stepLocation = FlowsName + ":location"
	stepCity     = FlowsName + ":city"
	stepDistrict = FlowsName + ":district"
	stepStreet   = FlowsName + ":street"
	stepBuilding = FlowsName + ":building"
	stepPostal   = FlowsName + ":postal"
	stepConsent  = FlowsName + ":consent"
	stepPay      = FlowsName + ":pay"
	stepPlaced   = FlowsName + ":placed"
)

// Keys kept in State.Data (all start with "co.": cleared when done).
const (
	dataName     = "co.name"
	dataCity     = "co.city"
	dataDistrict = "co.district"
	dataStreet   = "co.street"
	dataBuilding = "co.building"
	dataPostal   = "co.postal"
	dataLat      = "co.lat"
	dataLng      = "co.lng"
	dataPinNote  = "co.pin"
	dataAgreed   = "co.agreed"
	dataStep     = "co.step" // the step left, for resuming
	// dataPlaced is the last order placed here ("<text key>|<number>|<total>"),
	// kept after the answers are cleared, for a repeated tap.
	dataPlaced = "checkout.placed"
)

// waNumber is an E.164 number as WhatsApp ids are.
var waNumber = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ConsentPurpose is the consent ledger's purpose for an order's use of the
// customer's name, phone and address.
const ConsentPurpose = "order_fulfilment"

// Flows is checkout's part of the conversation.
type Flows struct {
	svc   *Service
	words dialog.Words
	// Browse is the id of "Continue shopping".
	Browse string
}

// NewFlows returns checkout's conversation steps.
func NewFlows(svc *Service, words dialog.Words, browse string) *Flows {
	return &Flows{svc: svc, words: words, Browse: browse}
}

// Name implements dialog.Capability.
func (f *Flows) Name() string { return FlowsName }

// MenuEntry implements dialog.Capability: checkout is reached from the cart.
func (f *Flows) MenuEntry(string) (dialog.Option, bool) { return dialog.Option{}, false }

// Begin starts (or resumes) checkout (cart.CheckoutStarter).
func (f *Flows) Begin(ctx context.Context, req dialog.Request) (dialog.Result, error) {
	t := f.newTurn(ctx, req)
	return t.Res, t.start()
}

// Handle implements dialog.Capability.
func (f *Flows) Handle(ctx context.Context, req dialog.Request) (dialog.Result, bool, error) {
	t := f.newTurn(ctx, req)
	var (
		claimed bool
		err     error
	)
	switch req.In.Kind {
	case dialog.KindButtonReply, dialog.KindListReply, dialog.KindTemplateButton:
		if id := strings.TrimSpace(req.In.ReplyID); strings.HasPrefix(id, FlowsName+":") {
			claimed, err = true, t.route(strings.TrimPrefix(id, FlowsName+":"))
		}
	case dialog.KindText:
		if strings.HasPrefix(req.State.Step, FlowsName+":") && req.State.Step != stepPlaced {
			claimed, err = true, t.typed(strings.TrimSpace(req.In.Text))
		}
	case dialog.KindLocation:
		if strings.HasPrefix(req.State.Step, FlowsName+":") && req.In.Location != nil {
			claimed, err = true, t.pin(req.In.Location)
		}
	}
	if err != nil || !claimed {
		return dialog.Result{}, false, err
	}
	return t.Res, true, nil
}

type turn struct {
	*dialog.Turn
	f *Flows
}

func (f *Flows) newTurn(ctx context.Context, req dialog.Request) *turn {
	return &turn{Turn: dialog.NewTurn(ctx, req, f.words, FlowsName), f: f}
}

// at moves the conversation to a checkout step, remembered so that a
// customer who leaves (to the cart, the menu, days later) resumes there.
func (t *turn) at(step string) {
	t.Res.State.Step = step
	t.Set(dataStep, step)
}

func (t *turn) customer() (uuid.UUID, bool) {
	id, err := uuid.Parse(t.Req.Customer.ID)
	return id, err == nil
}

// clear forgets the checkout's answers.
func (t *turn) clear() {
	for k := range t.Res.State.Data {
		if strings.HasPrefix(k, "co.") {
			delete(t.Res.State.Data, k)
		}
	}
}

func (t *turn) browse() dialog.Option {
	id := t.f.Browse
	if id == "" {
		id = dialog.IDMenu
	}
	return dialog.Option{ID: id, Title: t.Text("checkout.button.shop")}
}

// ---- routing ----

func (t *turn) route(id string) error {
	switch {
	case id == "start":
		return t.start()
	case id == "saved:yes":
		return t.summary()
	case id == "saved:no":
		t.clear()
		return t.askName()
	case id == "type":
		return t.askCity()
	case id == "skip":
		return t.skip()
	case id == "city:other":
		t.at(stepCity)
		t.Say(t.Text("checkout.ask.city_other"))
		return nil
	case strings.HasPrefix(id, "city:"):
		return t.pickCity(strings.TrimPrefix(id, "city:"))
	case id == "agree":
		return t.agree()
	case id == "stop":
		t.clear()
		t.Res.State.Step = dialog.StepMenu
		t.Buttons(t.Text("checkout.stopped"), dialog.Option{ID: "cart:view", Title: t.Text("checkout.button.cart")}, t.browse())
		return nil
	case strings.HasPrefix(id, "pay:"):
		return t.pay(strings.TrimPrefix(id, "pay:"))
	case strings.HasPrefix(id, "cod_confirm:"):
		return t.confirm(strings.TrimPrefix(id, "cod_confirm:"))
	case strings.HasPrefix(id, "cod_cancel:"):
		return t.cancel(strings.TrimPrefix(id, "cod_cancel:"))
	}
	t.Say(t.Text("checkout.unknown"))
	return nil
}

// typed answers the step the customer is at.
func (t *turn) typed(s string) error {
	if s == "" {
		return t.reprompt()
	}
	switch t.Res.State.Step {
	case stepName:
		if len([]rune(s)) > 100 {
			t.Say(t.Text("checkout.bad.name"))
			return nil
		}
		t.Set(dataName, s)
		return t.askLocation()
	case stepLocation, stepCity:
		return t.typedCity(s)
	case stepDistrict:
		t.Set(dataDistrict, clip(s, 100))
		return t.askStreet()
	case stepStreet:
		t.Set(dataStreet, clip(s, 200))
		return t.askBuilding()
	case stepBuilding:
		a, fe := ParseAddress(AddressInput{BuildingNumber: s, PostalCode: "00000", Street: "-", District: "-", City: "-"}, "")
		if len(fe) > 0 {
			t.Say(t.Text("checkout.bad.building"))
			return nil
		}
		t.Set(dataBuilding, a.BuildingNumber)
		return t.askPostal()
	case stepPostal:
		a, fe := ParseAddress(AddressInput{BuildingNumber: "0000", PostalCode: s, Street: "-", District: "-", City: "-"}, "")
		if len(fe) > 0 {
			t.Say(t.Text("checkout.bad.postal"))
			return nil
		}
		t.Set(dataPostal, a.PostalCode)
		return t.summary()
	}
	return t.reprompt()
}

// reprompt asks the current step's question again.
func (t *turn) reprompt() error {
	switch t.Res.State.Step {
	case stepSaved:
		return t.start()
	case stepName:
		return t.askName()
	case stepLocation:
		return t.askLocation()
	case stepCity:
		return t.askCity()
	case stepDistrict:
		return t.askDistrict()
	case stepStreet:
		return t.askStreet()
	case stepBuilding:
		return t.askBuilding()
	case stepPostal:
		return t.askPostal()
	case stepConsent, stepPay:
		return t.summary()
	}
	return t.start()
}

// ---- steps ----

// start begins checkout: an empty cart goes back to shopping; answers
// given before resume where they stopped; a returning customer is offered
// their last address.
func (t *turn) start() error {
	cid, ok := t.customer()
	if !ok {
		t.Say(t.Text("checkout.unavailable"))
		return nil
	}
	c, err := t.f.svc.carts.CustomerCart(t.Ctx, cid)
	if err != nil {
		return err
	}
	if len(c.Lines) == 0 {
		t.clear()
		t.Res.State.Step = dialog.StepMenu
		t.Buttons(t.Text("checkout.empty"), t.browse())
		return nil
	}
	dialog.Funnel(&t.Res, "checkout_started", "")
	if left := t.Data(dataStep); left != "" && left != stepSaved && t.Data(dataName) != "" {
		t.Res.State.Step = left
		t.Say(t.Text("checkout.resume"))
		return t.reprompt()
	}
	t.clear()
	var last *orders.Order
	err = t.f.svc.scope.InTenantTx(t.Ctx, func(ctx context.Context, tx bun.Tx) error {
		o, err := t.f.svc.orders.LatestForCustomerTx(ctx, tx, cid)
		if err == nil {
			last = o
		} else if !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if last == nil {
		return t.askName()
	}
	a := last.Address
	t.Set(dataName, last.CustomerName)
	t.Set(dataCity, a.City)
	t.Set(dataDistrict, a.District)
	t.Set(dataStreet, a.Street)
	t.Set(dataBuilding, a.BuildingNumber)
	t.Set(dataPostal, a.PostalCode)
	if l := a.Location; l != nil {
		t.Set(dataLat, strconv.FormatFloat(l.Lat, 'f', 6, 64))
		t.Set(dataLng, strconv.FormatFloat(l.Lng, 'f', 6, 64))
	}
	t.Set(dataPinNote, a.Notes)
	t.at(stepSaved)
	t.Buttons(t.Text("checkout.saved", "{name}", last.CustomerName, "{address}", addressText(a, t.Locale)),
		t.Opt("saved:yes", "checkout.button.use_saved"), t.Opt("saved:no", "checkout.button.new_address"), t.Opt("stop", "checkout.button.stop"))
	return nil
}

func (t *turn) askName() error {
	t.at(stepName)
	t.Say(t.Text("checkout.ask.name"))
	return nil
}

func (t *turn) askLocation() error {
	t.at(stepLocation)
	t.Buttons(t.Text("checkout.ask.location"), t.Opt("type", "checkout.button.type_address"))
	return nil
}

// pin takes a shared location: the street, building and postal code
// become optional.
func (t *turn) pin(l *dialog.Location) error {
	if l.Lat < -90 || l.Lat > 90 || l.Lng < -180 || l.Lng > 180 {
		t.Say(t.Text("checkout.bad.location"))
		return nil
	}
	t.Set(dataLat, strconv.FormatFloat(l.Lat, 'f', 6, 64))
	t.Set(dataLng, strconv.FormatFloat(l.Lng, 'f', 6, 64))
	t.Set(dataPinNote, clip(strings.TrimSpace(strings.Join(nonEmpty(l.Name, l.Address), " — ")), 300))
	t.Say(t.Text("checkout.pin_received"))
	return t.askCity()
}

// askCity offers the store's zones as a list (and "Other city" when the
// store delivers anywhere), or asks to type when there are none.
func (t *turn) askCity() error {
	t.at(stepCity)
	set, err := t.f.svc.carts.PricingSettings(t.Ctx)
	if err != nil {
		return err
	}
	var rows []dialog.Option
	for i, z := range set.Zones {
		if len(rows) == dialog.MaxListRows-1 {
			break
		}
		rows = append(rows, dialog.Option{ID: FlowsName + ":city:" + strconv.Itoa(i), Title: dialog.Clip(z.Name(t.Locale), dialog.MaxListTitle),
			Description: t.f.svc.money(z.Fee, set.Currency, t.Locale)})
	}
	if len(rows) == 0 {
		t.Say(t.Text("checkout.ask.city_other"))
		return nil
	}
	if set.DefaultFee != nil || len(set.Zones) > len(rows) {
		rows = append(rows, dialog.Option{ID: FlowsName + ":city:other", Title: t.Text("checkout.button.other_city")})
	}
	t.Res.Replies = append(t.Res.Replies, dialog.ListReply(t.Text("checkout.ask.city"), t.Text("checkout.button.cities"), rows))
	return nil
}

func (t *turn) pickCity(n string) error {
	set, err := t.f.svc.carts.PricingSettings(t.Ctx)
	if err != nil {
		return err
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= len(set.Zones) {
		return t.askCity()
	}
	t.Set(dataCity, set.Zones[i].Name(t.Locale))
	return t.askDistrict()
}

func (t *turn) typedCity(s string) error {
	set, err := t.f.svc.carts.PricingSettings(t.Ctx)
	if err != nil {
		return err
	}
	if !set.Ships(s) {
		t.Say(t.Text("checkout.bad.city", "{city}", clip(s, 100), "{cities}", set.ShipsTo()))
		return t.askCity()
	}
	if z, ok := set.Zone(s); ok {
		s = z.Name(t.Locale)
	}
	t.Set(dataCity, clip(s, 100))
	return t.askDistrict()
}

func (t *turn) askDistrict() error {
	t.at(stepDistrict)
	t.Say(t.Text("checkout.ask.district", "{city}", t.Data(dataCity)))
	return nil
}

func (t *turn) hasPin() bool { return t.Data(dataLat) != "" }

// ask asks a field's question; after a pin the field may be skipped.
func (t *turn) ask(step, key string) error {
	t.at(step)
	if t.hasPin() {
		t.Buttons(t.Text(key)+"\n\n"+t.Text("checkout.may_skip"), t.Opt("skip", "checkout.button.skip"))
		return nil
	}
	t.Say(t.Text(key))
	return nil
}

func (t *turn) askStreet() error   { return t.ask(stepStreet, "checkout.ask.street") }
func (t *turn) askBuilding() error { return t.ask(stepBuilding, "checkout.ask.building") }
func (t *turn) askPostal() error   { return t.ask(stepPostal, "checkout.ask.postal") }

// skip passes over an optional field (after a pin): the next step's
// question, or the summary after the last.
func (t *turn) skip() error {
	next := map[string]func() error{stepStreet: t.askBuilding, stepBuilding: t.askPostal, stepPostal: t.summary}[t.Res.State.Step]
	if !t.hasPin() || next == nil {
		return t.reprompt()
	}
	return next()
}

// address is the address the answers make.
func (t *turn) address() orders.Address {
	a := orders.Address{City: t.Data(dataCity), District: t.Data(dataDistrict), Street: t.Data(dataStreet),
		BuildingNumber: t.Data(dataBuilding), PostalCode: t.Data(dataPostal), Notes: t.Data(dataPinNote)}
	lat, err1 := strconv.ParseFloat(t.Data(dataLat), 64)
	lng, err2 := strconv.ParseFloat(t.Data(dataLng), 64)
	if err1 == nil && err2 == nil {
		a.Location = &orders.Location{Lat: lat, Lng: lng}
	}
	return a
}

// summary shows the order as it will be made and asks for consent.
func (t *turn) summary() error {
	cid, ok := t.customer()
	if !ok {
		t.Say(t.Text("checkout.unavailable"))
		return nil
	}
	if t.Data(dataName) == "" {
		return t.askName()
	}
	if t.Data(dataCity) == "" {
		return t.askCity()
	}
	c, err := t.f.svc.carts.CustomerCart(t.Ctx, cid)
	if err != nil {
		return err
	}
	if len(c.Lines) == 0 {
		return t.start()
	}
	var priced *cart.Cart
	err = t.f.svc.scope.InTenantTx(t.Ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		priced, _, err = t.f.svc.carts.ForCheckout(ctx, c.ID, t.Data(dataCity))
		return err
	})
	if err != nil {
		return err
	}
	tot := priced.Totals
	shipping := t.f.svc.money(tot.Shipping, priced.Currency, t.Locale)
	if tot.Shipping == 0 {
		shipping = t.Text("checkout.free")
	}
	t.Say(t.Text("checkout.summary", "{items}", cartItems(priced, t.Locale, t.f.svc), "{city}", t.Data(dataCity), "{shipping}", shipping,
		"{vat}", t.f.svc.money(tot.VAT, priced.Currency, t.Locale), "{total}", t.f.svc.money(tot.Total, priced.Currency, t.Locale),
		"{name}", t.Data(dataName), "{address}", addressText(t.address(), t.Locale)))
	t.at(stepConsent)
	t.Buttons(t.Text("checkout.consent", "{privacy_url}", t.Req.Tenant.PrivacyURL),
		t.Opt("agree", "checkout.button.agree"), t.Opt("saved:no", "checkout.button.change_address"), t.Opt("stop", "checkout.button.stop"))
	return nil
}

// agree records the consent and offers the payment methods.
func (t *turn) agree() error {
	if t.Res.State.Step != stepConsent && t.Res.State.Step != stepPay {
		return t.reprompt()
	}
	if t.Res.State.Step == stepConsent {
		t.Res.Effects = append(t.Res.Effects, dialog.Effect{Kind: dialog.EffectPurposeConsent, Value: ConsentPurpose + "@" + t.Req.Tenant.NoticeVersion})
	}
	t.Set(dataAgreed, "1")
	var names []string
	err := t.f.svc.scope.InTenantTx(t.Ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		names, err = t.f.svc.enabledNames(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	if len(names) == 0 {
		t.Res.State.Step = dialog.StepMenu
		t.Buttons(t.Text("checkout.no_methods"), dialog.Option{ID: dialog.IDHandoff, Title: t.Text("checkout.button.staff")})
		return nil
	}
	t.at(stepPay)
	var opts []dialog.Option
	for _, n := range names {
		if len(opts) == dialog.MaxButtons {
			break
		}
		opts = append(opts, dialog.Option{ID: FlowsName + ":pay:" + n, Title: t.methodName(n)})
	}
	t.Buttons(t.Text("checkout.ask.payment"), opts...)
	return nil
}

// methodName is a provider's name for customers: bot text
// checkout.method.<name>, else the name itself.
func (t *turn) methodName(n string) string {
	key := "checkout.method." + n
	if s := t.Text(key); s != "" && s != key && !strings.Contains(s, "bot.") {
		return s
	}
	return n
}

// pay creates the order and starts its payment.
func (t *turn) pay(method string) error {
	if t.Data(dataAgreed) != "1" {
		if placed := t.Data(dataPlaced); t.Res.State.Step == stepPlaced && placed != "" {
			// A second tap on the button that placed the order: say so again.
			key, rest, _ := strings.Cut(placed, "|")
			number, total, _ := strings.Cut(rest, "|")
			t.Say(t.Text(key, "{order}", number, "{total}", total))
			return nil
		}
		return t.summary()
	}
	cid, ok := t.customer()
	if !ok {
		t.Say(t.Text("checkout.unavailable"))
		return nil
	}
	c, err := t.f.svc.carts.CustomerCart(t.Ctx, cid)
	if err != nil {
		return err
	}
	if len(c.Lines) == 0 {
		return t.start()
	}
	// The WhatsApp id is the customer's number, verified by WhatsApp: it
	// is taken as it is when the number plan does not know it.
	wa := "+" + strings.TrimPrefix(t.Req.Customer.WAID, "+")
	phone, err := orders.ParsePhone(wa)
	if err != nil && waNumber.MatchString(wa) {
		phone = wa
	}
	res, err := t.f.svc.Init(t.Ctx, InitRequest{CartID: c.ID, CustomerName: t.Data(dataName), CustomerPhone: phone, CustomerID: &cid,
		Locale: t.Locale, Address: t.address(), Method: method, Actor: "customer:" + cid.String(), Deferred: true})
	if err != nil {
		return t.refused(err)
	}
	t.clear()
	t.Res.State.Step = stepPlaced
	o := res.Order
	key := "checkout.placed.redirect"
	if p, ok := t.f.svc.providers.Get(method); ok && p.Capabilities().CustomerConfirms {
		key = "checkout.placed.confirm"
	}
	total := t.f.svc.money(o.Totals.Total, o.Totals.Currency, t.Locale)
	t.Set(dataPlaced, key+"|"+numberOf(o)+"|"+total)
	t.Say(t.Text(key, "{order}", numberOf(o), "{total}", total))
	return nil
}

// refused explains why the order could not be made.
func (t *turn) refused(err error) error {
	switch errs.CodeOf(err) {
	case errs.CodeInvalid, errs.CodeConflict:
	default:
		return err
	}
	msg := err.Error()
	for _, f := range errs.FieldsOf(err) {
		switch f.Code {
		case "max_order_total":
			t.Buttons(t.Text("checkout.cod_limit"), t.methodOptions("cod")...)
			return nil
		case "max_refusals":
			t.Buttons(t.Text("checkout.cod_refusals"), t.methodOptions("cod")...)
			return nil
		case "not_served":
			t.at(stepCity)
			t.Say(t.Text("checkout.bad.city_short"))
			return t.askCity()
		}
	}
	switch {
	case strings.Contains(msg, "sold_out"), strings.Contains(msg, "stock"):
		t.Res.State.Step = dialog.StepMenu
		t.Buttons(t.Text("checkout.sold_out"), dialog.Option{ID: "cart:view", Title: t.Text("checkout.button.cart")}, t.browse())
	default:
		t.Res.State.Step = dialog.StepMenu
		t.Buttons(t.Text("checkout.failed"), dialog.Option{ID: "cart:view", Title: t.Text("checkout.button.cart")},
			dialog.Option{ID: dialog.IDHandoff, Title: t.Text("checkout.button.staff")})
	}
	return nil
}

// methodOptions are the enabled methods other than skip.
func (t *turn) methodOptions(skip string) []dialog.Option {
	var names []string
	_ = t.f.svc.scope.InTenantTx(t.Ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		names, err = t.f.svc.enabledNames(ctx, tx)
		return err
	})
	var opts []dialog.Option
	for _, n := range names {
		if n != skip && len(opts) < dialog.MaxButtons-1 {
			opts = append(opts, dialog.Option{ID: FlowsName + ":pay:" + n, Title: t.methodName(n)})
		}
	}
	return append(opts, dialog.Option{ID: dialog.IDHandoff, Title: t.Text("checkout.button.staff")})
}

// ownOrder reads an order of this customer. Errors: not_found.
func (t *turn) ownOrder(id string) (uuid.UUID, error) {
	oid, err := uuid.Parse(id)
	cid, ok := t.customer()
	if err != nil || !ok {
		return uuid.Nil, orders.ErrNotFound
	}
	err = t.f.svc.scope.InTenantTx(t.Ctx, func(ctx context.Context, tx bun.Tx) error {
		o, err := t.f.svc.orders.GetTx(ctx, tx, oid, false)
		if err != nil {
			return err
		}
		if o.CustomerID == nil || *o.CustomerID != cid {
			if o.CustomerPhone != "+"+strings.TrimPrefix(t.Req.Customer.WAID, "+") {
				return orders.ErrNotFound
			}
		}
		return nil
	})
	return oid, err
}

// confirm is the Confirm button of a cash-on-delivery order: the
// confirmation itself is the customer's notification.
func (t *turn) confirm(id string) error {
	oid, err := t.ownOrder(id)
	if err == nil {
		_, err = t.f.svc.Confirm(t.Ctx, oid, "customer:"+t.Req.Customer.ID)
	}
	if t.Res.State.Step == stepPlaced {
		t.Res.State.Step = dialog.StepMenu
	}
	switch {
	case err == nil:
		t.Say(t.Text("checkout.confirmed_ack"))
		return nil
	case errors.Is(err, errs.ErrNotFound):
		t.Say(t.Text("checkout.order_unknown"))
		return nil
	case errors.Is(err, errs.ErrConflict):
		t.Buttons(t.Text("checkout.confirm_too_late"), dialog.Option{ID: "cart:view", Title: t.Text("checkout.button.cart")},
			dialog.Option{ID: dialog.IDHandoff, Title: t.Text("checkout.button.staff")})
		return nil
	}
	return err
}

// cancel is the Cancel button of a cash-on-delivery order.
func (t *turn) cancel(id string) error {
	oid, err := t.ownOrder(id)
	if err == nil {
		err = t.f.svc.CancelPending(t.Ctx, oid, "customer:"+t.Req.Customer.ID)
	}
	if t.Res.State.Step == stepPlaced {
		t.Res.State.Step = dialog.StepMenu
	}
	switch {
	case err == nil:
		t.Buttons(t.Text("checkout.cancelled_ack"), dialog.Option{ID: "cart:view", Title: t.Text("checkout.button.cart")}, t.browse())
		return nil
	case errors.Is(err, errs.ErrNotFound):
		t.Say(t.Text("checkout.order_unknown"))
		return nil
	case errors.Is(err, errs.ErrConflict):
		t.Buttons(t.Text("checkout.cancel_too_late"), dialog.Option{ID: dialog.IDHandoff, Title: t.Text("checkout.button.staff")})
		return nil
	}
	return err
}

// CancelPending is the customer's cancellation of an order still waiting
// for payment or confirmation: its payment is cancelled and, for cash on
// delivery, the order with it (stock given back). Cancelling again
// answers the same. Errors: not_found, conflict (confirmed already: staff
// cancel it).
func (s *Service) CancelPending(ctx context.Context, orderID uuid.UUID, actor string) error {
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, err := s.orders.GetTx(ctx, tx, orderID, true)
		if err != nil {
			return err
		}
		switch o.Status {
		case orders.StatusCancelled:
			return nil
		case orders.StatusPendingPayment:
		default:
			return errs.New(errs.CodeConflict, "checkout.cancel.confirmed")
		}
		pay, err := getPayment(ctx, tx, true, "order_id = ? AND status IN ('pending', 'requires_action', 'authorized')", o.ID)
		if err != nil {
			return err
		}
		if pay == nil {
			if err := s.release(ctx, tx, o); err != nil {
				return err
			}
			return s.orders.MoveTx(ctx, tx, o, orders.StatusCancelled, orders.Event{Kind: "cancelled", Actor: actor})
		}
		p, ok := s.providers.Get(pay.Provider)
		if !ok {
			return errs.New(errs.CodeConflict, "checkout.field.method_unknown")
		}
		if _, err := s.apply(ctx, tx, p, o, pay, payments.Event{ID: "customer_cancel:" + pay.ID.String(), Kind: payments.EventCancelled}, actor); err != nil {
			return err
		}
		if o.Status == orders.StatusPendingPayment {
			// A hosted payment's order would stay payable: the customer
			// asked to cancel the order itself.
			if err := s.orders.MoveTx(ctx, tx, o, orders.StatusCancelled, orders.Event{Kind: "cancelled", Actor: actor}); err != nil {
				return err
			}
		}
		if pay.Ref != "" && p.Capabilities().Redirect {
			t, _ := tenantOf(ctx)
			return s.jobs.InsertTx(ctx, tx, CancelArgs{TenantID: t.ID, PaymentID: pay.ID}, nil)
		}
		return nil
	})
}

// clip cuts s to n characters (what the columns count), for stored text.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}
