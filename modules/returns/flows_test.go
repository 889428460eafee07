package returns

import (
	"context"
	"flag"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"concierge/modules/orders"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/dialogtest"
)

var update = flag.Bool("update", false, "rewrite testdata/transcripts/*.txt with the flows' current replies (review the diff!)")

// flowTenant is the dialog tenant every transcript assumes.
var flowTenant = dialog.Tenant{
	NameAR: "متجر النخبة", NameEN: "Nukhba Store", DefaultLocale: "ar",
	PrivacyURL: "https://nukhba.example/privacy", NoticeVersion: "2025-01",
}

// flowNow is the service's clock in the transcripts: three days after the
// fixture's delivery (the 7-day window closes on 27 February).
var flowNow = time.Date(2026, 2, 23, 9, 30, 0, 0, time.UTC)

// flowTranscripts are the golden returns conversations in
// testdata/transcripts, each with its customer's orders:
//
//   - list: two orders delivered on 20 February (#1001: 1 × Silk scarf;
//     #1002: 2 × Black abaya and 1 × Silk scarf), so "return" lists them;
//     two items, a typed quantity over the limit, "Other" with words, a
//     document and a GIF refused as the photo, a JPEG taken, the request,
//     and Confirm tapped twice.
//   - refusals: #1001 delivered on 5 February (window closed on the 12th),
//     #1002 shipped, and another customer's order: why none can be
//     returned.
//   - cancel: one order that can be returned opens at once; a quantity in
//     Arabic-Indic digits; Cancel.
var flowTranscripts = map[string]string{
	"list.en.txt": "en", "list.ar.txt": "ar",
	"refusals.en.txt": "en", "refusals.ar.txt": "ar",
	"cancel.en.txt": "en", "cancel.ar.txt": "ar",
}

func TestFlowTranscripts(t *testing.T) {
	t.Parallel()
	files := make([]string, 0, len(flowTranscripts))
	for name := range flowTranscripts {
		files = append(files, name)
	}
	dialogtest.RunFiles(t, filepath.Join("testdata", "transcripts"), files, *update, func(t *testing.T, name string) *dialogtest.Session {
		f := newFixture(t)
		s, _ := f.session(t, flowTranscripts[name], strings.TrimSuffix(name, "."+flowTranscripts[name]+".txt"))
		return s
	})
}

// session is a consented customer of locale with the orders of a
// transcript (named o1, o2, ... in reply ids), talking to returns' steps.
func (f *fixture) session(t *testing.T, locale, setup string) (*dialogtest.Session, uuid.UUID) {
	t.Helper()
	cust, wa := f.customer(t, f.ctx, locale)
	names := dialogtest.NewNames(t)
	var placed []*orders.Order
	switch setup {
	case "list":
		placed = append(placed, f.order(t, f.ctx, &cust, orders.StatusDelivered, item{f.scarf, 1}),
			f.order(t, f.ctx, &cust, orders.StatusDelivered, item{f.abaya, 2}, item{f.scarf, 1}))
	case "refusals":
		other, _ := f.customer(t, f.ctx, locale)
		placed = append(placed, f.orderAt(t, f.ctx, &cust, orders.StatusDelivered, time.Date(2026, 2, 5, 10, 0, 0, 0, time.UTC), item{f.abaya, 1}),
			f.order(t, f.ctx, &cust, orders.StatusShipped, item{f.scarf, 1}),
			f.order(t, f.ctx, &other, orders.StatusDelivered, item{f.scarf, 1}))
	case "cancel":
		placed = append(placed, f.order(t, f.ctx, &cust, orders.StatusDelivered, item{f.abaya, 2}))
	}
	for i, o := range placed {
		names.Add(o.ID, "o"+string(rune('1'+i)))
	}
	f.clock.Set(flowNow)
	words := dialog.Words{Catalog: f.env.Catalog}
	return &dialogtest.Session{T: t, Ctx: f.ctx, Engine: dialog.NewWithWords(words, photoTags{NewFlows(f.svc, words)}),
		Names: names, Tenant: flowTenant,
		Customer: dialog.Customer{ID: cust.String(), Locale: locale, Consent: dialog.ConsentGranted, WAID: wa},
		Now:      flowNow}, cust
}

// photoTags reads a transcript's "> [image] image/jpeg" as WhatsApp's
// image message with a media id and that declared type (the transcript
// format carries no media): the capability as wired, with its keywords.
type photoTags struct{ *Flows }

var mimeCaption = regexp.MustCompile(`^[a-z]+/[a-z0-9.+-]+$`)

func (p photoTags) Handle(ctx context.Context, req dialog.Request) (dialog.Result, bool, error) {
	if req.In.Media == nil && req.In.Kind != dialog.KindText && mimeCaption.MatchString(req.In.Text) {
		req.In.Media = &dialog.Media{ID: "7310", MimeType: req.In.Text}
	}
	return p.Flows.Handle(ctx, req)
}

