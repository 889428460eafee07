package returns

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/internal/keyset"
	"concierge/internal/money"
	"concierge/modules/catalog"
	"concierge/modules/orders"
	"concierge/tenants"
)

// mediaIDPattern is what a channel's media id may look like (WhatsApp's are
// digits; the sandbox's letters and digits).
var mediaIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// Create records a return request: the order must be the requester's
// (Request.CustomerID or Phone for WhatsApp, OrderNumber and Phone for the
// storefront, anyone's for staff), delivered, inside the store's window,
// and the quantities at most what was ordered less what other returns
// (not rejected) already ask for. One transaction: the return with its
// number (gapless, RMA-1001, …), lines, photos (each fetched by a
// returns.fetch_media job), timeline, the order's timeline, the decision's
// SLA timer and, unless the customer is in the chat that asked, their
// notification. Errors: invalid (field errors: the items, the reason, the
// window — its length and the day it closed —, an order not delivered),
// not_found (no such order, or not the requester's: the same answer for
// both).
func (s *Service) Create(ctx context.Context, req Request) (*Return, error) {
	if fe := s.checkRequest(&req); len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	var out *Return
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		set, err := s.settingsTx(ctx, tx)
		if err != nil {
			return err
		}
		o, err := s.orders.GetTx(ctx, tx, req.OrderID, true)
		if err != nil {
			return err
		}
		if !owns(o, req) {
			return orders.ErrNotFound
		}
		now := s.now().UTC()
		el, err := s.eligibilityTx(ctx, tx, o, set, now)
		if err != nil {
			return err
		}
		if el.Refusal != "" {
			return errs.Invalid(el.field())
		}
		lines, fe := matchLines(o, req.Lines, el.Remaining)
		if len(fe) > 0 {
			return errs.Invalid(fe...)
		}
		number, err := nextNumber(ctx, tx, t.ID, now)
		if err != nil {
			return err
		}
		r := &Return{ID: uuid.Must(uuid.NewV7()), Number: number, OrderID: o.ID, OrderNumber: o.Number, Channel: req.Channel,
			Status: StatusRequested, Reason: req.Reason, ReasonText: req.ReasonText, Currency: o.Totals.Currency,
			RefundStatus: RefundNone, CustomerID: o.CustomerID, CreatedBy: req.Actor, CreatedAt: now, UpdatedAt: now, Lines: lines}
		if req.CustomerID != nil {
			r.CustomerID = req.CustomerID // the chat's customer (the order may be their number's)
		}
		if err := insertReturn(ctx, tx, toReturnRow(t.ID, r), toLineRows(t.ID, r.ID, r.Lines)); err != nil {
			return err
		}
		var media []mediaRow
		for _, m := range req.Media {
			media = append(media, mediaRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), ReturnID: &r.ID, MediaID: m.ID,
				MimeType: normalizeMime(m.MimeType), SHA256: m.SHA256, Status: MediaPending, CreatedAt: now, UpdatedAt: now})
		}
		if err := insertMedia(ctx, tx, media); err != nil {
			return err
		}
		for _, m := range media {
			if err := s.jobs.InsertTx(ctx, tx, FetchMediaArgs{TenantID: t.ID, MediaID: m.ID}, nil); err != nil {
				return err
			}
		}
		data := map[string]string{"order": strconv.FormatInt(o.Number, 10), "channel": r.Channel, "reason": r.Reason,
			"items": strconv.Itoa(len(lines)), "photos": strconv.Itoa(len(media))}
		if err := s.event(ctx, tx, o, r, "requested", req.Actor, req.Note, data); err != nil {
			return err
		}
		if s.timers != nil {
			if err := s.timers.StartTx(ctx, tx, TimerKind, r.ID); err != nil {
				return err
			}
		}
		if r.Channel != ChannelWhatsApp {
			// The chat that asked answers with the number itself.
			if err := s.notify(ctx, tx, o, r, "requested", "returns.notify.requested", nil, "return_requested", []string{r.RMA(), number10(o.Number)}); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkRequest refuses what no order could make right, field by field,
// and cleans the texts.
func (s *Service) checkRequest(req *Request) []errs.FieldError {
	var fe []errs.FieldError
	switch req.Channel {
	case ChannelStaff:
	case ChannelWhatsApp:
		if req.CustomerID == nil && req.Phone == "" {
			fe = append(fe, errs.Field("customer", "required", "field.required"))
		}
	case ChannelWeb:
		if req.OrderNumber == 0 || req.Phone == "" {
			fe = append(fe, errs.Field("phone", "required", "field.required"))
		}
	default:
		fe = append(fe, errs.Field("channel", "oneof", "field.oneof", "param", "whatsapp web staff"))
	}
	if strings.TrimSpace(req.Actor) == "" {
		req.Actor = req.Channel
	}
	switch {
	case len(req.Lines) == 0:
		fe = append(fe, errs.Field("items", "required", "returns.field.items_required"))
	case len(req.Lines) > MaxLines:
		fe = append(fe, errs.Field("items", "max", "field.max", "param", MaxLines))
	}
	for i, l := range req.Lines {
		l.SKU = strings.TrimSpace(l.SKU)
		req.Lines[i].SKU = l.SKU
		if l.VariantID == uuid.Nil && l.SKU == "" {
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d].sku", i), "required", "returns.field.item_required"))
		}
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d].quantity", i), "range", "field.range", "min", 1, "max", MaxQuantity))
		}
	}
	if !slices.Contains(Reasons, req.Reason) {
		fe = append(fe, errs.Field("reason", "oneof", "field.oneof", "param", strings.Join(Reasons, " ")))
	}
	req.ReasonText = strings.TrimSpace(req.ReasonText)
	switch {
	case req.Reason == ReasonOther && req.ReasonText == "":
		fe = append(fe, errs.Field("reason_text", "required", "returns.field.reason_text"))
	case utf8.RuneCountInString(req.ReasonText) > MaxReasonText:
		fe = append(fe, errs.Field("reason_text", "max", "field.max", "param", MaxReasonText))
	default:
		if err := input.Check(req.ReasonText, input.MultiLine); err != nil {
			fe = append(fe, errs.TextError("reason_text", err))
		}
	}
	req.Note = strings.TrimSpace(req.Note)
	if utf8.RuneCountInString(req.Note) > MaxNote {
		fe = append(fe, errs.Field("note", "max", "field.max", "param", MaxNote))
	}
	if len(req.Media) > MaxMedia {
		fe = append(fe, errs.Field("media", "max", "field.max", "param", MaxMedia))
	}
	for i, m := range req.Media {
		if !mediaIDPattern.MatchString(m.ID) || len(m.SHA256) > 128 || len(m.MimeType) > 100 {
			fe = append(fe, errs.Field(fmt.Sprintf("media[%d]", i), "invalid", "returns.field.media"))
		}
	}
	return fe
}

