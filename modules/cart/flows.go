package cart

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/modules/catalog"
	"concierge/modules/whatsapp/dialog"
)

// Flows is the cart's part of the WhatsApp conversation (a dialog.Capability
// named "cart", with keywords): adding a product from its detail, the
// quantity, the cart with its totals, editing lines, and the checkout
// button. It is the catalog flows' CartOffer (the "Add to cart" button on a
// product) and works on the customer's one open cart (dialog.Customer.ID),
// inside the conversation worker's transaction.
//
// # Reply ids
//
//	cart:add:<productID>:<variantID>          the quantity list (the catalog's "Add to cart")
//	cart:q:<productID>:<variantID>:<n>:<seq>  add n; seq numbers the prompt, so a double tap adds once
//	cart:other:<productID>:<variantID>:<seq>  "Other quantity": type a number
//	cart:view                                 the cart
//	cart:edit[:<offset>]                      the lines, to pick one to change
//	cart:line:<variantID>                     one line: type a new quantity, or Remove
//	cart:rm:<variantID>                       remove the line
//	cart:checkout                             checkout (modules/checkout's steps; staff without them)
//
// # Steps and state
//
// State.Step is "cart:qty" (waiting for a typed quantity to add),
// "cart:added", "cart:view", "cart:empty", "cart:edit", "cart:line" (waiting
// for a typed quantity to set) or "cart:checkout". State.Data keeps
// "cart.variant" (<productID>:<variantID> of the quantity prompt),
// "cart.prompt" (its number), "cart.seq" (the last prompt number),
// "cart.used" (the prompt numbers already added, newest last, at most 20)
// and "cart.line" (the variant of the line being edited).
//
// # Typed text
//
// A text whose last chat code is a cart code ("[#C-…]", the storefront
// cart's Chat to order, see CartTextFor and flows_handoff.go) comes here
// before anything else (dialog.Preemptive): the web cart's lines are copied
// into the customer's cart, which is shown.
//
// "السلة", "سلتي", "cart", "view cart", "show my cart please" from anywhere
// show the cart (the engine offers them here first, see dialog.Keyworded).
// While a quantity is awaited, the text is read as one: digits in any script
// ("٣" = 3), a number word up to ten ("ثلاثة", "three"), with or without a
// unit ("٣ قطع", "2 pcs"); anything else ("ثلاثة آلاف", "-1", "abc", "1e9",
// "0", "1000") gets an answer that says what is wanted, with a way out. After
// the cart was shown, a typed city that is one of the store's shipping zones
// sets the delivery city, so the cart shows the fee. Other text is left to
// the other capabilities (the catalog's search).
type Flows struct {
	svc      *Service
	words    dialog.Words
	keywords dialog.Phrases
	// Browse is the id of "Continue shopping" (the catalog's menu entry,
	// "menu:catalog"); "" means the main menu.
	Browse string
	// Checkout begins the checkout conversation from the cart's Checkout
	// button (modules/checkout's flows); nil: checkout is not offered here
	// and staff take the order.
	Checkout CheckoutStarter
}

// CheckoutStarter begins checkout in the chat.
type CheckoutStarter interface {
	Begin(ctx context.Context, req dialog.Request) (dialog.Result, error)
}

// NewFlows returns the cart's conversation steps over svc, speaking with
// words (the tenant's overrides, else the catalog's bot.cart.* messages).
func NewFlows(svc *Service, words dialog.Words, browse string) *Flows {
	return &Flows{svc: svc, words: words, Browse: browse, keywords: dialog.NewPhrases(
		"cart", "my cart", "view cart", "show cart", "see cart", "open cart", "shopping cart", "basket", "shopping basket",
		"السلة", "سلة", "سلتي", "سلة المشتريات", "سلة التسوق", "عربة التسوق", "عربتي", "عرض السلة", "اعرض السلة",
		"شوف السلة", "اشوف السلة", "وريني السلة", "وش في السلة", "ماذا في السلة",
	)}
}

