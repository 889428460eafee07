package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/transcript"
	"concierge/tenants"
)

var updateTranscripts = flag.Bool("update", false, "rewrite the golden transcripts (modules/whatsapp/dialog/testdata/*.txt) with what the product answers now (review the diff!)")

// transcriptFiles is the product's one set of golden transcripts, which the
// dialog engine's tests play too (modules/whatsapp/dialog TestTranscripts).
var transcriptFiles = filepath.Join("..", "..", "modules", "whatsapp", "dialog", "testdata", "*.txt")

// TestTranscriptsEndToEnd plays every golden transcript of the product
// (modules/whatsapp/dialog/testdata/*.txt, the same files the engine's
// tests play in memory, with a stand-in for the product's catalog menu
// entry) through the real pipeline: the emulator posts each customer turn as
// a signed webhook, the product stores it, the worker runs the engine with
// the product's capabilities and the sender delivers the replies to the
// emulator, whose recorded Cloud API messages are rendered back into the
// transcript's canonical lines.
//
// Each transcript is a new customer (its own phone) of the fixture tenant the
// transcripts assume (متجر النخبة / Nukhba Store, Arabic first, privacy
// notice https://nukhba.example/privacy version 2025-01).
//
// The engine's testdata/capability/*.txt is not played: it needs the
// test-only "shop" capability of the dialog package's tests. With -update
// the bot lines are rewritten from what the pipeline answers. The pipeline
// splits texts longer than 4096 characters (cloudapi.TextPages) and lists
// of more than ten rows (cloudapi.ListPages) into several messages; no
// golden transcript reaches either limit, so each engine reply is exactly
// one Cloud API message here.
func TestTranscriptsEndToEnd(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(transcriptFiles)
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	ta := waStartApp(t, modeDev, nil)
	n := transcriptTenant(t, ta)
	var tests []waSubtest
	for _, file := range files {
		tests = append(tests, waSubtest{strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			turns, err := transcript.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if *updateTranscripts {
				src, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				out, err := transcript.Rewrite(bytes.NewReader(src), newTranscriptDriver(t, n.with(t), turns).drive)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			transcript.Run(t, turns, newTranscriptDriver(t, n.with(t), turns).drive)
		}})
	}
	waConcurrently(t, tests...)
}

// transcriptTenant onboards the transcripts' fixture tenant with a WhatsApp
// number.
func transcriptTenant(t *testing.T, ta *testApp) *waNumber {
	t.Helper()
	ctx := context.Background()
	svc := ta.app.deps.tenants
	if _, err := svc.Create(ctx, "test", tenants.CreateInput{Slug: "nukhba", NameEN: "Nukhba Store", NameAR: "متجر النخبة", DefaultLocale: "ar"}); err != nil {
		t.Fatal(err)
	}
	privacy, version := "https://nukhba.example/privacy", "2025-01"
	tn, err := svc.Update(ctx, "test", "nukhba", tenants.UpdateInput{PrivacyURL: &privacy, PrivacyVersion: &version})
	if err != nil {
		t.Fatal(err)
	}
	return waAddNumber(t, ta, tn)
}

// transcriptDriver plays one customer of a transcript.
type transcriptDriver struct {
	t     *testing.T
	n     *waNumber
	phone string
	turns []transcript.Turn
	turn  int // the turn being played
	seen  int // bot messages received so far
}

func newTranscriptDriver(t *testing.T, n *waNumber, turns []transcript.Turn) *transcriptDriver {
	return &transcriptDriver{t: t, n: n, phone: waPhone(), turns: turns}
}

// drive sends one customer turn, waits for the bot messages the transcript
// expects, lets the conversation settle (so a missing, extra or late message
// shows up in this turn, not the next) and returns what the customer
// received, as engine replies.
func (d *transcriptDriver) drive(in dialog.Inbound) []dialog.Reply {
	d.t.Helper()
	want := len(d.turns[d.turn].Want)
	d.turn++
	d.send(in)
	if want > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		// On timeout, what there is goes to the transcript's diff.
		_, _ = d.n.ta.app.sandbox.Wait(ctx, d.n.pnid, d.phone, d.seen+want)
		cancel()
	}
	d.n.settle(d.phone, 15*time.Second)
	got := d.n.ta.app.sandbox.Sent(d.n.pnid, d.phone)[d.seen:]
	d.seen += len(got)
	out := make([]dialog.Reply, len(got))
	for i, r := range got {
		out[i] = transcriptReply(r)
	}
	return out
}