// owns reports whether the requester may return the order: staff any
// order, the WhatsApp customer their own (by customer or number), the
// storefront's shopper with the order's number and phone.
func owns(o *orders.Order, req Request) bool {
	switch req.Channel {
	case ChannelStaff:
		return true
	case ChannelWhatsApp:
		if req.CustomerID != nil && o.CustomerID != nil && *o.CustomerID == *req.CustomerID {
			return true
		}
		return req.Phone != "" && o.CustomerPhone == req.Phone
	case ChannelWeb:
		return req.OrderNumber == o.Number && req.Phone != "" && o.CustomerPhone == req.Phone
	}
	return false
}

// Why an order cannot be returned now (eligibility.Refusal).
const (
	refusalNotDelivered = "not_delivered"
	refusalWindowClosed = "window_closed"
	refusalNoReturns    = "no_returns"
	refusalNothingLeft  = "nothing_left"
)

// eligibility is whether an order can be returned now, and how much of each
// of its lines.
type eligibility struct {
	Order      *orders.Order
	Remaining  []int     // per order line: what may still be asked for
	Requested  []int     // per order line: what returns ask for already
	WindowDays int       // the store's window
	ClosesAt   time.Time // when the window closes (zero until delivered)
	Refusal    string    // "" when it can be returned
}

// ok reports whether a return may be asked.
func (e *eligibility) ok() bool { return e.Refusal == "" }

// field is the refusal as the API's field error.
func (e *eligibility) field() errs.FieldError {
	switch e.Refusal {
	case refusalNotDelivered:
		return errs.Field("order_id", e.Refusal, "returns.field.not_delivered", "status", e.Order.Status)
	case refusalWindowClosed:
		return errs.Field("order_id", e.Refusal, "returns.field.window_closed", "days", e.WindowDays, "date", e.ClosesAt.Format(time.DateOnly))
	case refusalNoReturns:
		return errs.Field("order_id", e.Refusal, "returns.field.no_returns")
	}
	return errs.Field("order_id", e.Refusal, "returns.field.nothing_left")
}