// FlowsName is the capability's name: its reply-id and step prefix.
const FlowsName = "cart"

// Steps the flows write to State.Step.
const (
	stepQty      = FlowsName + ":qty"
	stepAdded    = FlowsName + ":added"
	stepView     = FlowsName + ":view"
	stepEmpty    = FlowsName + ":empty"
	stepEdit     = FlowsName + ":edit"
	stepLine     = FlowsName + ":line"
	stepCheckout = FlowsName + ":checkout"
)

// Keys the flows keep in State.Data.
const (
	dataVariant = "cart.variant"
	dataPrompt  = "cart.prompt"
	dataSeq     = "cart.seq"
	dataUsed    = "cart.used"
	dataLine    = "cart.line"
)

// maxUsed bounds the prompt numbers remembered as added.
const maxUsed = 20

// Name implements dialog.Capability.
func (f *Flows) Name() string { return FlowsName }

// MenuEntry implements dialog.Capability: the cart stays out of the main
// menu (it is reached from a product, from its buttons, and by typing
// "cart" / "السلة" anywhere).
func (f *Flows) MenuEntry(string) (dialog.Option, bool) { return dialog.Option{}, false }

// Keywords implements dialog.Keyworded.
func (f *Flows) Keywords() dialog.Phrases { return f.keywords }

// AddButton implements catalog.CartOffer: "Add to cart" for an available
// variant.
func (f *Flows) AddButton(ctx context.Context, req dialog.Request, p catalog.Product, v catalog.Variant) (dialog.Option, bool) {
	if !v.Available() {
		return dialog.Option{}, false
	}
	return dialog.Option{ID: "cart:add:" + p.ID.String() + ":" + v.ID.String(),
		Title: f.words.Text(ctx, req.Locale(), "cart.button.add")}, true
}

// Handle implements dialog.Capability.
func (f *Flows) Handle(ctx context.Context, req dialog.Request) (dialog.Result, bool, error) {
	t := &turn{f: f, ctx: ctx, req: req, locale: req.Locale()}
	t.res.State = req.State
	t.res.State.Data = maps.Clone(req.State.Data)
	if t.res.State.Data == nil {
		t.res.State.Data = map[string]string{}
	}
	var (
		claimed bool
		err     error
	)
	switch req.In.Kind {
	case dialog.KindButtonReply, dialog.KindListReply, dialog.KindTemplateButton:
		if id := strings.TrimSpace(req.In.ReplyID); strings.HasPrefix(id, FlowsName+":") {
			claimed, err = t.route(strings.TrimPrefix(id, FlowsName+":"))
		}
	case dialog.KindText:
		if c, ok := cartCode(req.In.Text); ok { // a web cart's hand-off (flows_handoff.go)
			claimed, err = true, t.handoff(c)
		} else {
			claimed, err = t.typed(req.In.Text)
		}
	}
	if err != nil || !claimed {
		return dialog.Result{}, false, err
	}
	return t.res, true, nil
}

// turn is the working state of one Handle call.
type turn struct {
	f      *Flows
	ctx    context.Context
	req    dialog.Request
	locale string
	res    dialog.Result
}

// customer is the turn's customer, or false when the channel gave none.
func (t *turn) customer() (uuid.UUID, bool) {
	id, err := uuid.Parse(t.req.Customer.ID)
	return id, err == nil && id != uuid.Nil
}

