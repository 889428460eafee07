package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"concierge/modules/catalog/demo"
)

// The cart scenarios, on the public cart API of the -host tenant (the cart id
// is the bearer of access):
//
//   - cart-add: POST /api/v1/carts/{id}/items {"sku": "…", "quantity": 1}
//     with a fresh random UUID as its Idempotency-Key, as a storefront sends
//     it (-cart-idempotency=false sends none). Before
//     the probe loadgen creates a pool of carts (POST /api/v1/carts); add n
//     goes to cart n mod carts, so consecutive adds land on different carts
//     and one cart sees an add only every `carts` requests (a shopper's taps,
//     not a hot row). Each cart has -cart-lines SKUs of its own, filled in
//     turn, so a cart grows to that many lines and then their quantities
//     rise one by one. The SKUs are demo catalog variants with untracked
//     stock or at least minCartStock on hand; the pool is sized so that no
//     line passes its stock or the 999 cap (409s would then measure the
//     refusal, not the add). After the run every cart is read back: the
//     quantities held must add up to the adds the target accepted.
//   - cart-view: GET /api/v1/carts/{id} on a pool of carts loadgen fills
//     with -cart-lines lines each before the probe, a random cart per
//     request.
//
// Only 2xx answers count as successes (see summarise); a 409 or 422 is a
// failed request.
const (
	cartAddScenario  = "cart-add"
	cartViewScenario = "cart-view"
	cartsPath        = "/api/v1/carts"
	// cartIDParam in a scenario's path is replaced by a cart id per request.
	cartIDParam = "{id}"

	// maxLineQuantity is the API's cap on one line's quantity.
	maxLineQuantity = 999
	// minCartStock is the least stock on hand of a tracked demo SKU the
	// cart scenarios add, so that a line can take many adds.
	minCartStock = 30
	// Bounds of cart-add's automatic pool size.
	minAutoCarts = 1000
	maxAutoCarts = 50_000
	// satGuess is the saturation throughput (adds/s) the automatic pool
	// size plans for; a run faster than that may outgrow the pool, which
	// the summary says.
	satGuess = 6000
	// setupWorkers is how many requests the setup and the read-back have in
	// flight at once.
	setupWorkers = 16
)

// cartSKU is a SKU the cart scenarios add and how many of it one line can
// hold before the target refuses more (its stock, at most 999).
type cartSKU struct {
	SKU string `json:"sku"`
	Cap int    `json:"cap"`
}

// cartOptions are the -cart-* flags.
type cartOptions struct {
	carts       int       // cart-add's pool; 0: sized to the run
	lines       int       // SKUs (lines) per cart
	viewCarts   int       // cart-view's pool
	idempotency bool      // cart-add sends an Idempotency-Key per add
	skus        []cartSKU // what the scenarios add
}

func (o cartOptions) validate() error {
	switch {
	case o.carts < 0 || o.carts > 1_000_000:
		return fmt.Errorf("-cart-carts must be 0 (sized to the run) to 1000000")
	case o.lines < 1 || o.lines > 50:
		return fmt.Errorf("-cart-lines must be 1 to 50")
	case o.viewCarts < 1 || o.viewCarts > 1_000_000:
		return fmt.Errorf("-cart-view-carts must be 1 to 1000000")
	case len(o.skus) < o.lines:
		return fmt.Errorf("-cart-skus names %d SKUs, fewer than -cart-lines %d", len(o.skus), o.lines)
	}
	return nil
}

