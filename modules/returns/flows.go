package returns

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/modules/orders"
	"concierge/modules/whatsapp/dialog"
)

// Returns in WhatsApp. The customer starts from "my orders" (the "Start a
// return" button of a delivered order, ret:start:<order>) or by writing
// "return", "إرجاع", "استرجاع", ...: the orders that can be returned now are
// listed (one is opened at once; none: why not — not delivered yet, the
// window closed on a given day, everything already in a return). Then: the
// items (a list of the order's lines; the quantity as buttons or a list
// when more than one may come back, or typed; "Add another item" /
// "Continue"), the reason from a list ("Other" asks for a few words), an
// optional photo (an image of an allowed type, or Skip), the summary with
// Confirm / Cancel, and the RMA number with what happens next. The
// answers live in the conversation's state (ret.*); the request is made in
// the turn's own transaction, and so are the photo's download job and the
// SLA timer.
//
// Reply ids:
//
//	ret:start:<order>      begin a return of an order
//	ret:list               the orders that can be returned
//	ret:item:<line>        an item (the order line's index)
//	ret:qty:<n>            how many of it
//	ret:more | ret:done    add another item | continue to the reason
//	ret:reason:<reason>    wrong_size, damaged, not_as_described, changed_mind, other
//	ret:skip               no photo
//	ret:confirm            send the request
//	ret:cancel             leave without a request

// FlowsName is the capability's name: its reply-id and step prefix.
const FlowsName = "ret"

// IDStart prefixes the reply id that begins a return of an order
// ("ret:start:<order id>"), for "my orders".
const IDStart = FlowsName + ":start:"

// Steps (State.Step).
const (
	stepItems   = FlowsName + ":items"
	stepQty     = FlowsName + ":qty"
	stepMore    = FlowsName + ":more"
	stepReason  = FlowsName + ":reason"
	stepText    = FlowsName + ":text"
	stepPhoto   = FlowsName + ":photo"
	stepConfirm = FlowsName + ":confirm"
)

// Keys kept in State.Data (all start with "ret.": cleared when done, but
// for dataPlaced).
const (
	dataOrder  = "ret.order"
	dataItems  = "ret.items" // "<line>:<qty>,<line>:<qty>"
	dataLine   = "ret.line"  // the item whose quantity is asked
	dataReason = "ret.reason"
	dataText   = "ret.text"
	dataMedia  = "ret.media" // "<id>|<mime type>|<sha256>"
	// dataPlaced is the RMA number of the last request made here, kept for
	// a repeated tap on Confirm.
	dataPlaced = "ret.placed"
)

// maxCustomerOrders is how many of the customer's orders are looked at.
const maxCustomerOrders = 20

// Flows is returns' part of the conversation.
type Flows struct {
	svc      *Service
	words    dialog.Words
	keywords dialog.Phrases
}

// NewFlows returns returns' conversation steps.
func NewFlows(svc *Service, words dialog.Words) *Flows {
	return &Flows{svc: svc, words: words, keywords: dialog.NewPhrases(
		"return", "returns", "return order", "return my order", "return an order", "return item", "return an item", "return items",
		"return a product", "return product", "make a return", "start a return", "request a return", "refund", "get a refund",
		"إرجاع", "ارجاع", "استرجاع", "إرجاع طلب", "إرجاع الطلب", "ارجاع طلبي", "إرجاع منتج", "ارجاع المنتج", "استرجاع طلب",
		"استرجاع منتج", "استرجاع المبلغ", "استرداد", "استرداد المبلغ", "طلب إرجاع", "أرجع الطلب", "أرجع منتج", "ابي ارجع",
	)}
}

// Name implements dialog.Capability.
func (f *Flows) Name() string { return FlowsName }

// MenuEntry implements dialog.Capability: returns are reached from "my
// orders" and by keyword.
func (f *Flows) MenuEntry(string) (dialog.Option, bool) { return dialog.Option{}, false }

// Keywords implements dialog.Keyworded.
func (f *Flows) Keywords() dialog.Phrases { return f.keywords }