// route answers a reply id (without "cart:"); false for one it does not know.
func (t *turn) route(id string) (bool, error) {
	p := strings.Split(id, ":")
	uid := func(i int) (uuid.UUID, bool) {
		if i >= len(p) {
			return uuid.Nil, false
		}
		u, err := uuid.Parse(p[i])
		return u, err == nil
	}
	num := func(i int) (int, bool) {
		if i >= len(p) {
			return 0, false
		}
		n, err := strconv.Atoi(p[i])
		return n, err == nil && n >= 0 && n < 1_000_000
	}
	if _, ok := t.customer(); !ok {
		t.say(t.text("cart.unavailable"))
		return true, nil
	}
	switch {
	case len(p) == 3 && p[0] == "add":
		pid, ok1 := uid(1)
		vid, ok2 := uid(2)
		if ok1 && ok2 {
			return true, t.prompt(pid, vid)
		}
	case len(p) == 5 && p[0] == "q":
		pid, ok1 := uid(1)
		vid, ok2 := uid(2)
		n, ok3 := num(3)
		seq, ok4 := num(4)
		if ok1 && ok2 && ok3 && ok4 && n >= 1 && n <= MaxQuantity {
			return true, t.addQuantity(pid, vid, n, seq)
		}
	case len(p) == 4 && p[0] == "other":
		pid, ok1 := uid(1)
		vid, ok2 := uid(2)
		seq, ok3 := num(3)
		if ok1 && ok2 && ok3 {
			return true, t.other(pid, vid, seq)
		}
	case len(p) == 1 && p[0] == "view":
		return true, t.view("")
	case len(p) == 1 && p[0] == "edit":
		return true, t.edit(0)
	case len(p) == 2 && p[0] == "edit":
		if n, ok := num(1); ok {
			return true, t.edit(n)
		}
	case len(p) == 2 && p[0] == "line":
		if vid, ok := uid(1); ok {
			return true, t.line(vid)
		}
	case len(p) == 2 && p[0] == "rm":
		if vid, ok := uid(1); ok {
			return true, t.removeLine(vid)
		}
	case len(p) == 1 && p[0] == "checkout":
		return true, t.checkout()
	}
	return false, nil
}

// typed answers a typed text: the cart's keywords, a quantity the flows
// asked for, or a city after the cart was shown; false leaves it to others.
func (t *turn) typed(s string) (bool, error) {
	if t.f.keywords.Match(s) {
		if _, ok := t.customer(); !ok {
			t.say(t.text("cart.unavailable"))
			return true, nil
		}
		return true, t.view("")
	}
	if _, ok := t.customer(); !ok {
		return false, nil
	}
	switch t.req.State.Step {
	case stepQty:
		return true, t.typedAdd(s)
	case stepLine:
		return true, t.typedSet(s)
	case stepView, stepAdded, stepEdit, stepCheckout:
		return t.typedCity(s)
	}
	return false, nil
}

// ---- adding ----

// prompt asks how many of variant vid of product pid to add.
func (t *turn) prompt(pid, vid uuid.UUID) error {
	p, v, ok, err := t.variant(pid, vid)
	if err != nil || !ok {
		return err
	}
	seq := t.nextSeq()
	t.step(stepQty)
	t.res.State.Data[dataVariant] = pid.String() + ":" + vid.String()
	t.res.State.Data[dataPrompt] = strconv.Itoa(seq)
	var rows []dialog.Option
	for n := 1; n <= 3 && (v.Stock == nil || n <= *v.Stock); n++ {
		rows = append(rows, t.quantityButton(pid, vid, n, seq, dialog.Number(n, t.locale)))
	}
	rows = append(rows, dialog.Option{ID: "cart:other:" + pid.String() + ":" + vid.String() + ":" + strconv.Itoa(seq),
		Title: t.text("cart.qty.other"), Description: t.text("cart.qty.other_desc")})
	t.res.Replies = append(t.res.Replies, dialog.ListReply(t.text("cart.qty.prompt", "{product}", productName(p, v, t.locale)),
		t.text("cart.qty.button"), rows))
	return nil
}

// other asks for a typed quantity of the prompt seq's variant (the
// quantity list's "Other quantity").
func (t *turn) other(pid, vid uuid.UUID, seq int) error {
	p, v, ok, err := t.variant(pid, vid)
	if err != nil || !ok {
		return err
	}
	t.step(stepQty)
	t.res.State.Data[dataVariant] = pid.String() + ":" + vid.String()
	t.res.State.Data[dataPrompt] = strconv.Itoa(seq)
	t.buttons(t.text("cart.qty.type", "{product}", productName(p, v, t.locale)), t.viewButton(), t.shopButton())
	return nil
}

