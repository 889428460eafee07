package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"concierge/modules/catalog/demo"
)

// The checkout-cod scenario checks out a fresh cart per request, cash on
// delivery, on the -host tenant (the demo seed turns COD on and ships to
// Riyadh):
//
//	POST /api/v1/checkout/init
//	{"cart_id":"…","customer":{"name":"Bench Shopper","phone":"+96650…"},
//	 "address":{"building_number":"2929","street":"King Fahd Rd","district":"Al Olaya",
//	  "city":"Riyadh","postal_code":"12345"},"payment_method":"cod"}
//
// with a fresh random UUID as its Idempotency-Key, as a storefront sends it
// (-checkout-idempotency=false sends none). A new checkout answers 201 and
// only a 201 counts as a success: a cart checked out before answers 200 with
// its order, which is not what is measured.
//
// Before the probe loadgen prepares the carts (POST /api/v1/carts, then one
// line of quantity 1), setupWorkers at a time, as many as the run will use:
// the probe, the warm-up, every fixed-rate step and the saturation step at
// checkoutSatGuess (-checkout-carts overrides). Request n takes cart n; when
// none is left the step stops (vegeta stops an attack whose targeter fails,
// and the request that found no cart counts as an error, "0" in the status
// codes) and the summary says how many requests found none: carts are never
// reused. Each checkout's phone is +96650 and 7 digits of n+1, so no two
// share a phone and per-phone rules (COD refusals) never meet.
//
// The lines' SKUs are the demo catalog's active variants with untracked stock
// (-checkout-skus overrides), in turn: a checkout reserves stock, and a
// tracked SKU would run out after a few dozen orders. Reserving still locks
// the variant's row until the checkout commits, so checkouts of one SKU queue
// behind one another; spreading them over the SKUs keeps that queue short.
//
// The baseline gets the same bodies (ids of prepared carts, reused: it
// checks nothing out) and takes no cart from the target's.
const (
	checkoutCODScenario = "checkout-cod"
	checkoutInitPath    = "/api/v1/checkout/init"

	// checkoutSatGuess is the saturation throughput (checkouts/s) the
	// automatic cart count plans for: five times the ~100/s measured on the
	// project machine on 2026-12-02, about what adding to a cart reaches
	// there. Preparing a cart costs two requests (~270 carts/s there), so
	// planning far above the real throughput costs minutes; a faster
	// saturation step runs out of carts and stops early, which the summary
	// says (raise -checkout-carts).
	checkoutSatGuess = 500
	// Bounds of the automatic cart count.
	minAutoCheckoutCarts = 1000
	maxAutoCheckoutCarts = 200_000
	// maxCheckoutCarts keeps every phone +96650 and 7 digits, a valid
	// Saudi mobile number.
	maxCheckoutCarts    = 9_999_999
	checkoutPhonePrefix = "+96650"
	checkoutPhoneDigits = 7
)

// checkoutOptions are the -checkout-* flags.
type checkoutOptions struct {
	carts       int      // carts to prepare; 0: sized to the run
	skus        []string // the SKUs the carts hold, in turn
	idempotency bool     // send an Idempotency-Key per checkout
}

func (o checkoutOptions) validate() error {
	switch {
	case o.carts < 0 || o.carts > maxCheckoutCarts:
		return fmt.Errorf("-checkout-carts must be 0 (sized to the run) to %d", maxCheckoutCarts)
	case len(o.skus) == 0:
		return fmt.Errorf("-checkout-skus names no SKU (and the demo catalog has none with untracked stock)")
	}
	return nil
}

// demoUntrackedSKUs are the active demo catalog variants (cmd/concierge seed
// demo) whose stock is not tracked, sorted.
func demoUntrackedSKUs() []string {
	var out []string
	for _, it := range demo.Catalog("") {
		if (it.Status == "" || it.Status == "active") && it.Stock == nil {
			out = append(out, it.SKU)
		}
	}
	sort.Strings(out)
	return out
}

// parseCheckoutSKUs reads -checkout-skus: comma separated SKUs. Empty means
// the demo catalog's untracked ones.
func parseCheckoutSKUs(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return demoUntrackedSKUs(), nil
	}
	var out []string
	seen := map[string]bool{}
	for _, sku := range listItems(list) {
		if strings.ContainsAny(sku, "\"\\ :") {
			return nil, fmt.Errorf("bad -checkout-skus entry %q", sku)
		}
		if !seen[sku] {
			seen[sku] = true
			out = append(out, sku)
		}
	}
	return out, nil
}

// plannedCheckouts is how many carts the run uses: every request the
// target gets, with the saturation step at checkoutSatGuess, and a
// twentieth more, within [minAutoCheckoutCarts, maxAutoCheckoutCarts].
func plannedCheckouts(cfg config) int {
	n := plannedAt(cfg, checkoutSatGuess)
	return max(minAutoCheckoutCarts, min(maxAutoCheckoutCarts, n+n/20))
}

// checkoutPhone is checkout n's phone, +96650 and n+1 in 7 digits.
func checkoutPhone(n uint64) string { return saudiMobile(checkoutPhonePrefix, n) }