// demoCartSKUs are the active demo catalog variants (cmd/concierge seed demo)
// whose stock is untracked or at least minCartStock, sorted by SKU.
func demoCartSKUs() []cartSKU {
	var out []cartSKU
	for _, it := range demo.Catalog("") {
		if it.Status != "" && it.Status != "active" {
			continue
		}
		switch {
		case it.Stock == nil:
			out = append(out, cartSKU{SKU: it.SKU, Cap: maxLineQuantity})
		case *it.Stock >= minCartStock:
			out = append(out, cartSKU{SKU: it.SKU, Cap: min(*it.Stock, maxLineQuantity)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out
}

// parseCartSKUs reads -cart-skus: comma separated SKU or SKU:cap (cap 1..999,
// default 999, for untracked stock). Empty means the demo catalog's.
func parseCartSKUs(list string) ([]cartSKU, error) {
	if strings.TrimSpace(list) == "" {
		return demoCartSKUs(), nil
	}
	var out []cartSKU
	seen := map[string]bool{}
	for _, f := range listItems(list) {
		sku, capText, hasCap := strings.Cut(f, ":")
		c := maxLineQuantity
		if hasCap {
			n, err := strconv.Atoi(capText)
			if err != nil || n < 1 || n > maxLineQuantity {
				return nil, fmt.Errorf("bad -cart-skus entry %q: want SKU or SKU:cap with cap 1 to %d", f, maxLineQuantity)
			}
			c = n
		}
		if sku == "" || strings.ContainsAny(sku, "\"\\ ") {
			return nil, fmt.Errorf("bad -cart-skus entry %q", f)
		}
		if !seen[sku] {
			seen[sku] = true
			out = append(out, cartSKU{SKU: sku, Cap: c})
		}
	}
	return out, nil
}

// plannedRequests estimates how many requests one scenario sends the target
// in a run: the probe, the warm-up, the fixed-rate steps and the saturation
// step at satGuess.
func plannedRequests(cfg config) int { return plannedAt(cfg, satGuess) }

// plannedAt is plannedRequests with the saturation step at sat requests/s.
func plannedAt(cfg config, sat int) int {
	secs := cfg.duration.Seconds()
	n := 1.0
	if cfg.warmup > 0 {
		wr := 1000
		if len(cfg.rates) > 0 {
			wr = cfg.rates[0]
		}
		n += float64(wr) * cfg.warmup.Seconds()
	}
	for _, r := range cfg.rates {
		n += float64(r) * secs
	}
	if cfg.satWorkers > 0 {
		n += float64(sat) * secs
	}
	return int(math.Ceil(n))
}

// addPlan is cart-add's layout: which cart and SKU add n goes to and how
// many of that SKU the line then holds.
type addPlan struct {
	carts int
	lines int
	skus  []cartSKU
}

// at is add n (0, 1, ...): the cart's index, the SKU's index and the line's
// quantity once the add landed.
func (p addPlan) at(n uint64) (cart, sku, quantity int) {
	c := n % uint64(p.carts)
	round := n / uint64(p.carts) // adds cart c had before this one
	line := round % uint64(p.lines)
	return int(c), int((c*uint64(p.lines) + line) % uint64(len(p.skus))), int(round/uint64(p.lines)) + 1
}

// firstOver is the first add (its round on cart c: the adds c had before
// it) that would take one of cart c's lines past its cap: line j's quantity
// reaches its cap m on round j+(m-1)·lines and would pass it on j+m·lines.
func (p addPlan) firstOver(c int) uint64 {
	least := uint64(math.MaxUint64)
	for j := 0; j < p.lines; j++ {
		m := uint64(p.skus[(c*p.lines+j)%len(p.skus)].Cap)
		least = min(least, uint64(j)+m*uint64(p.lines))
	}
	return least
}

// capacity is how many adds the pool takes in order (add 0, 1, ...) before
// the first one that would pass a line's cap.
func (p addPlan) capacity() uint64 {
	first := uint64(math.MaxUint64)
	for c := 0; c < p.carts; c++ {
		first = min(first, p.firstOver(c)*uint64(p.carts)+uint64(c))
	}
	return first
}

// autoCarts is the pool size for planned adds: enough carts that the
// planned adds, a quarter more, fit under every line's cap, within
// [minAutoCarts, maxAutoCarts].
func autoCarts(planned, lines int, skus []cartSKU) int {
	least := maxLineQuantity
	for _, s := range skus {
		least = min(least, s.Cap)
	}
	need := (planned*5/4 + least*lines - 1) / (least * lines)
	return max(minAutoCarts, min(maxAutoCarts, need))
}

// cartBody is the JSON the scenarios read from the cart API.
type cartBody struct {
	ID    string `json:"id"`
	Items []struct {
		SKU      string `json:"sku"`
		Quantity int    `json:"quantity"`
	} `json:"items"`
}

// cartAPI is the setup's and the read-back's client of the target's cart
// API, on the tenant's host.
type cartAPI struct {
	base, host string
	client     *http.Client
}

func newCartAPI(cfg config) cartAPI {
	return cartAPI{base: strings.TrimRight(cfg.target, "/"), host: cfg.host,
		client: &http.Client{Transport: newTransport(cfg, setupWorkers), Timeout: cfg.timeout}}
}

func (a cartAPI) close() { a.client.CloseIdleConnections() }

// send sends one request (a JSON body unless nil) on the tenant's host and
// decodes a want answer into out (unless nil).
func (a cartAPI) send(ctx context.Context, method, path string, body []byte, want int, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return err
	}
	req.Host = a.host
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s (Host: %s) answered %d, want %d: %.300s", method, path, a.host, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// do sends one request and decodes a cart from a want answer.
func (a cartAPI) do(ctx context.Context, method, path string, body []byte, want int) (cartBody, error) {
	var c cartBody
	if err := a.send(ctx, method, path, body, want, &c); err != nil {
		return cartBody{}, err
	}
	return c, nil
}

func (a cartAPI) create(ctx context.Context) (string, error) {
	c, err := a.do(ctx, http.MethodPost, cartsPath, []byte(`{}`), http.StatusCreated)
	if err == nil && c.ID == "" {
		err = errors.New("POST " + cartsPath + ": no id in the answer")
	}
	return c.ID, err
}

func (a cartAPI) add(ctx context.Context, id, sku string, quantity int) error {
	_, err := a.do(ctx, http.MethodPost, cartsPath+"/"+id+"/items", addBody(sku, quantity), http.StatusOK)
	return err
}

func (a cartAPI) get(ctx context.Context, id string) (cartBody, error) {
	return a.do(ctx, http.MethodGet, cartsPath+"/"+id, nil, http.StatusOK)
}

// parallel calls fn(i) for i in [0, n) on setupWorkers goroutines and
// returns the first error; it stops starting new calls after one.
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(setupWorkers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// createCarts creates n carts on the target.
func createCarts(ctx context.Context, api cartAPI, n int) ([]string, error) {
	ids := make([]string, n)
	err := parallel(ctx, n, func(ctx context.Context, i int) error {
		id, err := api.create(ctx)
		if err != nil {
			return err
		}
		if strings.ContainsAny(id, "/?#") {
			return fmt.Errorf("cart id %q cannot go in a path", id)
		}
		ids[i] = id
		return nil
	})
	return ids, err
}

// addBody is {"sku":"…","quantity":n}.
func addBody(sku string, quantity int) []byte {
	b := make([]byte, 0, 32+len(sku))
	b = append(b, `{"sku":`...)
	b = strconv.AppendQuote(b, sku)
	b = append(b, `,"quantity":`...)
	b = strconv.AppendInt(b, int64(quantity), 10)
	return append(b, '}')
}

// withCart is url with the scenario's {id} replaced by id.
func withCart(url, id string) string { return strings.Replace(url, cartIDParam, id, 1) }

// cartAddGen builds cart-add's requests. It is safe for concurrent use.
type cartAddGen struct {
	plan   addPlan
	ids    []string
	bodies [][]byte // addBody(sku, 1) per SKU
	keys   bool     // send an Idempotency-Key with every add
	n      atomic.Uint64
	over   atomic.Uint64 // adds sent past a line's cap
}

func newCartAddGen(plan addPlan, ids []string, idempotency bool) *cartAddGen {
	g := &cartAddGen{plan: plan, ids: ids, keys: idempotency}
	for _, s := range plan.skus {
		g.bodies = append(g.bodies, addBody(s.SKU, 1))
	}
	return g
}

func (g *cartAddGen) fill(t *vegeta.Target) error {
	n := g.n.Add(1) - 1
	c, s, q := g.plan.at(n)
	if q > g.plan.skus[s].Cap {
		g.over.Add(1)
	}
	t.URL = withCart(t.URL, g.ids[c])
	t.Body = g.bodies[s]
	t.Header.Set("Content-Type", "application/json")
	if g.keys {
		// A UUID, as storefronts send: a valid key under the API's rules
		// (16 to 255 visible ASCII characters), new for every add, so no
		// add is ever answered by a replay.
		k, err := uuid.NewRandom()
		if err != nil {
			return err
		}
		t.Header.Set("Idempotency-Key", k.String())
	}
	return nil
}

// CartReport is what a cart scenario set up, and for cart-add what the carts
// held after the run.
type CartReport struct {
	Scenario string `json:"scenario"`
	Carts    int    `json:"carts"`
	Lines    int    `json:"lines_per_cart"`
	SKUs     int    `json:"skus"`
	SetupMs  int64  `json:"setup_ms"`
	// cart-add only.
	Capacity     uint64 `json:"capacity,omitempty"`      // adds the pool takes under every cap
	Sent         uint64 `json:"sent,omitempty"`          // adds sent to the target (probe, warm-ups, steps)
	Accepted     uint64 `json:"accepted,omitempty"`      // answered 200
	Unanswered   uint64 `json:"unanswered,omitempty"`    // no answer: may or may not have landed
	OverCapacity uint64 `json:"over_capacity,omitempty"` // adds the run sent past a line's cap
	Held         uint64 `json:"held,omitempty"`          // sum of the quantities in the pool's carts
	Checked      bool   `json:"checked,omitempty"`       // the read-back ran
	Landed       bool   `json:"every_accepted_add_landed,omitempty"`
	// checkout-cod only (Sent and Unanswered too).
	HandedOut uint64 `json:"checked_out,omitempty"`   // carts the target got (probe, warm-ups, steps)
	Created   uint64 `json:"created,omitempty"`       // answered 201
	NoCart    uint64 `json:"found_no_cart,omitempty"` // requests that found every cart taken: their steps stopped
	// order-get and order-lookup only: the orders (one per cart) they read.
	Orders     int    `json:"orders,omitempty"`
	PreparedBy string `json:"prepared_by,omitempty"` // the scenario whose setup placed them, when another one did
	// order-get only.
	SignedInAs string `json:"signed_in_as,omitempty"`
	TokenTTLs  int64  `json:"access_token_ttl_s,omitempty"` // the access token's lifetime (expires_in)
	Renewals   uint64 `json:"sign_in_renewals,omitempty"`   // sign-ins after the first, before the token expired
}

// cartSetup is what a cart scenario's setup leaves for the run's end.
type cartSetup struct {
	report   CartReport
	ids      []string
	gen      *cartAddGen  // cart-add only
	checkout *checkoutGen // checkout-cod only
	// close, when set, stops what the setup left running (order-get's
	// token renewals); run calls it once, at the end.
	close func()
}

// setupCartAdd creates cart-add's pool on the target.
func setupCartAdd(ctx context.Context, cfg config) (Request, *cartSetup, error) {
	o := cfg.cart
	start := time.Now()
	n := o.carts
	if n == 0 {
		n = autoCarts(plannedRequests(cfg), o.lines, o.skus)
	}
	api := newCartAPI(cfg)
	defer api.close()
	ids, err := createCarts(ctx, api, n)
	if err != nil {
		return nil, nil, err
	}
	plan := addPlan{carts: n, lines: o.lines, skus: o.skus}
	g := newCartAddGen(plan, ids, o.idempotency)
	st := &cartSetup{ids: ids, gen: g, report: CartReport{Scenario: cartAddScenario, Carts: n, Lines: o.lines,
		SKUs: min(len(o.skus), n*o.lines), Capacity: plan.capacity(), SetupMs: time.Since(start).Milliseconds()}}
	return g.fill, st, nil
}

// setupCartView creates cart-view's pool on the target, -cart-lines lines a
// cart (quantities 1 to 3).
func setupCartView(ctx context.Context, cfg config) (Request, *cartSetup, error) {
	o := cfg.cart
	start := time.Now()
	api := newCartAPI(cfg)
	defer api.close()
	ids, err := createCarts(ctx, api, o.viewCarts)
	if err != nil {
		return nil, nil, err
	}
	err = parallel(ctx, len(ids)*o.lines, func(ctx context.Context, i int) error {
		c, j := i/o.lines, i%o.lines
		s := o.skus[(c*o.lines+j)%len(o.skus)]
		return api.add(ctx, ids[c], s.SKU, min(s.Cap, 1+(c+j)%3))
	})
	if err != nil {
		return nil, nil, err
	}
	st := &cartSetup{ids: ids, report: CartReport{Scenario: cartViewScenario, Carts: len(ids), Lines: o.lines,
		SKUs: min(len(o.skus), len(ids)*o.lines), SetupMs: time.Since(start).Milliseconds()}}
	return func(t *vegeta.Target) error {
		t.URL = withCart(t.URL, ids[rand.IntN(len(ids))])
		return nil
	}, st, nil
}

// checkCartAdd reads cart-add's pool back after the run and fills the
// report: every add the target accepted must be in a cart exactly once; an
// unanswered one may or may not be.
func checkCartAdd(ctx context.Context, cfg config, st *cartSetup, t *tally) error {
	r := &st.report
	r.Sent, r.Accepted, r.Unanswered = t.sent, t.ok, t.unanswered
	api := newCartAPI(cfg)
	defer api.close()
	held := make([]uint64, len(st.ids))
	err := parallel(ctx, len(st.ids), func(ctx context.Context, i int) error {
		c, err := api.get(ctx, st.ids[i])
		for _, it := range c.Items {
			held[i] += uint64(max(it.Quantity, 0))
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, h := range held {
		r.Held += h
	}
	r.Checked = true
	r.Landed = r.Held >= r.Accepted && r.Held <= r.Accepted+r.Unanswered
	return nil
}

func printCartSetup(w io.Writer, r CartReport) {
	if r.Orders > 0 {
		printOrderSetup(w, r)
		return
	}
	fmt.Fprintf(w, "setup %-10s %d carts, %d lines each, %d SKUs", r.Scenario, r.Carts, r.Lines, r.SKUs)
	switch r.Scenario {
	case cartAddScenario:
		fmt.Fprintf(w, ", room for %d adds under the stock and line caps", r.Capacity)
	case checkoutCODScenario:
		fmt.Fprintf(w, ", one checkout each")
	}
	fmt.Fprintf(w, " (%d ms", r.SetupMs)
	if r.SetupMs > 0 {
		fmt.Fprintf(w, ", %.0f carts/s", float64(r.Carts)*1000/float64(r.SetupMs))
	}
	fmt.Fprintln(w, ")")
}

func printCartCheck(w io.Writer, r CartReport) {
	verdict := "no"
	if r.Landed {
		verdict = "yes"
	}
	fmt.Fprintf(w, "%s: sent %d, accepted %d, unanswered %d; the %d carts hold %d items — every accepted add landed once: %s\n",
		r.Scenario, r.Sent, r.Accepted, r.Unanswered, r.Carts, r.Held, verdict)
	if r.OverCapacity > 0 {
		fmt.Fprintf(w, "%s: %d adds went past a line's stock or 999 cap (refused by design); raise -cart-carts\n", r.Scenario, r.OverCapacity)
	}
}