// send posts the customer's message: through the emulator's customer side
// for the kinds it can send, as a raw signed Meta webhook for the others
// (document, audio, video, sticker, order).
func (d *transcriptDriver) send(in dialog.Inbound) {
	d.t.Helper()
	m := sandbox.CustomerMessage{Name: "عميل النخبة"}
	title := func() string {
		if in.Text != "" {
			return in.Text
		}
		return in.ReplyID // Meta always sends a title; the transcript may leave it out
	}
	now := time.Now()
	switch in.Kind {
	case dialog.KindText:
		m.Text = in.Text
	case dialog.KindButtonReply:
		m.ButtonReply = &sandbox.ReplyChoice{ID: in.ReplyID, Title: title()}
	case dialog.KindListReply:
		m.ListReply = &sandbox.ReplyChoice{ID: in.ReplyID, Title: title()}
	case dialog.KindTemplateButton:
		m.TemplateButton = &sandbox.TemplateButtonChoice{Payload: in.ReplyID, Text: title()}
	case dialog.KindImage:
		m.Image = &sandbox.Image{Caption: in.Text}
	case dialog.KindLocation:
		m.Location = &sandbox.Location{Latitude: 24.7136, Longitude: 46.6753, Name: "الرياض"}
	case dialog.KindReaction:
		m.Reaction = &sandbox.Reaction{Emoji: "👍"} // on the newest bot message
	case dialog.KindUnknown:
		m.Unknown = true
	case dialog.KindDocument, dialog.KindAudio, dialog.KindVideo, dialog.KindSticker:
		obj := map[string]any{"id": "1" + waPhone(), "sha256": "K0fN1dTq0mFf4h6z3T2bqsC1bM2t8Z8kQ1Yk0QZpV9o=",
			"mime_type": map[string]string{"document": "application/pdf", "audio": "audio/ogg; codecs=opus", "video": "video/mp4", "sticker": "image/webp"}[in.Kind]}
		if in.Text != "" && (in.Kind == dialog.KindDocument || in.Kind == dialog.KindVideo) {
			obj["caption"] = in.Text
		}
		d.n.deliver(d.n.messages(nil, waMsg(d.phone, now, in.Kind, obj)))
		return
	case dialog.KindOrder:
		obj := map[string]any{"catalog_id": "1234567890123456", "product_items": []any{map[string]any{
			"product_retailer_id": "DATES-1KG", "quantity": 1, "item_price": "45.50", "currency": "SAR"}}}
		if in.Text != "" {
			obj["text"] = in.Text
		}
		d.n.deliver(d.n.messages(nil, waMsg(d.phone, now, "order", obj)))
		return
	default:
		d.t.Fatalf("transcript kind %q has no WhatsApp form", in.Kind)
	}
	d.n.say(d.phone, m)
}

// transcriptReply turns a Cloud API message the emulator recorded back into
// the engine reply it was built from, for transcript.Render. Messages the
// engine never sends (templates, unknown interactive types) keep their type
// as the kind, so a transcript diff shows them plainly.
func transcriptReply(r sandbox.Recorded) dialog.Reply {
	m := r.Message
	switch {
	case m.Text != nil:
		return dialog.Reply{Kind: dialog.ReplyText, Body: m.Text.Body}
	case m.Image != nil:
		return dialog.Reply{Kind: dialog.ReplyImage, ImageURL: m.Image.Link, Body: m.Image.Caption}
	case m.Interactive != nil:
		in := m.Interactive
		var out dialog.Reply
		if in.Body != nil {
			out.Body = in.Body.Text
		}
		if in.Header != nil && in.Header.Type == "text" {
			out.Header = in.Header.Text
		}
		if in.Footer != nil {
			out.Footer = in.Footer.Text
		}
		a := in.Action
		if a == nil {
			a = &sandbox.Action{}
		}
		switch in.Type {
		case "button":
			out.Kind = dialog.ReplyButtons
			for _, b := range a.Buttons {
				if b.Reply != nil {
					out.Options = append(out.Options, dialog.Option{ID: b.Reply.ID, Title: b.Reply.Title})
				}
			}
		case "list":
			out.Kind, out.ListButton = dialog.ReplyList, a.Button
			for _, s := range a.Sections {
				for _, row := range s.Rows {
					out.Options = append(out.Options, dialog.Option{ID: row.ID, Title: row.Title, Description: row.Description})
				}
			}
		case "product":
			out.Kind, out.CatalogID, out.ProductRetailerID = dialog.ReplyProduct, a.CatalogID, a.ProductRetailerID
		case "product_list":
			out.Kind, out.CatalogID = dialog.ReplyProductList, a.CatalogID
			for _, s := range a.Sections {
				sec := dialog.ProductSection{Title: s.Title}
				for _, it := range s.ProductItems {
					sec.SKUs = append(sec.SKUs, it.ProductRetailerID)
				}
				out.Sections = append(out.Sections, sec)
			}
		case "cta_url":
			out.Kind = dialog.ReplyCTAURL
			if p := a.Parameters; p != nil {
				out.ListButton, out.URL = p.DisplayText, p.URL
			}
		default:
			out.Kind = "interactive " + in.Type
		}
		return out
	case m.Template != nil:
		return dialog.Reply{Kind: "template", Body: m.Template.Name + ": " + r.Text()}
	}
	return dialog.Reply{Kind: r.Type, Body: string(r.Raw)}
}
