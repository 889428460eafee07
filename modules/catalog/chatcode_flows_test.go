package catalog_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"concierge/modules/catalog"
	"concierge/modules/catalog/catalogtest"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/dialogtest"
)

// chatCodeTranscripts are the golden conversations of the storefront's chat
// codes (testdata/chatcode): the demo catalog plus the products of
// seedChatCodes, a consented customer, the catalog's steps alone.
var chatCodeTranscripts = map[string]string{"chat_code.ar.txt": "ar", "chat_code.en.txt": "en"}

func TestChatCodeTranscripts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	seedChatCodes(t, f.ctx, f.svc)
	ids := catalogtest.Names(t, f.ctx, f.svc)
	files := make([]string, 0, len(chatCodeTranscripts))
	for name := range chatCodeTranscripts {
		files = append(files, name)
	}
	dialogtest.RunFiles(t, filepath.Join("testdata", "chatcode"), files, *update, func(t *testing.T, name string) *dialogtest.Session {
		return newFlowSession(t, f.ctx, dialog.New(nil, catalog.NewFlows(f.svc, dialog.Words{})), ids, chatCodeTranscripts[name])
	})
}

// seedChatCodes adds what the chat code transcripts need beside the demo
// catalog: a SKU with spaces, Arabic letters, "#" and brackets, a
// lower-case SKU, a product one of whose options was withdrawn and a
// product withdrawn.
func seedChatCodes(t *testing.T, ctx context.Context, svc *catalog.Service) {
	t.Helper()
	three := 3
	create := func(in catalog.ProductInput) *catalog.Product {
		t.Helper()
		p, err := svc.CreateProduct(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	create(catalog.ProductInput{TitleAR: "عباية سهرة مطرزة", TitleEN: "Embroidered Evening Abaya",
		Variants: []catalog.VariantInput{{SKU: "عباية سهرة #1 [M]", Price: 45000, Stock: &three}}})
	create(catalog.ProductInput{TitleAR: "عينة عود", TitleEN: "Oud Sample",
		Variants: []catalog.VariantInput{{SKU: "prf-oud-small", Price: 2500}}})
	gift := create(catalog.ProductInput{TitleAR: "طقم هدايا", TitleEN: "Gift Set", Variants: []catalog.VariantInput{
		{SKU: "GFT-1-RED", Price: 12000, Options: []catalog.Option{{Name: "Colour", Value: "Red", NameAR: "اللون", ValueAR: "أحمر"}}},
		{SKU: "GFT-1-BLU", Price: 12000, Options: []catalog.Option{{Name: "Colour", Value: "Blue", NameAR: "اللون", ValueAR: "أزرق"}}},
	}})
	if err := svc.ArchiveVariant(ctx, gift.ID.String(), gift.Variants[0].ID.String()); err != nil {
		t.Fatal(err)
	}
	old := create(catalog.ProductInput{TitleAR: "عطر قديم", TitleEN: "Old Perfume",
		Variants: []catalog.VariantInput{{SKU: "OLD-1", Price: 9000}}})
	if _, err := svc.ArchiveProduct(ctx, old.ID.String()); err != nil {
		t.Fatal(err)
	}
}

// TestChatCodeForms: every SKU form the catalog takes opens its product
// from the text ChatText writes, in both languages.
func TestChatCodeForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seedChatCodes(t, f.ctx, f.svc)
	eng := dialog.New(nil, catalog.NewFlows(f.svc, dialog.Words{}))
	for _, sku := range []string{"عباية سهرة #1 [M]", "prf-oud-small", "GFT-1-BLU"} {
		for _, locale := range []string{"ar", "en"} {
			v, p, err := f.svc.CodeVariant(f.ctx, sku)
			if err != nil || p == nil {
				t.Fatalf("CodeVariant(%q): %v %v", sku, p, err)
			}
			text := catalog.ChatText(locale, *p, v)
			res, err := eng.Handle(f.ctx, dialog.Request{Tenant: flowTenant,
				Customer: dialog.Customer{Locale: locale, Consent: dialog.ConsentGranted}, In: dialog.Inbound{Kind: dialog.KindText, Text: text}})
			if err != nil || len(res.Replies) != 2 || !strings.Contains(res.Replies[0].Body, p.Title(locale)) ||
				!strings.Contains(res.Replies[0].Body, sku) || res.State.Data["catalog.variant"] != v.ID.String() {
				t.Errorf("%s %q: %v %+v", locale, text, err, res)
			}
		}
	}
	if _, _, err := f.svc.CodeVariant(f.other(t).ctx, "prf-oud-small"); err == nil {
		t.Errorf("another tenant resolves this tenant's SKU")
	}
}
