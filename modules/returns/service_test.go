package returns

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/orders"
)

func TestCreateWithinWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 2}, item{f.scarf, 1})
	// The last moment of the 7-day window still counts.
	f.clock.Set(deliveredAt.AddDate(0, 0, 7))
	r, err := f.svc.Create(f.ctx, Request{OrderID: o.ID, Channel: ChannelStaff, Actor: "user:staff-1", Reason: ReasonWrongSize,
		Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}, {VariantID: f.scarf.ID, Quantity: 1}}, Note: "called in"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Number != 1001 || r.RMA() != "RMA-1001" || r.Status != StatusRequested || r.RefundStatus != RefundNone || r.OrderNumber != o.Number ||
		len(r.Lines) != 2 || r.Total() != 25000 || r.Currency != "SAR" {
		t.Fatalf("return: %+v", r)
	}
	if !f.timers.isRunning(r.ID) {
		t.Error("the decision's SLA timer did not start")
	}
	if got := f.notices.texts(); !slices.Equal(got, []string{"returns.notify.requested"}) {
		t.Errorf("notices: %v", got)
	}
	d, err := f.svc.Get(f.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || d.Events[0].Kind != "requested" || d.Events[0].Note != "called in" || d.Events[0].Actor != "user:staff-1" {
		t.Errorf("timeline: %+v", d.Events)
	}
	evs, err := f.orders.Timeline(f.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Kind != "return_requested" || last.Data["rma"] != "RMA-1001" {
		t.Errorf("order timeline: %+v", last)
	}
	// The rest of the order, then nothing is left; numbers are gapless.
	r2 := f.staffReturn(t, o, ReasonDamaged, item{f.abaya, 1})
	if r2.Number != 1002 {
		t.Errorf("second number: %d", r2.Number)
	}
	_, err = f.svc.Create(f.ctx, Request{OrderID: o.ID, Channel: ChannelStaff, Reason: ReasonDamaged, Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}}})
	if fe := fieldOf(t, err, "order_id"); fe.Code != refusalNothingLeft {
		t.Errorf("everything returned: %+v", fe)
	}
	r3, err := f.svc.Create(f.ctx, Request{OrderID: f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.scarf, 1}).ID, Channel: ChannelStaff,
		Reason: ReasonChangedMind, Lines: []LineRequest{{SKU: f.scarf.SKU, Quantity: 1}}})
	if err != nil || r3.Number != 1003 {
		t.Fatalf("after a refused request the next number is 1003: %v %v", r3, err)
	}
}

func TestCreateOutsideWindowWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 1})
	f.clock.Set(deliveredAt.AddDate(0, 0, 7).Add(time.Second))
	_, err := f.svc.Create(f.ctx, Request{OrderID: o.ID, Channel: ChannelStaff, Reason: ReasonWrongSize,
		Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}}, Media: []MediaRef{{ID: "123", MimeType: "image/jpeg"}}})
	fe := fieldOf(t, err, "order_id")
	if fe.Code != refusalWindowClosed || fe.Msg.ID != "returns.field.window_closed" || fe.Msg.Data["days"] != 7 || fe.Msg.Data["date"] != "2026-02-27" {
		t.Fatalf("window: %+v", fe)
	}
	if got := f.env.Catalog.Message("en", fe.Msg); got != "Returns are accepted within 7 days of delivery; this order's return window closed on 2026-02-27." {
		t.Errorf("message: %q", got)
	}
	for _, table := range []string{"returns", "return_lines", "return_media", "return_events", "return_settings"} {
		if n := f.count(t, f.ctx, table); n != 0 {
			t.Errorf("%s: %d rows after a refused request", table, n)
		}
	}
	if len(f.jobs(t, "returns.fetch_media", "media_id")) != 0 || len(f.notices.texts()) != 0 || f.timers.started != 0 {
		t.Error("a refused request queued work")
	}
	// A longer window lets it through; a window of 0 takes no returns.
	if _, err := f.svc.UpdateSettings(f.ctx, Settings{WindowDays: 14}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(f.ctx, Request{OrderID: o.ID, Channel: ChannelStaff, Reason: ReasonWrongSize, Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateSettings(f.ctx, Settings{WindowDays: 0}); err != nil {
		t.Fatal(err)
	}
	o2 := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 1})
	_, err = f.svc.Create(f.ctx, Request{OrderID: o2.ID, Channel: ChannelStaff, Reason: ReasonWrongSize, Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}}})
	if fe := fieldOf(t, err, "order_id"); fe.Code != refusalNoReturns {
		t.Errorf("window 0: %+v", fe)
	}
}

func TestCreateRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	delivered := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 2}, item{f.scarf, 1})
	shipped := f.order(t, f.ctx, nil, orders.StatusShipped, item{f.abaya, 1})
	f.clock.Set(deliveredAt.Add(24 * time.Hour))
	f.staffReturn(t, delivered, ReasonDamaged, item{f.abaya, 1})
	req := func(o *orders.Order, reason, text string, lines ...LineRequest) Request {
		return Request{OrderID: o.ID, Channel: ChannelStaff, Reason: reason, ReasonText: text, Lines: lines}
	}
	tests := []struct {
		name  string
		req   Request
		field string
		code  string
	}{
		{"more than ordered", req(delivered, ReasonWrongSize, "", LineRequest{SKU: f.scarf.SKU, Quantity: 2}), "items[0].quantity", "too_many"},
		{"more than left after another return", req(delivered, ReasonWrongSize, "", LineRequest{SKU: f.abaya.SKU, Quantity: 2}), "items[0].quantity", "too_many"},
		{"repeated item adds up", req(delivered, ReasonWrongSize, "", LineRequest{SKU: f.abaya.SKU, Quantity: 1}, LineRequest{VariantID: f.abaya.ID, Quantity: 1}),
			"items[0].quantity", "too_many"},
		{"not delivered", req(shipped, ReasonWrongSize, "", LineRequest{SKU: f.abaya.SKU, Quantity: 1}), "order_id", refusalNotDelivered},
		{"not in the order", req(delivered, ReasonWrongSize, "", LineRequest{SKU: "NOPE", Quantity: 1}), "items[0]", "not_in_order"},
		{"no items", req(delivered, ReasonWrongSize, ""), "items", "required"},
		{"zero quantity", req(delivered, ReasonWrongSize, "", LineRequest{SKU: f.abaya.SKU}), "items[0].quantity", "range"},
		{"other needs words", req(delivered, ReasonOther, "  ", LineRequest{SKU: f.abaya.SKU, Quantity: 1}), "reason_text", "required"},
		{"words at most 500", req(delivered, ReasonDamaged, string(make([]rune, 501)), LineRequest{SKU: f.abaya.SKU, Quantity: 1}), "reason_text", "max"},
		{"unknown reason", req(delivered, "bored", "", LineRequest{SKU: f.abaya.SKU, Quantity: 1}), "reason", "oneof"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Create(f.ctx, tc.req)
			if fe := fieldOf(t, err, tc.field); fe.Code != tc.code {
				t.Errorf("%s: %+v", tc.field, fe)
			}
		})
	}
	_, err := f.svc.Create(f.ctx, req(delivered, ReasonWrongSize, "", LineRequest{SKU: f.abaya.SKU, Quantity: 2}))
	if fe := fieldOf(t, err, "items[0].quantity"); fe.Msg.Data["max"] != 1 || fe.Msg.Data["ordered"] != 2 || fe.Msg.Data["requested"] != 1 {
		t.Errorf("too many: %+v", fe.Msg)
	}
	if n := f.count(t, f.ctx, "returns"); n != 1 {
		t.Errorf("%d returns after the refusals", n)
	}
	// Proofs: the WhatsApp customer's own order only; the storefront's
	// number and phone, one 404 for any wrong pair.
	cust, _ := f.customer(t, f.ctx, "en")
	other, _ := f.customer(t, f.ctx, "en")
	mine := f.order(t, f.ctx, &cust, orders.StatusDelivered, item{f.scarf, 1})
	lines := []LineRequest{{SKU: f.scarf.SKU, Quantity: 1}}
	for name, r := range map[string]Request{
		"another customer's order": {OrderID: mine.ID, Channel: ChannelWhatsApp, CustomerID: &other, Phone: "+966500000001", Reason: ReasonDamaged, Lines: lines},
		"wrong phone":              {OrderID: mine.ID, Channel: ChannelWeb, OrderNumber: mine.Number, Phone: "+966500000001", Reason: ReasonDamaged, Lines: lines},
		"wrong number":             {OrderID: mine.ID, Channel: ChannelWeb, OrderNumber: mine.Number + 1, Phone: mine.CustomerPhone, Reason: ReasonDamaged, Lines: lines},
		"no such order":            {OrderID: uuid.New(), Channel: ChannelStaff, Reason: ReasonDamaged, Lines: lines},
	} {
		if _, err := f.svc.Create(f.ctx, r); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	r, err := f.svc.Create(f.ctx, Request{OrderID: mine.ID, Channel: ChannelWeb, OrderNumber: mine.Number, Phone: mine.CustomerPhone,
		Actor: "customer:web", Reason: ReasonDamaged, Lines: lines})
	if err != nil || r.Channel != ChannelWeb || r.CustomerID == nil || *r.CustomerID != cust {
		t.Fatalf("storefront proof: %+v %v", r, err)
	}
}

func TestApproveRefundsThroughTheJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 2})
	f.clock.Set(deliveredAt.Add(24 * time.Hour))
	r := f.staffReturn(t, o, ReasonDamaged, item{f.abaya, 1})
	// Over what the order has left to refund: refused.
	if _, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: true, RefundAmount: ptr(int64(42501))}); fieldOf(t, err, "refund_amount").Code != "max" {
		t.Fatalf("refund over the order's total: %v", err)
	}
	got, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: true, Note: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusApproved || got.RefundAmount != 20000 || got.RefundStatus != RefundPending || got.DecidedBy != "user:staff-1" || got.DecidedAt == nil {
		t.Fatalf("approved: %+v", got)
	}
	if f.timers.isRunning(r.ID) {
		t.Error("the SLA timer still runs after the decision")
	}
	if jobs := f.jobs(t, "returns.refund", "return_id"); !slices.Equal(jobs, []string{r.ID.String()}) {
		t.Fatalf("refund jobs: %v", jobs)
	}
	if len(f.refunds.list()) != 0 {
		t.Fatal("refunded inside the decision")
	}
	// The same decision again answers the same, queues nothing; another
	// decision is a conflict; another amount too.
	if again, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: true}); err != nil || again.RefundAmount != 20000 {
		t.Fatalf("approve again: %+v %v", again, err)
	}
	if _, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: false, Note: "changed my mind"}); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("reject after approval: %v", err)
	}
	if _, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: true, RefundAmount: ptr(int64(100))}); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("approve with another amount: %v", err)
	}
	if n := len(f.jobs(t, "returns.refund", "return_id")); n != 1 {
		t.Fatalf("%d refund jobs", n)
	}
	// The job: the refund outside any transaction, then the record.
	if err := f.svc.Refund(f.ctx, r.ID, false); err != nil {
		t.Fatal(err)
	}
	calls := f.refunds.list()
	if len(calls) != 1 || calls[0] != (refundCall{o.ID, 20000, "user:staff-1", "RMA-1001"}) {
		t.Fatalf("refund calls: %+v", calls)
	}
	d, err := f.svc.Get(f.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusRefunded || d.RefundStatus != RefundDone || d.RefundedAt == nil {
		t.Fatalf("after the refund: %+v", d.Return)
	}
	// Running the job again refunds nothing more.
	if err := f.svc.Refund(f.ctx, r.ID, false); err != nil || len(f.refunds.list()) != 1 {
		t.Fatalf("second run: %v, %d calls", err, len(f.refunds.list()))
	}
	want := []string{"returns.notify.requested", "returns.notify.approved", "returns.notify.refunded"}
	if got := f.notices.texts(); !slices.Equal(got, want) {
		t.Errorf("notices: %v", got)
	}
	// The parcel arrives: closed.
	if got, err := f.svc.MarkReceived(f.ctx, r.ID); err != nil || got.Status != StatusClosed {
		t.Fatalf("received after the refund: %+v %v", got, err)
	}
	// What is left to refund shrinks by what was refunded: the second
	// return's default is clamped to it.
	r2 := f.staffReturn(t, o, ReasonDamaged, item{f.abaya, 1})
	if _, err := f.svc.Decide(f.ctx, r2.ID, Decision{Approve: true, RefundAmount: ptr(int64(22501))}); fieldOf(t, err, "refund_amount").Msg.Data["max"] != int64(22500) {
		t.Fatalf("left to refund: %v", err)
	}
}