// eligibilityTx checks an order (with its lines) against the window and its
// returns so far.
func (s *Service) eligibilityTx(ctx context.Context, tx bun.IDB, o *orders.Order, set Settings, now time.Time) (*eligibility, error) {
	qs, err := orderQuantities(ctx, tx, []uuid.UUID{o.ID})
	if err != nil {
		return nil, err
	}
	return judge(o, set, qs[o.ID].Requested, now), nil
}

// judge decides an order's eligibility from its returns' quantities.
func judge(o *orders.Order, set Settings, requested map[uuid.UUID]int, now time.Time) *eligibility {
	e := &eligibility{Order: o, WindowDays: set.WindowDays, Remaining: make([]int, len(o.Lines)), Requested: make([]int, len(o.Lines))}
	// What returns ask for is spread over the order's lines of the variant,
	// first line first.
	left := map[uuid.UUID]int{}
	for k, v := range requested {
		left[k] = v
	}
	total := 0
	for i, l := range o.Lines {
		taken := min(left[l.VariantID], l.Quantity)
		left[l.VariantID] -= taken
		e.Requested[i], e.Remaining[i] = taken, l.Quantity-taken
		total += e.Remaining[i]
	}
	if o.DeliveredAt != nil {
		e.ClosesAt = o.DeliveredAt.AddDate(0, 0, set.WindowDays)
	}
	switch {
	case o.Status == orders.StatusReturned:
		e.Refusal = refusalNothingLeft
	case o.Status != orders.StatusDelivered || o.DeliveredAt == nil:
		e.Refusal = refusalNotDelivered
	case set.WindowDays == 0:
		e.Refusal = refusalNoReturns
	case now.After(e.ClosesAt):
		e.Refusal = refusalWindowClosed
	case total == 0:
		e.Refusal = refusalNothingLeft
	}
	return e
}

// matchLines turns the requested items into return lines (one per order
// line, quantities of repeated items added up), each within what may still
// be returned of it.
func matchLines(o *orders.Order, reqs []LineRequest, remaining []int) ([]Line, []errs.FieldError) {
	var fe []errs.FieldError
	qty := map[int]int{}   // order line → quantity asked
	first := map[int]int{} // order line → first item naming it
	var order []int
	for i, r := range reqs {
		pos := -1
		for j, l := range o.Lines {
			if (r.VariantID != uuid.Nil && l.VariantID == r.VariantID) || (r.VariantID == uuid.Nil && strings.EqualFold(l.SKU, r.SKU)) {
				pos = j
				break
			}
		}
		if pos < 0 {
			item := r.SKU
			if r.VariantID != uuid.Nil {
				item = r.VariantID.String()
			}
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d]", i), "not_in_order", "returns.field.not_in_order", "item", item))
			continue
		}
		if _, seen := qty[pos]; !seen {
			first[pos] = i
			order = append(order, pos)
		}
		qty[pos] += r.Quantity
	}
	var lines []Line
	for _, pos := range order {
		l := o.Lines[pos]
		if qty[pos] > remaining[pos] {
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d].quantity", first[pos]), "too_many", "returns.field.too_many",
				"item", l.SKU, "max", remaining[pos], "ordered", l.Quantity, "requested", l.Quantity-remaining[pos]))
			continue
		}
		lines = append(lines, Line{Position: len(lines), VariantID: l.VariantID, SKU: l.SKU, TitleAR: l.TitleAR, TitleEN: l.TitleEN,
			Quantity: qty[pos], UnitPrice: l.UnitPrice})
	}
	return lines, fe
}