func (t *turn) quantityButton(pid, vid uuid.UUID, n, seq int, title string) dialog.Option {
	return dialog.Option{ID: "cart:q:" + pid.String() + ":" + vid.String() + ":" + strconv.Itoa(n) + ":" + strconv.Itoa(seq), Title: title}
}

// typedAdd reads a typed quantity for the pending prompt.
func (t *turn) typedAdd(s string) error {
	pid, vid, ok := t.pending()
	if !ok {
		return t.view("")
	}
	n, problem := parseQuantity(s)
	if problem == "" && n == 0 {
		problem = qtyTooSmall
	}
	if problem != "" {
		return t.quantityProblem(problem)
	}
	seq, _ := strconv.Atoi(t.res.State.Data[dataPrompt])
	return t.addQuantity(pid, vid, n, seq)
}

// pending is the variant of the open quantity prompt.
func (t *turn) pending() (uuid.UUID, uuid.UUID, bool) {
	a, b, _ := strings.Cut(t.res.State.Data[dataVariant], ":")
	pid, err1 := uuid.Parse(a)
	vid, err2 := uuid.Parse(b)
	return pid, vid, err1 == nil && err2 == nil
}

// addQuantity adds n of the variant, once per prompt seq.
func (t *turn) addQuantity(pid, vid uuid.UUID, n, seq int) error {
	if t.used(seq) {
		c, err := t.current()
		if err != nil {
			return err
		}
		t.step(stepAdded)
		t.buttons(t.text("cart.already")+"\n"+t.summary(c), t.afterAddButtons()...)
		return nil
	}
	p, v, ok, err := t.variant(pid, vid)
	if err != nil || !ok {
		return err
	}
	cid, _ := t.customer()
	c, err := t.f.svc.change(t.ctx, target{customer: cid, create: true}, func(w *working) error {
		// The variant as the cart's transaction sees it (stock, price), not
		// as the catalog's cache showed it.
		vs, err := w.s.catalog.SaleVariants(w.ctx, w.tx, []uuid.UUID{vid})
		if err != nil {
			return err
		}
		sv, ok := vs[vid]
		if !ok {
			return errUnknownSKU(v.SKU)
		}
		return w.add(sv, n)
	})
	if err != nil {
		return t.refused(err, p, v, pid, vid, seq)
	}
	t.markUsed(seq)
	dialog.Funnel(&t.res, "cart_added", pid.String())
	delete(t.res.State.Data, dataVariant)
	delete(t.res.State.Data, dataPrompt)
	t.step(stepAdded)
	name := productName(p, v, t.locale)
	t.buttons(t.text("cart.added", "{qty}", dialog.Number(n, t.locale), "{product}", name)+"\n"+t.summary(c), t.afterAddButtons()...)
	return nil
}

// refused answers a change the cart refused: stock, a line over 999, a full
// cart, a variant no longer sold. Other errors fail the turn.
func (t *turn) refused(err error, p *catalog.Product, v catalog.Variant, pid, vid uuid.UUID, seq int) error {
	name := productName(p, v, t.locale)
	var se *stockError
	switch {
	case errors.As(err, &se):
		body := t.stockText(se, name, true)
		opts := []dialog.Option{}
		if room := se.Available - se.InCart; room > 0 && seq > 0 && !t.used(seq) && t.req.State.Step != stepLine {
			opts = append(opts, t.quantityButton(pid, vid, room, seq, t.text("cart.button.add_n", "{n}", dialog.Number(room, t.locale))))
		}
		t.buttons(body, append(opts, t.viewButton(), t.shopButton())...)
		return nil
	case errs.CodeOf(err) == errs.CodeInvalid && hasField(err, "sku"):
		t.step(stepView)
		t.buttons(t.text("cart.gone"), t.viewButton(), t.shopButton())
		return nil
	case errs.CodeOf(err) == errs.CodeInvalid && hasField(err, "quantity"):
		in := 0
		if c, cerr := t.current(); cerr == nil {
			if i := slices.IndexFunc(c.Lines, func(l Line) bool { return l.VariantID == v.ID }); i >= 0 {
				in = c.Lines[i].Quantity
			}
		}
		t.buttons(t.text("cart.line_max", "{in_cart}", dialog.Number(in, t.locale)), t.viewButton(), t.shopButton())
		return nil
	case errs.CodeOf(err) == errs.CodeConflict:
		t.step(stepView)
		t.buttons(t.text("cart.full", "{max}", dialog.Number(MaxLines, t.locale)), t.editButton(), t.viewButton())
		return nil
	case errs.CodeOf(err) == errs.CodeInvalid: // the cart's value over the limit
		t.buttons(t.text("cart.too_large"), t.editButton(), t.viewButton())
		return nil
	}
	return err
}