func TestCashOnDeliveryRefundIsManual(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.scarf, 2})
	f.clock.Set(deliveredAt.Add(time.Hour))
	r := f.staffReturn(t, o, ReasonChangedMind, item{f.scarf, 2})
	if _, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	// The parcel first, then the refund.
	if got, err := f.svc.MarkReceived(f.ctx, r.ID); err != nil || got.Status != StatusReceived {
		t.Fatalf("received before the refund: %+v %v", got, err)
	}
	f.refunds.set(true, nil)
	if err := f.svc.Refund(f.ctx, r.ID, false); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Get(f.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusClosed || d.RefundStatus != RefundManual || d.RefundAmount != 10000 {
		t.Fatalf("manual refund: %+v", d.Return)
	}
	if got := f.notices.texts(); got[len(got)-1] != "returns.notify.refunded_manual" {
		t.Errorf("notices: %v", got)
	}
}

func TestRefundFailuresAndRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 1})
	f.clock.Set(deliveredAt.Add(time.Hour))
	r := f.staffReturn(t, o, ReasonDamaged, item{f.abaya, 1})
	if _, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	// Unreachable: the job retries (the error comes back), nothing recorded.
	f.refunds.set(false, errors.New("connection reset"))
	if err := f.svc.Refund(f.ctx, r.ID, false); err == nil {
		t.Fatal("a transient failure must make the job retry")
	}
	if d, _ := f.svc.Get(f.ctx, r.ID); d.RefundStatus != RefundPending {
		t.Fatalf("after a transient failure: %s", d.RefundStatus)
	}
	// Refused by the provider: failed at once, for staff to see.
	f.refunds.set(false, errs.New(errs.CodeConflict, "checkout.refund.nothing_captured"))
	if err := f.svc.Refund(f.ctx, r.ID, false); err != nil {
		t.Fatal(err)
	}
	d, _ := f.svc.Get(f.ctx, r.ID)
	if d.RefundStatus != RefundFailed || d.RefundError != "checkout.refund.nothing_captured" || d.Status != StatusApproved {
		t.Fatalf("after a refusal: %+v", d.Return)
	}
	// Approving again retries: pending, a new job; this time it works.
	if got, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: true}); err != nil || got.RefundStatus != RefundPending || got.RefundError != "" {
		t.Fatalf("retry: %+v %v", got, err)
	}
	if n := len(f.jobs(t, "returns.refund", "return_id")); n != 2 {
		t.Fatalf("%d refund jobs", n)
	}
	f.refunds.set(false, nil)
	if err := f.svc.Refund(f.ctx, r.ID, false); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.svc.Get(f.ctx, r.ID); d.RefundStatus != RefundDone {
		t.Fatalf("after the retry: %s", d.RefundStatus)
	}
	// Still unreachable at the last attempt: failed.
	r2 := f.staffReturn(t, f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.scarf, 1}), ReasonDamaged, item{f.scarf, 1})
	if _, err := f.svc.Decide(f.ctx, r2.ID, Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	f.refunds.set(false, errors.New("timeout"))
	if err := f.svc.Refund(f.ctx, r2.ID, true); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.svc.Get(f.ctx, r2.ID); d.RefundStatus != RefundFailed || d.RefundError != "unavailable" {
		t.Fatalf("after the last attempt: %+v", d.Return)
	}
}