// Decide records staff's decision on a request. Approving refunds the
// returned lines' value (or Decision.RefundAmount), at most what the order
// has left to refund, through a returns.refund job queued in the same
// transaction; rejecting needs a note (shown to the customer). The same
// decision again answers the return as it is (approving again retries a
// failed refund); another decision after one was made is a conflict. The
// SLA timer stops; the customer is told. Errors: not_found, invalid (note,
// refund amount), conflict (decided otherwise already).
func (s *Service) Decide(ctx context.Context, id uuid.UUID, d Decision) (*Return, error) {
	d.Note = strings.TrimSpace(d.Note)
	var fe []errs.FieldError
	switch {
	case !d.Approve && d.Note == "":
		fe = append(fe, errs.Field("note", "required", "returns.field.note_required"))
	case utf8.RuneCountInString(d.Note) > MaxNote:
		fe = append(fe, errs.Field("note", "max", "field.max", "param", MaxNote))
	default:
		if err := input.Check(d.Note, input.MultiLine); err != nil {
			fe = append(fe, errs.TextError("note", err))
		}
	}
	if d.RefundAmount != nil && *d.RefundAmount < 0 {
		fe = append(fe, errs.Field("refund_amount", "min", "field.min", "param", 0))
	}
	if len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	actor := s.actor(ctx)
	var out *Return
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, r, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		out = r
		if r.decided() {
			return s.decideAgain(ctx, tx, t.ID, o, r, d, actor)
		}
		now := s.now().UTC()
		r.DecisionNote, r.DecidedBy, r.DecidedAt, r.UpdatedAt = d.Note, actor, &now, now
		if s.timers != nil {
			if err := s.timers.StopTx(ctx, tx, TimerKind, r.ID); err != nil {
				return err
			}
		}
		if !d.Approve {
			r.Status = StatusRejected
			if err := updateReturn(ctx, tx, toReturnRow(t.ID, r)); err != nil {
				return err
			}
			if err := s.event(ctx, tx, o, r, "rejected", actor, d.Note, nil); err != nil {
				return err
			}
			return s.notify(ctx, tx, o, r, "rejected", "returns.notify.rejected", []string{"{note}", d.Note}, "return_rejected", []string{r.RMA(), d.Note})
		}
		others, err := refundsOf(ctx, tx, o.ID, r.ID)
		if err != nil {
			return err
		}
		refundable := max(o.Totals.Total-others, 0)
		amount := min(r.Total(), refundable)
		if d.RefundAmount != nil {
			if *d.RefundAmount > refundable {
				return errs.Invalid(errs.Field("refund_amount", "max", "returns.field.refund_amount", "max", refundable, "currency", o.Totals.Currency))
			}
			amount = *d.RefundAmount
		}
		r.Status, r.RefundAmount, r.RefundStatus = StatusApproved, amount, RefundNone
		if amount > 0 {
			r.RefundStatus = RefundPending
		}
		if err := updateReturn(ctx, tx, toReturnRow(t.ID, r)); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, r, "approved", actor, d.Note, map[string]string{"refund_amount": strconv.FormatInt(amount, 10)}); err != nil {
			return err
		}
		if r.RefundStatus == RefundPending {
			if err := s.jobs.InsertTx(ctx, tx, RefundArgs{TenantID: t.ID, ReturnID: r.ID}, nil); err != nil {
				return err
			}
		}
		amountText := s.money(amount, r.Currency, o.Locale)
		if amount == 0 {
			return s.notify(ctx, tx, o, r, "approved", "returns.notify.approved_no_refund", []string{"{note}", d.Note}, "return_approved", []string{r.RMA(), amountText})
		}
		return s.notify(ctx, tx, o, r, "approved", "returns.notify.approved", []string{"{amount}", amountText}, "return_approved", []string{r.RMA(), amountText})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decideAgain answers a decision on a return decided already: the same
// decision answers it as it is (approving again retries a failed refund),
// another is a conflict.
func (s *Service) decideAgain(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, o *orders.Order, r *Return, d Decision, actor string) error {
	switch {
	case d.Approve && r.approved():
		if d.RefundAmount != nil && *d.RefundAmount != r.RefundAmount {
			return errs.New(errs.CodeConflict, "returns.decided_amount", "amount", r.RefundAmount)
		}
		if r.RefundStatus != RefundFailed {
			return nil
		}
		r.RefundStatus, r.RefundError, r.UpdatedAt = RefundPending, "", s.now().UTC()
		if err := updateReturn(ctx, tx, toReturnRow(tenantID, r)); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, r, "refund_retried", actor, d.Note, nil); err != nil {
			return err
		}
		return s.jobs.InsertTx(ctx, tx, RefundArgs{TenantID: tenantID, ReturnID: r.ID}, nil)
	case !d.Approve && r.Status == StatusRejected:
		return nil
	}
	return errs.New(errs.CodeConflict, "returns.decided", "status", r.Status)
}