// ReturnButton offers "Start a return" for an order of the customer that
// can be returned now (orders.ReturnOffer).
func (f *Flows) ReturnButton(ctx context.Context, req dialog.Request, o orders.Order) (dialog.Option, bool) {
	ok := false
	err := f.svc.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		full, err := f.svc.orders.GetTx(ctx, tx, o.ID, false)
		if err != nil {
			return err
		}
		set, err := f.svc.settingsTx(ctx, tx)
		if err != nil {
			return err
		}
		el, err := f.svc.eligibilityTx(ctx, tx, full, set, f.svc.now().UTC())
		ok = err == nil && el.ok()
		return err
	})
	if err != nil || !ok {
		return dialog.Option{}, false
	}
	return dialog.Option{ID: IDStart + o.ID.String(), Title: f.words.Text(ctx, req.Locale(), "returns.button.start")}, true
}

// Handle implements dialog.Capability.
func (f *Flows) Handle(ctx context.Context, req dialog.Request) (dialog.Result, bool, error) {
	t := f.newTurn(ctx, req)
	step := req.State.Step
	ours := strings.HasPrefix(step, FlowsName+":")
	var (
		claimed bool
		err     error
	)
	switch req.In.Kind {
	case dialog.KindButtonReply, dialog.KindListReply, dialog.KindTemplateButton:
		id := strings.TrimSpace(req.In.ReplyID)
		switch {
		case id == dialog.IDMenuPrefix+FlowsName:
			claimed, err = true, t.list()
		case strings.HasPrefix(id, FlowsName+":"):
			claimed, err = true, t.route(strings.TrimPrefix(id, FlowsName+":"))
		}
	case dialog.KindText:
		text := strings.TrimSpace(req.In.Text)
		switch {
		case ours && (step == stepText || step == stepQty):
			claimed, err = true, t.typed(text)
		case f.keywords.Match(text):
			claimed, err = true, t.list()
		case ours:
			claimed, err = true, t.typed(text)
		}
	case dialog.KindImage, dialog.KindDocument, dialog.KindVideo, dialog.KindAudio, dialog.KindSticker:
		if step == stepPhoto {
			claimed, err = true, t.photo(req.In)
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

// clear forgets the answers (the last request's number stays).
func (t *turn) clear() {
	for k := range t.Res.State.Data {
		if strings.HasPrefix(k, "ret.") && k != dataPlaced {
			delete(t.Res.State.Data, k)
		}
	}
}

// leave ends the flow at the main menu.
func (t *turn) leave() {
	t.clear()
	t.Res.State.Step = dialog.StepMenu
}

func (t *turn) customer() (uuid.UUID, bool) {
	id, err := uuid.Parse(t.Req.Customer.ID)
	return id, err == nil
}

// phone is the customer's WhatsApp number in E.164.
func (t *turn) phone() string {
	if t.Req.Customer.WAID == "" {
		return ""
	}
	return "+" + strings.TrimPrefix(t.Req.Customer.WAID, "+")
}

func (t *turn) number(n int64) string { return dialog.Digits(strconv.FormatInt(n, 10), t.Locale) }

func (t *turn) money(minor int64, currency string) string {
	return t.f.svc.money(minor, currency, t.Locale)
}

// help is the hand-off and menu buttons after a dead end.
func (t *turn) help(body string) {
	t.Buttons(body, dialog.Option{ID: dialog.IDHandoff, Title: t.Text("returns.button.staff")},
		dialog.Option{ID: dialog.IDMenu, Title: t.Text("returns.button.menu")})
}

// ---- routing ----

func (t *turn) route(id string) error {
	switch {
	case id == "list":
		return t.list()
	case strings.HasPrefix(id, "start:"):
		return t.start(strings.TrimPrefix(id, "start:"))
	case strings.HasPrefix(id, "item:"):
		return t.pick(strings.TrimPrefix(id, "item:"))
	case strings.HasPrefix(id, "qty:"):
		n, err := strconv.Atoi(strings.TrimPrefix(id, "qty:"))
		if err != nil {
			return t.reprompt()
		}
		return t.quantity(n)
	case id == "more":
		return t.items()
	case id == "done":
		return t.askReason()
	case strings.HasPrefix(id, "reason:"):
		return t.reason(strings.TrimPrefix(id, "reason:"))
	case id == "skip":
		if t.Res.State.Step != stepPhoto {
			return t.reprompt()
		}
		return t.summary()
	case id == "confirm":
		return t.confirm()
	case id == "cancel":
		t.leave()
		t.Buttons(t.Text("returns.cancelled"), dialog.Option{ID: dialog.IDMenu, Title: t.Text("returns.button.menu")})
		return nil
	}
	return t.reprompt()
}

// typed answers the step the customer is at.
func (t *turn) typed(s string) error {
	switch t.Res.State.Step {
	case stepQty:
		n, err := strconv.Atoi(arabic.DigitsToASCII(s))
		if err != nil {
			return t.reprompt()
		}
		return t.quantity(n)
	case stepText:
		if s == "" {
			return t.reprompt()
		}
		if utf8.RuneCountInString(s) > MaxReasonText {
			t.Say(t.Text("returns.bad.text_long", "{max}", dialog.Number(MaxReasonText, t.Locale)))
			return nil
		}
		t.Set(dataText, s)
		return t.askPhoto()
	}
	return t.reprompt()
}

// reprompt asks the current step's question again.
func (t *turn) reprompt() error {
	if t.Data(dataOrder) == "" {
		return t.list()
	}
	switch t.Res.State.Step {
	case stepQty:
		return t.askQuantity()
	case stepMore:
		return t.afterAdd("")
	case stepReason:
		return t.askReason()
	case stepText:
		t.Say(t.Text("returns.ask.text", "{max}", dialog.Number(MaxReasonText, t.Locale)))
		return nil
	case stepPhoto:
		return t.askPhoto()
	case stepConfirm:
		return t.summary()
	}
	return t.items()
}

// ---- the order ----

// list shows the customer's orders that can be returned now, opens the
// only one, or explains why none can.
func (t *turn) list() error {
	cid, ok := t.customer()
	if !ok {
		t.Say(t.Text("returns.unavailable"))
		return nil
	}
	var els []*eligibility
	err := t.f.svc.scope.InTenantTx(t.Ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		els, err = t.f.svc.customerOrdersTx(ctx, tx, cid, t.phone())
		return err
	})
	if err != nil {
		return err
	}
	var open []*eligibility
	for _, e := range els {
		if e.ok() {
			open = append(open, e)
		}
	}
	switch {
	case len(open) == 1:
		return t.begin(open[0])
	case len(open) > 1:
		t.leave()
		var rows []dialog.Option
		for _, e := range open[:min(len(open), dialog.MaxListRows)] {
			o := e.Order
			rows = append(rows, dialog.Option{ID: IDStart + o.ID.String(), Title: t.Text("returns.row.order", "{order}", t.number(o.Number)),
				Description: t.Text("returns.row.order_desc", "{delivered}", dialog.FormatDate(*o.DeliveredAt, t.Locale),
					"{total}", t.money(o.Totals.Total, o.Totals.Currency))})
		}
		t.Res.Replies = append(t.Res.Replies, dialog.ListReply(t.Text("returns.ask.order"), t.Text("returns.button.orders"), rows))
		return nil
	}
	t.leave()
	if len(els) == 0 {
		t.help(t.Text("returns.none.no_orders"))
		return nil
	}
	// Why not: the newest order's reason, which is what the customer has in
	// mind most often.
	t.help(t.refusal(els[0]))
	return nil
}

// refusal explains why an order cannot be returned.
func (t *turn) refusal(e *eligibility) string {
	o := e.Order
	switch e.Refusal {
	case refusalNotDelivered:
		return t.Text("returns.refused.not_delivered", "{order}", t.number(o.Number))
	case refusalWindowClosed:
		return t.Text("returns.refused.window_closed", "{order}", t.number(o.Number), "{days}", t.f.words.Count(t.Ctx, t.Locale, "returns.days", e.WindowDays),
			"{delivered}", dialog.FormatDate(*o.DeliveredAt, t.Locale), "{closed}", dialog.FormatDate(e.ClosesAt, t.Locale))
	case refusalNoReturns:
		return t.Text("returns.refused.no_returns")
	}
	return t.Text("returns.refused.nothing_left", "{order}", t.number(o.Number))
}

// start begins a return of an order the customer named (a button).
func (t *turn) start(id string) error {
	e, err := t.own(id)
	if errors.Is(err, errs.ErrNotFound) {
		t.leave()
		t.help(t.Text("returns.order_unknown"))
		return nil
	}
	if err != nil {
		return err
	}
	if !e.ok() {
		t.leave()
		t.help(t.refusal(e))
		return nil
	}
	return t.begin(e)
}

// own reads an order of this customer with its eligibility. Errors:
// not_found (no such order, or another customer's).
func (t *turn) own(id string) (*eligibility, error) {
	oid, err := uuid.Parse(id)
	cid, ok := t.customer()
	if err != nil || !ok {
		return nil, orders.ErrNotFound
	}
	var out *eligibility
	err = t.f.svc.scope.InTenantTx(t.Ctx, func(ctx context.Context, tx bun.Tx) error {
		o, err := t.f.svc.orders.GetTx(ctx, tx, oid, false)
		if err != nil {
			return err
		}
		if !owns(o, Request{Channel: ChannelWhatsApp, CustomerID: &cid, Phone: t.phone()}) {
			return orders.ErrNotFound
		}
		set, err := t.f.svc.settingsTx(ctx, tx)
		if err != nil {
			return err
		}
		out, err = t.f.svc.eligibilityTx(ctx, tx, o, set, t.f.svc.now().UTC())
		return err
	})
	return out, err
}

// begin starts afresh on an order that can be returned.
func (t *turn) begin(e *eligibility) error {
	t.clear()
	t.Set(dataOrder, e.Order.ID.String())
	return t.showItems(e)
}

// current reads the order being returned, with its eligibility now.
func (t *turn) current() (*eligibility, error) {
	return t.own(t.Data(dataOrder))
}

// ---- items ----

// picked reads the items chosen so far: order line → quantity.
func (t *turn) picked() map[int]int {
	out := map[int]int{}
	for _, p := range strings.Split(t.Data(dataItems), ",") {
		l, q, ok := strings.Cut(p, ":")
		li, err1 := strconv.Atoi(l)
		qi, err2 := strconv.Atoi(q)
		if ok && err1 == nil && err2 == nil {
			out[li] += qi
		}
	}
	return out
}

func (t *turn) savePicked(p map[int]int) {
	var parts []string
	for _, l := range slices.Sorted(maps.Keys(p)) {
		if p[l] > 0 {
			parts = append(parts, strconv.Itoa(l)+":"+strconv.Itoa(p[l]))
		}
	}
	t.Set(dataItems, strings.Join(parts, ","))
}

// available is what may still be chosen of each line.
func (t *turn) available(e *eligibility) []int {
	p := t.picked()
	out := make([]int, len(e.Remaining))
	for i, r := range e.Remaining {
		out[i] = max(r-p[i], 0)
	}
	return out
}

// items shows the items that may still be chosen.
func (t *turn) items() error {
	e, err := t.current()
	if err != nil {
		return t.lost(err)
	}
	if !e.ok() {
		t.leave()
		t.help(t.refusal(e))
		return nil
	}
	return t.showItems(e)
}

func (t *turn) showItems(e *eligibility) error {
	avail := t.available(e)
	var rows []dialog.Option
	for i, l := range e.Order.Lines {
		if avail[i] == 0 || len(rows) == dialog.MaxListRows {
			continue
		}
		rows = append(rows, dialog.Option{ID: FlowsName + ":item:" + strconv.Itoa(i), Title: dialog.Clip(lineTitle(l, t.Locale), dialog.MaxListTitle),
			Description: t.Text("returns.row.item", "{n}", dialog.Number(avail[i], t.Locale), "{price}", t.money(l.UnitPrice, e.Order.Totals.Currency))})
	}
	if len(rows) == 0 {
		return t.askReason()
	}
	t.Res.State.Step = stepItems
	t.Res.Replies = append(t.Res.Replies, dialog.ListReply(t.Text("returns.ask.item", "{order}", t.number(e.Order.Number)),
		t.Text("returns.button.items"), rows))
	return nil
}

// pick takes an item: one more to return, or the question how many.
func (t *turn) pick(line string) error {
	e, err := t.current()
	if err != nil {
		return t.lost(err)
	}
	i, err := strconv.Atoi(line)
	avail := t.available(e)
	if err != nil || i < 0 || i >= len(avail) || avail[i] == 0 {
		return t.showItems(e)
	}
	t.Set(dataLine, line)
	if avail[i] == 1 {
		return t.add(e, i, 1)
	}
	return t.askQuantity()
}

// askQuantity asks how many of the item: buttons up to three, a list up to
// ten, and typing always works.
func (t *turn) askQuantity() error {
	e, err := t.current()
	if err != nil {
		return t.lost(err)
	}
	i, err := strconv.Atoi(t.Data(dataLine))
	avail := t.available(e)
	if err != nil || i < 0 || i >= len(avail) || avail[i] == 0 {
		return t.showItems(e)
	}
	t.Res.State.Step = stepQty
	body := t.Text("returns.ask.quantity", "{item}", lineTitle(e.Order.Lines[i], t.Locale), "{max}", dialog.Number(avail[i], t.Locale))
	var opts []dialog.Option
	for n := 1; n <= min(avail[i], dialog.MaxListRows); n++ {
		opts = append(opts, dialog.Option{ID: FlowsName + ":qty:" + strconv.Itoa(n), Title: dialog.Number(n, t.Locale)})
	}
	if len(opts) <= dialog.MaxButtons {
		t.Buttons(body, opts...)
		return nil
	}
	t.Res.Replies = append(t.Res.Replies, dialog.ListReply(body, t.Text("returns.button.quantity"), opts))
	return nil
}

// quantity takes how many of the item asked about.
func (t *turn) quantity(n int) error {
	if t.Res.State.Step != stepQty {
		return t.reprompt()
	}
	e, err := t.current()
	if err != nil {
		return t.lost(err)
	}
	i, err := strconv.Atoi(t.Data(dataLine))
	avail := t.available(e)
	if err != nil || i < 0 || i >= len(avail) {
		return t.showItems(e)
	}
	if n < 1 || n > avail[i] {
		t.Say(t.Text("returns.bad.quantity", "{max}", dialog.Number(avail[i], t.Locale), "{ordered}", dialog.Number(e.Order.Lines[i].Quantity, t.Locale)))
		return t.askQuantity()
	}
	return t.add(e, i, n)
}

// add records n of line i and offers another item or the next step.
func (t *turn) add(e *eligibility, i, n int) error {
	p := t.picked()
	p[i] += n
	t.savePicked(p)
	delete(t.Res.State.Data, dataLine)
	added := t.Text("returns.added", "{n}", dialog.Number(n, t.Locale), "{item}", lineTitle(e.Order.Lines[i], t.Locale))
	more := false
	for _, a := range t.available(e) {
		more = more || a > 0
	}
	if !more {
		t.Say(added)
		return t.askReason()
	}
	return t.afterAdd(added)
}

// afterAdd offers another item, the next step, or leaving.
func (t *turn) afterAdd(added string) error {
	t.Res.State.Step = stepMore
	body := t.Text("returns.ask.more")
	if added != "" {
		body = added + "\n\n" + body
	}
	t.Buttons(body, t.Opt("more", "returns.button.more"), t.Opt("done", "returns.button.continue"), t.Opt("cancel", "returns.button.cancel"))
	return nil
}

// ---- reason and photo ----

func (t *turn) askReason() error {
	if len(t.picked()) == 0 {
		return t.items()
	}
	t.Res.State.Step = stepReason
	rows := make([]dialog.Option, len(Reasons))
	for i, r := range Reasons {
		rows[i] = dialog.Option{ID: FlowsName + ":reason:" + r, Title: t.Text("returns.reason." + r)}
	}
	t.Res.Replies = append(t.Res.Replies, dialog.ListReply(t.Text("returns.ask.reason"), t.Text("returns.button.reasons"), rows))
	return nil
}

func (t *turn) reason(r string) error {
	known := false
	for _, k := range Reasons {
		known = known || k == r
	}
	if !known || len(t.picked()) == 0 {
		return t.reprompt()
	}
	t.Set(dataReason, r)
	if r == ReasonOther {
		t.Res.State.Step = stepText
		t.Say(t.Text("returns.ask.text", "{max}", dialog.Number(MaxReasonText, t.Locale)))
		return nil
	}
	delete(t.Res.State.Data, dataText)
	return t.askPhoto()
}

func (t *turn) askPhoto() error {
	t.Res.State.Step = stepPhoto
	t.Buttons(t.Text("returns.ask.photo", "{types}", t.f.svc.typeNames(t.Locale), "{max}", megabytes(t.f.svc.cfg.MaxMediaBytes, t.Locale)),
		t.Opt("skip", "returns.button.skip"), t.Opt("cancel", "returns.button.cancel"))
	return nil
}

// photo takes the customer's image, when WhatsApp says it is of a kept
// type; anything else is explained and the question asked again.
func (t *turn) photo(in dialog.Inbound) error {
	m := in.Media
	if in.Kind != dialog.KindImage || m == nil || !mediaIDPattern.MatchString(m.ID) || !t.f.svc.MediaAllowed(m.MimeType) || len(m.SHA256) > 128 {
		t.Say(t.Text("returns.bad.photo", "{types}", t.f.svc.typeNames(t.Locale)))
		return t.askPhoto()
	}
	t.Set(dataMedia, m.ID+"|"+normalizeMime(m.MimeType)+"|"+m.SHA256)
	t.Say(t.Text("returns.photo_received"))
	return t.summary()
}

// ---- summary and request ----

// summary shows the request as it will be made, with Confirm / Cancel.
func (t *turn) summary() error {
	e, err := t.current()
	if err != nil {
		return t.lost(err)
	}
	p := t.picked()
	if len(p) == 0 {
		return t.showItems(e)
	}
	if t.Data(dataReason) == "" {
		return t.askReason()
	}
	o := e.Order
	var b strings.Builder
	var total int64
	for i, l := range o.Lines {
		n := p[i]
		if n == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		value := l.UnitPrice * int64(n)
		total += value
		b.WriteString(dialog.Number(n, t.Locale) + " × " + lineTitle(l, t.Locale) + " — " + t.money(value, o.Totals.Currency))
	}
	reason := t.Text("returns.reason." + t.Data(dataReason))
	if txt := t.Data(dataText); txt != "" {
		reason = txt // "Other", in the customer's words
	}
	photo := t.Text("returns.summary.no_photo")
	if t.Data(dataMedia) != "" {
		photo = t.Text("returns.summary.photo")
	}
	t.Say(t.Text("returns.summary", "{order}", t.number(o.Number), "{items}", b.String(), "{reason}", reason, "{photo}", photo,
		"{total}", t.money(total, o.Totals.Currency)))
	t.Res.State.Step = stepConfirm
	t.Buttons(t.Text("returns.ask.confirm"), t.Opt("confirm", "returns.button.confirm"), t.Opt("cancel", "returns.button.cancel"))
	return nil
}

// confirm makes the request.
func (t *turn) confirm() error {
	if t.Res.State.Step != stepConfirm {
		if rma := t.Data(dataPlaced); rma != "" && t.Data(dataOrder) == "" {
			t.Say(t.Text("returns.already", "{rma}", rma))
			return nil
		}
		return t.reprompt()
	}
	cid, ok := t.customer()
	oid, err := uuid.Parse(t.Data(dataOrder))
	if !ok || err != nil {
		return t.list()
	}
	e, err := t.current()
	if err != nil {
		return t.lost(err)
	}
	req := Request{OrderID: oid, Channel: ChannelWhatsApp, CustomerID: &cid, Phone: t.phone(), Actor: "customer:" + cid.String(),
		Reason: t.Data(dataReason), ReasonText: t.Data(dataText)}
	p := t.picked()
	for i, l := range e.Order.Lines {
		if p[i] > 0 {
			req.Lines = append(req.Lines, LineRequest{VariantID: l.VariantID, SKU: l.SKU, Quantity: p[i]})
		}
	}
	if m := t.Data(dataMedia); m != "" {
		parts := strings.SplitN(m, "|", 3)
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		req.Media = []MediaRef{{ID: parts[0], MimeType: parts[1], SHA256: parts[2]}}
	}
	r, err := t.f.svc.Create(t.Ctx, req)
	if err != nil {
		return t.refused(err)
	}
	t.leave()
	t.Set(dataPlaced, r.RMA())
	t.Say(t.Text("returns.created", "{rma}", r.RMA(), "{order}", t.number(e.Order.Number)))
	return nil
}

// refused explains a request the service turned down (the order changed
// since the summary: delivered long ago, items asked for meanwhile).
func (t *turn) refused(err error) error {
	switch errs.CodeOf(err) {
	case errs.CodeInvalid, errs.CodeNotFound, errs.CodeConflict:
	default:
		return err
	}
	for _, f := range errs.FieldsOf(err) {
		switch f.Code {
		case "too_many", "not_in_order":
			delete(t.Res.State.Data, dataItems)
			t.Say(t.Text("returns.bad.changed"))
			return t.items()
		case refusalNotDelivered, refusalWindowClosed, refusalNoReturns, refusalNothingLeft:
			return t.items()
		}
	}
	return t.lost(err)
}

// lost ends the flow when its order is gone (or an answer makes no sense).
func (t *turn) lost(err error) error {
	switch errs.CodeOf(err) {
	case errs.CodeInvalid, errs.CodeNotFound, errs.CodeConflict:
	default:
		return err
	}
	t.leave()
	t.help(t.Text("returns.failed"))
	return nil
}

// customerOrdersTx reads the customer's newest orders with their
// eligibility, newest first.
func (s *Service) customerOrdersTx(ctx context.Context, tx bun.IDB, customerID uuid.UUID, phone string) ([]*eligibility, error) {
	list, err := s.orders.ForContactTx(ctx, tx, customerID, phone, maxCustomerOrders)
	if err != nil {
		return nil, err
	}
	set, err := s.settingsTx(ctx, tx)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(list))
	for _, o := range list {
		if o.Status != orders.StatusCancelled {
			ids = append(ids, o.ID)
		}
	}
	qs, err := orderQuantities(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var out []*eligibility
	for _, id := range ids {
		o, err := s.orders.GetTx(ctx, tx, id, false)
		if err != nil {
			return nil, err
		}
		out = append(out, judge(o, set, qs[id].Requested, now))
	}
	return out, nil
}

// lineTitle is an order line's name in locale, with its options.
func lineTitle(l orders.Line, locale string) string {
	title, opts := l.TitleEN, l.OptionsEN
	if locale == dialog.LocaleAR || title == "" {
		title, opts = pick(l.TitleAR, l.TitleEN), pick(l.OptionsAR, l.OptionsEN)
	}
	if title == "" {
		title = l.SKU
	}
	if opts != "" {
		title += " (" + opts + ")"
	}
	return title
}

func pick(first, second string) string {
	if first != "" {
		return first
	}
	return second
}
