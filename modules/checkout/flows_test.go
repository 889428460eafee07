package checkout

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/dialogtest"
	"concierge/tenants"
)

var update = flag.Bool("update", false, "rewrite testdata/transcripts/*.txt with the flows' current replies (review the diff!)")

// flowTenant is the dialog tenant every transcript assumes.
var flowTenant = dialog.Tenant{
	NameAR: "متجر النخبة", NameEN: "Nukhba Store", DefaultLocale: "ar",
	PrivacyURL: "https://nukhba.example/privacy", NoticeVersion: "2025-01",
}

// flowTranscripts are the golden checkout conversations in
// testdata/transcripts: a consented customer whose cart holds 2 × Abaya
// (200.00 each, VAT included) of a store shipping to Riyadh (25.00) only,
// with cash on delivery on (confirm within 1h). The engine runs the
// catalog's, the cart's and checkout's steps as the product wires them; the
// payment's start and its notification are a job (not in the transcript).
var flowTranscripts = map[string]string{
	"pin.en.txt": "en", "pin.ar.txt": "ar",
	"typed.en.txt": "en", "typed.ar.txt": "ar",
	"empty.en.txt": "en", "empty.ar.txt": "ar",
}

var waSeq atomic.Int64

func TestFlowTranscripts(t *testing.T) {
	t.Parallel()
	files := make([]string, 0, len(flowTranscripts))
	for name := range flowTranscripts {
		files = append(files, name)
	}
	dialogtest.RunFiles(t, filepath.Join("testdata", "transcripts"), files, *update, func(t *testing.T, name string) *dialogtest.Session {
		return newFixture(t).session(t, flowTranscripts[name], !strings.HasPrefix(name, "empty"))
	})
}

// session is a new consented customer (with 2 of the fixture's product in
// the cart when fill) talking to the product's WhatsApp steps.
func (f *fixture) session(t *testing.T, locale string, fill bool) *dialogtest.Session {
	t.Helper()
	tn, err := tenants.FromContext(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, wa := uuid.Must(uuid.NewV7()), fmt.Sprintf("9665%08d", 20000000+waSeq.Add(1))
	err = f.env.Scope.InTenantTx(f.ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (tenant_id, id, wa_id, locale, consent) VALUES (?, ?, ?, ?, 'granted')`, tn.ID, id, wa, locale)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fill {
		c, err := f.carts.CustomerCart(f.ctx, id)
		if err == nil {
			_, err = f.carts.Add(f.ctx, c.ID, f.sku, 2)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	words := dialog.Words{Catalog: f.env.Catalog}
	browse := dialog.IDMenuPrefix + catalog.FlowsName
	catFlows := catalog.NewFlows(f.cat, words)
	cartFlows := cart.NewFlows(f.carts, words, browse)
	coFlows := NewFlows(f.svc, words, browse)
	catFlows.Cart, cartFlows.Checkout = cartFlows, coFlows
	return &dialogtest.Session{T: t, Ctx: f.ctx, Engine: dialog.NewWithWords(words, catFlows, cartFlows, coFlows),
		Names: dialogtest.NewNames(t), Tenant: flowTenant,
		Customer: dialog.Customer{ID: id.String(), Locale: locale, Consent: dialog.ConsentGranted, WAID: wa},
		Now:      time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)}
}