// TestFlowMakesTheRequest: what the chat's Confirm leaves behind — the
// return (channel whatsapp, the customer's), its photo pending with its
// download job, the SLA timer, and no notification (the chat's own answer
// says it).
func TestFlowMakesTheRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s, cust := f.session(t, "en", "cancel")
	tap := func(id string) { s.Drive(dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: id}) }
	s.Drive(dialog.Inbound{Kind: dialog.KindText, Text: "return please"})
	s.Drive(dialog.Inbound{Kind: dialog.KindListReply, ReplyID: "ret:item:0"})
	tap("ret:qty:2")
	s.Drive(dialog.Inbound{Kind: dialog.KindListReply, ReplyID: "ret:reason:damaged"})
	s.Drive(dialog.Inbound{Kind: dialog.KindImage, Media: &dialog.Media{ID: "4455", MimeType: "image/jpeg", SHA256: "c2hh"}})
	got := s.Drive(dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: "ret:confirm"})
	if len(got) != 1 || !strings.Contains(got[0].Body, "RMA-1001") {
		t.Fatalf("confirmation: %+v", got)
	}
	page, err := f.svc.List(f.ctx, Query{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("returns: %+v %v", page, err)
	}
	r := page.Items[0]
	if r.Channel != ChannelWhatsApp || r.CustomerID == nil || *r.CustomerID != cust || r.CreatedBy != "customer:"+cust.String() ||
		r.Reason != ReasonDamaged || len(r.Lines) != 1 || r.Lines[0].Quantity != 2 {
		t.Fatalf("return: %+v", r)
	}
	d, err := f.svc.Get(f.ctx, r.ID)
	if err != nil || len(d.Media) != 1 || d.Media[0].MediaID != "4455" || d.Media[0].Status != MediaPending || d.Media[0].MimeType != "image/jpeg" {
		t.Fatalf("photo: %+v %v", d.Media, err)
	}
	if jobs := f.jobs(t, "returns.fetch_media", "media_id"); !slices.Equal(jobs, []string{d.Media[0].ID.String()}) {
		t.Errorf("fetch jobs: %v", jobs)
	}
	if !f.timers.isRunning(r.ID) || len(f.notices.texts()) != 0 {
		t.Errorf("timer %v, notices %v", f.timers.isRunning(r.ID), f.notices.texts())
	}
	// "My orders" offers the button no longer: everything is in a return.
	o, _ := f.orders.Get(f.ctx, r.OrderID)
	if _, ok := NewFlows(f.svc, dialog.Words{Catalog: f.env.Catalog}).ReturnButton(f.ctx, dialog.Request{}, o.Order); ok {
		t.Error("a return button for an order with nothing left")
	}
}

func TestReturnButton(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	flows := NewFlows(f.svc, dialog.Words{Catalog: f.env.Catalog})
	open := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 1})
	shipped := f.order(t, f.ctx, nil, orders.StatusShipped, item{f.abaya, 1})
	f.clock.Set(flowNow)
	req := dialog.Request{Customer: dialog.Customer{Locale: "ar"}}
	if opt, ok := flows.ReturnButton(f.ctx, req, *open); !ok || opt.ID != IDStart+open.ID.String() || opt.Title != "ابدأ الإرجاع" {
		t.Errorf("delivered order: %+v %v", opt, ok)
	}
	if _, ok := flows.ReturnButton(f.ctx, req, *shipped); ok {
		t.Error("a return button for a shipped order")
	}
	f.clock.Set(deliveredAt.AddDate(0, 0, 8))
	if _, ok := flows.ReturnButton(f.ctx, req, *open); ok {
		t.Error("a return button after the window")
	}
}

// TestTextLimits holds the default button and row titles to WhatsApp's
// limits in both languages (a reply clips a longer one with "…").
func TestTextLimits(t *testing.T) {
	t.Parallel()
	words := dialog.Words{}
	for _, locale := range []string{dialog.LocaleAR, dialog.LocaleEN} {
		for _, key := range []string{"start", "staff", "menu", "orders", "items", "quantity", "more", "continue", "cancel", "reasons", "skip", "confirm"} {
			if s := words.Text(context.Background(), locale, "returns.button."+key); len([]rune(s)) > dialog.MaxButtonTitle || strings.HasPrefix(s, "bot.") {
				t.Errorf("%s button %s: %q", locale, key, s)
			}
		}
		for _, r := range Reasons {
			if s := words.Text(context.Background(), locale, "returns.reason."+r); len([]rune(s)) > dialog.MaxListTitle || strings.HasPrefix(s, "bot.") {
				t.Errorf("%s reason %s: %q", locale, r, s)
			}
		}
	}
}