// MarkReceived records that an approved return's parcel arrived: its lines
// go back into stock (once: marking again answers the same), and when every
// item of the order has come back the order becomes "returned". The
// customer is told. Errors: not_found, conflict (not approved).
func (s *Service) MarkReceived(ctx context.Context, id uuid.UUID) (*Return, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	actor := s.actor(ctx)
	var (
		out          *Return
		stockChanged bool
	)
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		stockChanged = false
		o, r, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		out = r
		switch r.Status {
		case StatusReceived, StatusClosed:
			return nil
		case StatusApproved, StatusRefunded:
		default:
			return errs.New(errs.CodeConflict, "returns.receive.not_approved", "status", r.Status)
		}
		now := s.now().UTC()
		r.ReceivedAt, r.UpdatedAt = &now, now
		// Closed when the money is settled too (or there is none to give).
		switch r.RefundStatus {
		case RefundNone, RefundDone, RefundManual:
			r.Status = StatusClosed
		default:
			r.Status = StatusReceived
		}
		lines := make([]catalog.StockLine, len(r.Lines))
		for i, l := range r.Lines {
			lines[i] = catalog.StockLine{VariantID: l.VariantID, Quantity: l.Quantity}
		}
		if stockChanged, err = s.stock.ReleaseStock(ctx, tx, lines); err != nil {
			return err
		}
		if err := updateReturn(ctx, tx, toReturnRow(t.ID, r)); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, r, "received", actor, "", nil); err != nil {
			return err
		}
		qs, err := orderQuantities(ctx, tx, []uuid.UUID{o.ID})
		if err != nil {
			return err
		}
		if allReceived(o, qs[o.ID].Received) && orders.CanMove(o.Status, orders.StatusReturned) {
			if err := s.orders.MoveTx(ctx, tx, o, orders.StatusReturned, orders.Event{Kind: "returned", Actor: actor, Note: r.RMA(),
				Data: map[string]string{"return_id": r.ID.String()}}); err != nil {
				return err
			}
		}
		return s.notify(ctx, tx, o, r, "received", "returns.notify.received", nil, "return_received", []string{r.RMA()})
	})
	if err != nil {
		return nil, err
	}
	if stockChanged {
		s.stock.StockChanged(ctx)
	}
	return out, nil
}

// allReceived reports whether every item of the order came back.
func allReceived(o *orders.Order, received map[uuid.UUID]int) bool {
	ordered := map[uuid.UUID]int{}
	for _, l := range o.Lines {
		ordered[l.VariantID] += l.Quantity
	}
	for v, n := range ordered {
		if received[v] < n {
			return false
		}
	}
	return len(ordered) > 0
}

// lock reads (and locks) a return and its order, the order first: every
// path that changes both takes them in that order.
func (s *Service) lock(ctx context.Context, tx bun.Tx, id uuid.UUID) (*orders.Order, *Return, error) {
	r, err := getReturn(ctx, tx, id, false)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.orders.GetTx(ctx, tx, r.OrderID, true)
	if err != nil {
		return nil, nil, err
	}
	r, err = getReturn(ctx, tx, id, true)
	return o, r, err
}

// List returns a page of returns, newest first, with their lines.
// Errors: invalid (status, cursor).
func (s *Service) List(ctx context.Context, q Query) (Page, error) {
	if q.Limit <= 0 || q.Limit > MaxListPage {
		q.Limit = 20
	}
	if q.Status != "" && !slices.Contains(Statuses, q.Status) {
		return Page{}, errs.Invalid(errs.Field("status", "oneof", "field.oneof", "param", strings.Join(Statuses, " ")))
	}
	after, err := keyset.Parse(q.Cursor, "returns.field.cursor")
	if err != nil {
		return Page{}, err
	}
	var page Page
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rs, err := listReturns(ctx, tx, q, after)
		if err != nil {
			return err
		}
		if len(rs) > q.Limit {
			rs = rs[:q.Limit]
			last := rs[len(rs)-1]
			page.NextCursor = keyset.Cursor{At: last.CreatedAt, ID: last.ID.String()}.Encode()
		}
		ids := make([]uuid.UUID, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		lines, err := linesOf(ctx, tx, ids)
		if err != nil {
			return err
		}
		page.Items = make([]Return, len(rs))
		for i := range rs {
			page.Items[i] = rs[i].toReturn()
			page.Items[i].Lines = lines[rs[i].ID]
		}
		return nil
	})
	return page, err
}