// saudiMobile is prefix (+9665 and a network digit) and n+1 in 7 digits,
// n taken modulo maxCheckoutCarts: a valid Saudi mobile number, a different
// one for every n below maxCheckoutCarts.
func saudiMobile(prefix string, n uint64) string {
	d := strconv.FormatUint(n%maxCheckoutCarts+1, 10)
	return prefix + strings.Repeat("0", checkoutPhoneDigits-len(d)) + d
}

// checkoutBody is the init request for cart id, cash on delivery.
func checkoutBody(id, phone string) []byte {
	const (
		open    = `{"cart_id":`
		mid     = `,"customer":{"name":"Bench Shopper","phone":`
		closing = `},"address":{"building_number":"2929","street":"King Fahd Rd","district":"Al Olaya",` +
			`"city":"Riyadh","postal_code":"12345"},"payment_method":"cod"}`
	)
	b := make([]byte, 0, len(open)+len(mid)+len(closing)+len(id)+len(phone)+4)
	b = append(b, open...)
	b = strconv.AppendQuote(b, id)
	b = append(b, mid...)
	b = strconv.AppendQuote(b, phone)
	return append(b, closing...)
}

// errNoCart is what the targeter returns when every prepared cart is taken:
// vegeta then stops the step.
var errNoCart = errors.New("checkout-cod: every prepared cart is checked out (raise -checkout-carts); step stopped")

// checkoutGen builds checkout-cod's requests. It is safe for concurrent use.
type checkoutGen struct {
	target string   // the scenario's URL on the target; any other (the baseline's) takes no cart
	ids    []string // the prepared carts, in the order they are handed out
	keys   bool     // send an Idempotency-Key with every checkout
	n      atomic.Uint64
	noCart atomic.Uint64 // target requests that found no cart left
	other  atomic.Uint64 // requests to another server (the baseline)
}

func (g *checkoutGen) fill(t *vegeta.Target) error {
	var n uint64
	var id string
	if t.URL == g.target {
		n = g.n.Add(1) - 1
		if n >= uint64(len(g.ids)) {
			g.noCart.Add(1)
			return errNoCart
		}
		id = g.ids[n]
	} else {
		n = g.other.Add(1) - 1
		id = g.ids[n%uint64(len(g.ids))]
	}
	t.Body = checkoutBody(id, checkoutPhone(n))
	t.Header.Set("Content-Type", "application/json")
	if g.keys {
		k, err := uuid.NewRandom()
		if err != nil {
			return err
		}
		t.Header.Set("Idempotency-Key", k.String())
	}
	return nil
}

// handedOut is how many carts the target got.
func (g *checkoutGen) handedOut() uint64 { return min(g.n.Load(), uint64(len(g.ids))) }

// setupCheckoutCOD prepares checkout-cod's carts on the target: each a new
// cart with one line, quantity 1, of the SKUs in turn.
func setupCheckoutCOD(ctx context.Context, cfg config) (Request, *cartSetup, error) {
	o := cfg.checkout
	start := time.Now()
	n := o.carts
	if n == 0 {
		n = plannedCheckouts(cfg)
	}
	api := newCartAPI(cfg)
	defer api.close()
	ids := make([]string, n)
	err := parallel(ctx, n, func(ctx context.Context, i int) error {
		id, err := prepareCart(ctx, api, o.skus[i%len(o.skus)])
		ids[i] = id
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	g := &checkoutGen{target: Scenario{Path: checkoutInitPath}.targetURL(cfg.target), ids: ids, keys: o.idempotency}
	st := &cartSetup{ids: ids, checkout: g, report: CartReport{Scenario: checkoutCODScenario, Carts: n, Lines: 1,
		SKUs: min(len(o.skus), n), SetupMs: time.Since(start).Milliseconds()}}
	return g.fill, st, nil
}

// prepareCart creates a cart on the target holding one line, quantity 1, of
// sku: what checkout-cod checks out, and what the order scenarios place
// their orders from.
func prepareCart(ctx context.Context, api cartAPI, sku string) (string, error) {
	id, err := api.create(ctx)
	if err != nil {
		return "", err
	}
	if err := api.add(ctx, id, sku, 1); err != nil {
		return "", err
	}
	return id, nil
}

// finishCheckout fills the report's checkout counts at the run's end.
func finishCheckout(st *cartSetup, t *tally) {
	r := &st.report
	r.HandedOut, r.NoCart = st.checkout.handedOut(), st.checkout.noCart.Load()
	r.Sent, r.Created, r.Unanswered = t.sent, t.created, t.unanswered
}

func printCheckoutSummary(w io.Writer, r CartReport) {
	fmt.Fprintf(w, "%s: %d carts prepared, %d checked out (probe, warm-up, steps), %d answered 201, %d unanswered",
		r.Scenario, r.Carts, r.HandedOut, r.Created, r.Unanswered)
	if r.NoCart > 0 {
		fmt.Fprintf(w, "; RAN OUT: %d requests found no cart left and their steps stopped early (raise -checkout-carts)\n", r.NoCart)
		return
	}
	fmt.Fprintf(w, "; %d left unused\n", r.Carts-int(r.HandedOut))
}