// stockText says how many of product name are left: none, or how many
// (and, adding with inCart, how many the cart already holds).
func (t *turn) stockText(se *stockError, name string, inCart bool) string {
	switch {
	case se.Available <= 0:
		return t.text("cart.sold_out", "{product}", name)
	case inCart && se.InCart > 0:
		return t.text("cart.stock_in_cart", "{product}", name, "{available}", dialog.Number(se.Available, t.locale),
			"{in_cart}", dialog.Number(se.InCart, t.locale))
	}
	return t.text("cart.stock", "{product}", name, "{available}", dialog.Number(se.Available, t.locale))
}

// quantityProblem explains what a typed quantity must be, keeping the
// prompt open, with a way out.
func (t *turn) quantityProblem(problem string) error {
	t.buttons(t.text("cart.qty."+problem), t.viewButton(), t.shopButton())
	return nil
}

// variant reads product pid and its variant vid; when either is gone the
// customer is told and ok is false.
func (t *turn) variant(pid, vid uuid.UUID) (*catalog.Product, catalog.Variant, bool, error) {
	p, err := t.f.svc.catalog.Product(t.ctx, pid.String())
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return nil, catalog.Variant{}, false, err
	}
	i := -1
	if p != nil {
		i = slices.IndexFunc(p.Variants, func(v catalog.Variant) bool { return v.ID == vid })
	}
	t.step(stepView)
	switch {
	case i >= 0 && p.Variants[i].Available():
		return p, p.Variants[i], true, nil
	case i >= 0:
		t.buttons(t.text("cart.sold_out", "{product}", productName(p, p.Variants[i], t.locale)), t.viewButton(), t.shopButton())
	default:
		t.buttons(t.text("cart.gone"), t.viewButton(), t.shopButton())
	}
	return nil, catalog.Variant{}, false, nil
}

// ---- the cart ----

// view shows the cart (a read: price changes are shown once), after note
// when given.
func (t *turn) view(note string) error {
	c, err := t.read()
	if err != nil {
		return err
	}
	return t.show(c, note)
}

// show shows cart c: its lines and totals with Checkout, Edit and Continue
// shopping; an empty cart says so and offers browsing.
func (t *turn) show(c *Cart, note string) error {
	prefix := ""
	if note != "" {
		prefix = note + "\n\n"
	}
	if c == nil || len(c.Lines) == 0 {
		t.step(stepEmpty)
		t.buttons(prefix+t.text("cart.empty"), t.browseButton())
		return nil
	}
	t.step(stepView)
	body := prefix + t.cartText(c)
	opts := []dialog.Option{{ID: "cart:checkout", Title: t.text("cart.button.checkout")}, t.editButton(), t.shopButton()}
	if len([]rune(body)) > maxBody {
		t.say(body)
		t.buttons(t.text("cart.view.prompt"), opts...)
		return nil
	}
	t.buttons(body, opts...)
	return nil
}

// maxBody is WhatsApp's limit on an interactive message's body.
const maxBody = 1024