// Get returns a return with its photos (without their bytes) and timeline.
// Errors: not_found.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*Detail, error) {
	var out *Detail
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := getReturn(ctx, tx, id, false)
		if err != nil {
			return err
		}
		out = &Detail{Return: *r}
		if out.Media, err = mediaOf(ctx, tx, id); err != nil {
			return err
		}
		out.Events, err = eventsOf(ctx, tx, id)
		return err
	})
	return out, err
}

// Media returns a stored photo of a return and its type. Errors: not_found
// (no such photo, or rejected), conflict (not downloaded yet).
func (s *Service) Media(ctx context.Context, returnID, mediaID uuid.UUID) ([]byte, string, error) {
	var (
		data []byte
		mime string
	)
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var (
			status string
			err    error
		)
		if data, mime, status, err = mediaData(ctx, tx, returnID, mediaID); err != nil {
			return err
		}
		switch status {
		case MediaPending:
			return ErrMediaPending
		case MediaRejected:
			return ErrMediaNotFound
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return data, mime, nil
}

// Settings returns the tenant's return rules (the defaults until set).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var out Settings
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = s.settingsTx(ctx, tx)
		return err
	})
	return out, err
}

func (s *Service) settingsTx(ctx context.Context, tx bun.IDB) (Settings, error) {
	r, err := getSettings(ctx, tx)
	if err != nil || r == nil {
		return Settings{WindowDays: DefaultWindowDays}, err
	}
	u := r.UpdatedAt
	return Settings{WindowDays: r.WindowDays, UpdatedAt: &u}, nil
}

// UpdateSettings changes the tenant's return rules (audited). Errors:
// invalid (window_days outside 0..365).
func (s *Service) UpdateSettings(ctx context.Context, in Settings) (Settings, error) {
	if in.WindowDays < 0 || in.WindowDays > MaxWindowDays {
		return Settings{}, errs.Invalid(errs.Field("window_days", "range", "field.range", "min", 0, "max", MaxWindowDays))
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := s.settingsTx(ctx, tx)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if err := putWindow(ctx, tx, t.ID, in.WindowDays, now); err != nil {
			return err
		}
		out = Settings{WindowDays: in.WindowDays, UpdatedAt: &now}
		if s.audit == nil {
			return nil
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: s.actor(ctx), Action: "returns.settings_updated",
			Target: "tenant:" + t.ID.String(), Before: map[string]int{"window_days": before.WindowDays}, After: map[string]int{"window_days": in.WindowDays}})
	})
	return out, err
}

// ---- shared steps ----

// event adds an entry to the return's timeline and one to its order's.
func (s *Service) event(ctx context.Context, tx bun.Tx, o *orders.Order, r *Return, kind, actor, note string, data map[string]string) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	at := s.now().UTC()
	if err := insertEvent(ctx, tx, &eventRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), ReturnID: r.ID, Kind: kind, Actor: actor,
		Note: clip(note, MaxNote), Data: data, At: at}); err != nil {
		return err
	}
	return s.orders.EventTx(ctx, tx, o.ID, orders.Event{Kind: "return_" + kind, Actor: actor, Note: clip(note, MaxNote), At: at,
		Data: map[string]string{"return_id": r.ID.String(), "rma": r.RMA()}})
}

// notify queues a notice to the order's customer, if they can be reached on
// WhatsApp; the {rma} and {order} placeholders are filled for every text.
func (s *Service) notify(ctx context.Context, tx bun.Tx, o *orders.Order, r *Return, what, text string, vars []string, template string, params []string) error {
	return orders.NotifyCustomer(ctx, tx, s.notifier, s.log, o, orders.Notice{Key: "return:" + r.ID.String() + ":" + what, Text: text,
		Vars: append([]string{"{rma}", r.RMA(), "{order}", number10(o.Number)}, vars...), Template: template, Params: params})
}

func (s *Service) money(minor int64, currency, locale string) string {
	return money.Format(money.Amount{Minor: minor, Currency: currency}, locale)
}

func number10(n int64) string { return strconv.FormatInt(n, 10) }

// normalizeMime is a media type without parameters, in lower case.
func normalizeMime(s string) string {
	s, _, _ = strings.Cut(s, ";")
	return strings.ToLower(strings.TrimSpace(s))
}

// clip cuts s to n runes.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