func TestRejectNeedsANote(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 1})
	f.clock.Set(deliveredAt.Add(time.Hour))
	r := f.staffReturn(t, o, ReasonChangedMind, item{f.abaya, 1})
	if _, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: false, Note: " "}); fieldOf(t, err, "note").Code != "required" {
		t.Fatalf("reject without a note: %v", err)
	}
	got, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: false, Note: "Worn and washed"})
	if err != nil || got.Status != StatusRejected || got.DecisionNote != "Worn and washed" {
		t.Fatalf("rejected: %+v %v", got, err)
	}
	if again, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: false, Note: "again"}); err != nil || again.DecisionNote != "Worn and washed" {
		t.Fatalf("reject again: %+v %v", again, err)
	}
	if _, err := f.svc.Decide(f.ctx, r.ID, Decision{Approve: true}); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("approve after rejection: %v", err)
	}
	if _, err := f.svc.MarkReceived(f.ctx, r.ID); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("receive a rejected return: %v", err)
	}
	n := f.notices.sent[len(f.notices.sent)-1]
	if n.Text != "returns.notify.rejected" || !slices.Contains(n.Vars, "Worn and washed") || n.Template != "return_rejected" {
		t.Errorf("notice: %+v", n)
	}
	// A rejected return gives its items back to the order.
	if _, err := f.svc.Create(f.ctx, Request{OrderID: o.ID, Channel: ChannelStaff, Reason: ReasonDamaged, Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
}

func TestReceivedRestocksOnceAndReturnsTheOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 2}, item{f.scarf, 1})
	f.clock.Set(deliveredAt.Add(time.Hour))
	first := f.staffReturn(t, o, ReasonWrongSize, item{f.abaya, 2})
	if _, err := f.svc.MarkReceived(f.ctx, first.ID); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("receive before approval: %v", err)
	}
	if _, err := f.svc.Decide(f.ctx, first.ID, Decision{Approve: true, RefundAmount: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	if len(f.jobs(t, "returns.refund", "return_id")) != 0 {
		t.Fatal("an approval without refund queued one")
	}
	for i := range 2 {
		got, err := f.svc.MarkReceived(f.ctx, first.ID)
		if err != nil || got.Status != StatusClosed || got.ReceivedAt == nil {
			t.Fatalf("receive #%d: %+v %v", i+1, got, err)
		}
		if n := f.stock(t, f.abaya); n != 7 {
			t.Fatalf("abaya stock after receive #%d: %d, want 5 + 2", i+1, n)
		}
	}
	if d, _ := f.orders.Get(f.ctx, o.ID); d.Status != orders.StatusDelivered {
		t.Fatalf("order after a partial return: %s", d.Status)
	}
	second := f.staffReturn(t, o, ReasonDamaged, item{f.scarf, 1})
	if _, err := f.svc.Decide(f.ctx, second.ID, Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkReceived(f.ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if n := f.stock(t, f.scarf); n != 11 {
		t.Fatalf("scarf stock: %d", n)
	}
	d, err := f.orders.Get(f.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != orders.StatusReturned {
		t.Fatalf("order after everything came back: %s", d.Status)
	}
	if last := d.Events[len(d.Events)-1]; last.Kind != "returned" || last.Note != "RMA-1002" {
		t.Errorf("order timeline: %+v", last)
	}
}

func TestListAndSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 3})
	f.clock.Set(deliveredAt.Add(time.Hour))
	var ids []uuid.UUID
	for range 3 {
		ids = append(ids, f.staffReturn(t, o, ReasonWrongSize, item{f.abaya, 1}).ID)
		f.clock.Add(time.Minute)
	}
	if _, err := f.svc.Decide(f.ctx, ids[0], Decision{Approve: false, Note: "no"}); err != nil {
		t.Fatal(err)
	}
	page, err := f.svc.List(f.ctx, Query{Limit: 2})
	if err != nil || len(page.Items) != 2 || page.Items[0].ID != ids[2] || page.NextCursor == "" || len(page.Items[0].Lines) != 1 {
		t.Fatalf("first page: %+v %v", page, err)
	}
	next, err := f.svc.List(f.ctx, Query{Limit: 2, Cursor: page.NextCursor})
	if err != nil || len(next.Items) != 1 || next.Items[0].ID != ids[0] || next.NextCursor != "" {
		t.Fatalf("second page: %+v %v", next, err)
	}
	if rej, err := f.svc.List(f.ctx, Query{Status: StatusRejected}); err != nil || len(rej.Items) != 1 {
		t.Fatalf("rejected: %+v %v", rej, err)
	}
	if _, err := f.svc.List(f.ctx, Query{Status: "lost"}); fieldOf(t, err, "status").Code != "oneof" {
		t.Fatal(err)
	}
	if _, err := f.svc.List(f.ctx, Query{Cursor: "junk"}); fieldOf(t, err, "cursor").Code != "invalid" {
		t.Fatal(err)
	}
	set, err := f.svc.Settings(f.ctx)
	if err != nil || set.WindowDays != 7 {
		t.Fatalf("settings: %+v %v", set, err)
	}
	if _, err := f.svc.UpdateSettings(f.ctx, Settings{WindowDays: 366}); fieldOf(t, err, "window_days").Code != "range" {
		t.Fatal(err)
	}
	if set, err := f.svc.UpdateSettings(f.ctx, Settings{WindowDays: 30}); err != nil || set.WindowDays != 30 {
		t.Fatalf("update: %+v %v", set, err)
	}
	if set, _ := f.svc.Settings(f.ctx); set.WindowDays != 30 || set.UpdatedAt == nil {
		t.Fatalf("after update: %+v", set)
	}
	// The counter survives a settings change.
	if r := f.staffReturn(t, f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.scarf, 1}), ReasonDamaged, item{f.scarf, 1}); r.Number != 1004 {
		t.Fatalf("number after a settings change: %d", r.Number)
	}
	var audited int
	err = f.env.Scope.InTenantTx(f.ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'returns.settings_updated'`).Scan(&audited)
	})
	if err != nil || audited != 1 {
		t.Errorf("audit entries: %d %v", audited, err)
	}
}

func TestCrossTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 2})
	f.clock.Set(deliveredAt.Add(time.Hour))
	r, err := f.svc.Create(f.ctx, Request{OrderID: o.ID, Channel: ChannelStaff, Reason: ReasonDamaged,
		Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}}, Media: []MediaRef{{ID: "777", MimeType: "image/jpeg"}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Get(f.ctx, r.ID)
	if err != nil || len(d.Media) != 1 {
		t.Fatalf("detail: %+v %v", d, err)
	}
	b := f.env.Tenant(t, "other").Ctx
	notFound := map[string]error{}
	_, notFound["get"] = f.svc.Get(b, r.ID)
	_, notFound["decide"] = f.svc.Decide(b, r.ID, Decision{Approve: true})
	_, notFound["receive"] = f.svc.MarkReceived(b, r.ID)
	_, _, notFound["media"] = f.svc.Media(b, r.ID, d.Media[0].ID)
	_, notFound["create on A's order"] = f.svc.Create(b, Request{OrderID: o.ID, Channel: ChannelStaff, Reason: ReasonDamaged,
		Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}}})
	for name, err := range notFound {
		if !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("%s from another tenant: %v", name, err)
		}
	}
	if page, err := f.svc.List(b, Query{}); err != nil || len(page.Items) != 0 {
		t.Errorf("other tenant's list: %+v %v", page, err)
	}
	if set, err := f.svc.Settings(b); err != nil || set.UpdatedAt != nil {
		t.Errorf("other tenant's settings: %+v %v", set, err)
	}
	// Its jobs find nothing either.
	if err := f.svc.FetchMedia(b, d.Media[0].ID, true); err != nil {
		t.Errorf("fetch of another tenant's photo: %v", err)
	}
	if err := f.svc.Refund(b, r.ID, true); err != nil || len(f.refunds.list()) != 0 {
		t.Errorf("refund of another tenant's return: %v", err)
	}
	for _, table := range []string{"returns", "return_lines", "return_media", "return_events", "return_settings"} {
		if n := f.count(t, b, table); n != 0 {
			t.Errorf("other tenant sees %d rows of %s", n, table)
		}
		if n := f.count(t, f.ctx, table); n == 0 {
			t.Errorf("the tenant sees no rows of %s", table)
		}
	}
	// Nor can it write into the tenant's return.
	err = f.env.Scope.InTenantTx(b, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO return_events (tenant_id, id, return_id, kind, actor, at) VALUES (?, ?, ?, 'x', 'x', now())`,
			f.shop.ID, uuid.New(), r.ID)
		return err
	})
	if err == nil {
		t.Error("another tenant wrote into the tenant's timeline")
	}
}