// read is the customer's cart as a read (nil when there is none).
func (t *turn) read() (*Cart, error) {
	cid, _ := t.customer()
	c, err := t.f.svc.read(t.ctx, target{customer: cid}, true, "")
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil
	}
	return c, err
}

// current is the customer's cart without acknowledging price changes (nil
// when there is none).
func (t *turn) current() (*Cart, error) {
	cid, _ := t.customer()
	c, err := t.f.svc.read(t.ctx, target{customer: cid}, false, "")
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil
	}
	return c, err
}

// edit lists the lines from the offset-th on, to pick one.
func (t *turn) edit(offset int) error {
	c, err := t.read()
	if err != nil || c == nil || len(c.Lines) == 0 {
		if err != nil {
			return err
		}
		return t.show(c, "")
	}
	rows := make([]dialog.Option, 0, len(c.Lines))
	for _, l := range c.Lines {
		desc := dialog.Number(l.Quantity, t.locale) + " × " + t.money(l.UnitPrice, c.Currency)
		if o := l.Options(t.locale); o != "" {
			desc += " · " + o
		}
		rows = append(rows, dialog.Option{ID: "cart:line:" + l.VariantID.String(), Title: l.Title(t.locale), Description: desc})
	}
	if offset >= len(rows) {
		offset = 0
	}
	rows = rows[offset:]
	if len(rows) > dialog.MaxListRows {
		next := offset + dialog.MaxListRows - 1
		rows = append(rows[:dialog.MaxListRows-1:dialog.MaxListRows-1], dialog.Option{ID: "cart:edit:" + strconv.Itoa(next),
			Title: t.text("cart.edit.more"), Description: t.text("cart.edit.more_desc")})
	}
	t.step(stepEdit)
	t.res.Replies = append(t.res.Replies, dialog.ListReply(t.text("cart.edit.body"), t.text("cart.edit.button"), rows))
	return nil
}

// line asks for a line's new quantity.
func (t *turn) line(vid uuid.UUID) error {
	c, err := t.current()
	if err != nil {
		return err
	}
	i := -1
	if c != nil {
		i = slices.IndexFunc(c.Lines, func(l Line) bool { return l.VariantID == vid })
	}
	if i < 0 {
		return t.view(t.text("cart.line.gone"))
	}
	l := c.Lines[i]
	t.step(stepLine)
	t.res.State.Data[dataLine] = vid.String()
	t.buttons(t.text("cart.line.prompt", "{product}", lineName(l, t.locale), "{qty}", dialog.Number(l.Quantity, t.locale)),
		dialog.Option{ID: "cart:rm:" + vid.String(), Title: t.text("cart.button.remove")}, t.viewButton())
	return nil
}

// typedSet reads a typed quantity for the line being edited (0 removes).
func (t *turn) typedSet(s string) error {
	vid, err := uuid.Parse(t.res.State.Data[dataLine])
	if err != nil {
		return t.view("")
	}
	n, problem := parseQuantity(s)
	if problem != "" {
		t.buttons(t.text("cart.qty."+problem), dialog.Option{ID: "cart:rm:" + vid.String(), Title: t.text("cart.button.remove")}, t.viewButton())
		return nil
	}
	if n == 0 {
		return t.removeLine(vid)
	}
	cid, _ := t.customer()
	var name string
	c, err := t.f.svc.change(t.ctx, target{customer: cid}, func(w *working) error {
		i := w.findVariant(vid)
		if i < 0 {
			return errs.New(errs.CodeNotFound, "cart.item.not_found", "sku", vid.String())
		}
		name = lineName(w.lines[i], t.locale)
		return w.set(i, n)
	})
	switch {
	case errors.Is(err, errs.ErrNotFound):
		return t.view(t.text("cart.line.gone"))
	case err != nil:
		var se *stockError
		if errors.As(err, &se) {
			t.buttons(t.stockText(se, name, false), dialog.Option{ID: "cart:rm:" + vid.String(), Title: t.text("cart.button.remove")}, t.viewButton())
			return nil
		}
		if errs.CodeOf(err) == errs.CodeInvalid {
			t.buttons(t.text("cart.gone"), dialog.Option{ID: "cart:rm:" + vid.String(), Title: t.text("cart.button.remove")}, t.viewButton())
			return nil
		}
		return err
	}
	delete(t.res.State.Data, dataLine)
	return t.show(t.acknowledged(c), t.text("cart.updated", "{product}", name, "{qty}", dialog.Number(n, t.locale)))
}

// removeLine removes a line and shows the cart.
func (t *turn) removeLine(vid uuid.UUID) error {
	cid, _ := t.customer()
	var name string
	c, err := t.f.svc.change(t.ctx, target{customer: cid}, func(w *working) error {
		i := w.findVariant(vid)
		if i < 0 {
			return errs.New(errs.CodeNotFound, "cart.item.not_found", "sku", vid.String())
		}
		name = lineName(w.lines[i], t.locale)
		w.remove(i)
		return nil
	})
	if errors.Is(err, errs.ErrNotFound) {
		return t.view(t.text("cart.line.gone"))
	}
	if err != nil {
		return err
	}
	delete(t.res.State.Data, dataLine)
	return t.show(t.acknowledged(c), t.text("cart.removed", "{product}", name))
}

// acknowledged marks the price changes of a cart just shown as seen.
func (t *turn) acknowledged(c *Cart) *Cart {
	if c != nil && slices.ContainsFunc(c.Lines, Line.PriceChanged) {
		if _, err := t.read(); err != nil {
			t.f.svc.log.WarnContext(t.ctx, "cart: could not acknowledge price changes", "error", err)
		}
	}
	return c
}

// typedCity sets the delivery city when the text is one of the store's
// shipping zones; other text is left to the other capabilities.
func (t *turn) typedCity(s string) (bool, error) {
	set, err := t.f.svc.zones(t.ctx)
	if err != nil {
		return false, err
	}
	z, ok := set.Zone(s)
	if !ok {
		return false, nil
	}
	cid, _ := t.customer()
	c, err := t.f.svc.change(t.ctx, target{customer: cid, create: true}, func(w *working) error {
		w.row.City, w.changed = z.Name("ar"), true
		return nil
	})
	if err != nil {
		return true, err
	}
	return true, t.show(t.acknowledged(c), t.text("cart.city_set", "{city}", z.Name(t.locale)))
}

// checkout hands over to the checkout conversation; without one, staff
// take the order.
func (t *turn) checkout() error {
	if t.f.Checkout != nil {
		req := t.req
		req.State = t.res.State
		res, err := t.f.Checkout.Begin(t.ctx, req)
		if err != nil {
			return err
		}
		t.res = res
		return nil
	}
	t.step(stepCheckout)
	t.buttons(t.text("cart.checkout.staff"), dialog.Option{ID: dialog.IDHandoff, Title: t.text("cart.button.staff")}, t.viewButton(), t.shopButton())
	return nil
}

// ---- prompt numbers ----

func (t *turn) nextSeq() int {
	n, _ := strconv.Atoi(t.res.State.Data[dataSeq])
	n++
	t.res.State.Data[dataSeq] = strconv.Itoa(n)
	return n
}

func (t *turn) used(seq int) bool {
	return slices.Contains(strings.Split(t.res.State.Data[dataUsed], ","), strconv.Itoa(seq))
}

func (t *turn) markUsed(seq int) {
	var used []string
	if s := t.res.State.Data[dataUsed]; s != "" {
		used = strings.Split(s, ",")
	}
	used = append(used, strconv.Itoa(seq))
	if len(used) > maxUsed {
		used = used[len(used)-maxUsed:]
	}
	t.res.State.Data[dataUsed] = strings.Join(used, ",")
}

func hasField(err error, field string) bool {
	return slices.ContainsFunc(errs.FieldsOf(err), func(f errs.FieldError) bool { return f.Field == field })
}
