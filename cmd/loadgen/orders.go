package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The order scenarios read orders on the -host tenant:
//
//   - order-get: GET /api/v1/orders/{id}, the staff view of one order, with
//     Authorization: Bearer <access token> of a staff member with
//     orders:read (-order-email, -order-password; by default the demo
//     seed's owner, owner@demo.test).
//   - order-lookup: POST /api/v1/orders/lookup
//     {"phone":"+96655…","order_number":"1001"}, the public lookup a
//     shopper does with the phone the order was placed with and its number.
//
// Only a 200 counts as a success for either (a lookup's wrong pair answers
// 404, an expired token 401, the lookup's rate limit 429).
//
// Before the probe loadgen places -order-orders orders (default 2000),
// setupWorkers at a time, the way checkout-cod's are: a new cart with one
// line, quantity 1, of the -checkout-skus SKUs in turn (the demo catalog's
// untracked-stock ones), POST /api/v1/checkout/init cash on delivery to
// Riyadh (201), then POST /api/v1/checkout/confirm (200), as the shopper
// confirms a COD order: the lookup never finds an order still pending
// payment, and an unconfirmed COD order would lapse. Order n's phone is
// +96655 and 7 digits of n+1 (checkout-cod's are +96650…), so every order
// has a phone of its own and the per-phone lookup limit counts one order's
// lookups. When both scenarios run, the orders are placed once, by the
// first one's setup, and both read the same ones. Request n of either
// reads order n mod -order-orders (round robin, one counter per scenario
// spanning the probe, the warm-up and every step; the baseline gets the
// same requests from the same counter).
//
// order-get signs in once, after the orders are placed (POST
// /api/auth/login), and signs in again in the background when three
// quarters of the access token's lifetime have passed (the answer's
// expires_in: the server's ACCESS_TOKEN_TTL, 15m by default, 12h under
// deploy/bench.sh, its BENCH_ACCESS_TOKEN_TTL), so that a long run never
// sends an expired token. A failed renewal is retried every renewRetry; the old
// token stays in use meanwhile (and 401s show in the steps once it
// expires).
//
// The lookup is limited per IP and per phone by the server's
// ORDER_LOOKUP_PER_HOUR (10 by default): deploy/bench.sh raises it with the
// other rate limits (BENCH_RATE_LIMIT), else nearly every lookup would
// answer 429.
const (
	orderGetScenario    = "order-get"
	orderLookupScenario = "order-lookup"
	ordersPath          = "/api/v1/orders"
	orderLookupPath     = ordersPath + "/lookup"
	checkoutConfirmPath = "/api/v1/checkout/confirm"
	loginPath           = "/api/auth/login"
	// orderIDParam in order-get's path is replaced by an order id per
	// request.
	orderIDParam = "{id}"

	// orderPhonePrefix starts the orders' phones: another network digit
	// than checkout-cod's +96650, so the two never share a phone.
	orderPhonePrefix = "+96655"
	defaultOrders    = 2000
	maxOrders        = 1_000_000

	// The demo seed's owner (cmd/concierge/seed.go: demoOwnerEmail and
	// demoPassword; a test checks they still match).
	demoOwnerEmail = "owner@demo.test"
	demoPassword   = "concierge-demo-2026"

	// renewRetry is the pause before another try when signing in again
	// failed.
	renewRetry = 5 * time.Second
)

// orderOptions are the -order-* flags.
type orderOptions struct {
	orders   int    // orders to place before the probe
	email    string // the staff member order-get signs in as
	password string
	// prep is the run's placed orders, shared by both scenarios (one per
	// parseFlags: every run places its own).
	prep *orderPrep
}

func (o orderOptions) validate() error {
	switch {
	case o.orders < 1 || o.orders > maxOrders:
		return fmt.Errorf("-order-orders must be 1 to %d", maxOrders)
	case strings.TrimSpace(o.email) == "":
		return fmt.Errorf("-order-email must not be empty")
	case o.password == "":
		return fmt.Errorf("-order-password must not be empty")
	}
	return nil
}

// orderPhone is order n's phone, +96655 and n+1 in 7 digits.
func orderPhone(n uint64) string { return saudiMobile(orderPhonePrefix, n) }

// placedOrder is an order the setup placed: what the scenarios read it by.
type placedOrder struct {
	ID     string // its id (GET /api/v1/orders/{id})
	Number string // its number, e.g. "1001"
	Phone  string // the phone it was placed with, E.164
}

// checkoutAnswer is what POST /api/v1/checkout/init and /confirm answer,
// as far as the setup reads it.
type checkoutAnswer struct {
	Order struct {
		ID     string `json:"id"`
		Number string `json:"number"`
		Status string `json:"status"`
	} `json:"order"`
}

// confirmBody is {"order_id":"…"}.
func confirmBody(id string) []byte {
	b := append([]byte(`{"order_id":`), strconv.Quote(id)...)
	return append(b, '}')
}

// lookupBody is {"phone":"…","order_number":"…"}.
func lookupBody(phone, number string) []byte {
	b := make([]byte, 0, 40+len(phone)+len(number))
	b = append(b, `{"phone":`...)
	b = strconv.AppendQuote(b, phone)
	b = append(b, `,"order_number":`...)
	b = strconv.AppendQuote(b, number)
	return append(b, '}')
}

// placeOrder checks cart out cash on delivery with phone and confirms the
// order, as the shopper does.
func placeOrder(ctx context.Context, api cartAPI, cart, phone string) (placedOrder, error) {
	var init checkoutAnswer
	if err := api.send(ctx, http.MethodPost, checkoutInitPath, checkoutBody(cart, phone), http.StatusCreated, &init); err != nil {
		return placedOrder{}, err
	}
	o := placedOrder{ID: init.Order.ID, Number: init.Order.Number, Phone: phone}
	switch {
	case o.ID == "" || o.Number == "":
		return o, fmt.Errorf("POST %s: no order id or number in the answer", checkoutInitPath)
	case strings.ContainsAny(o.ID, "/?#"):
		return o, fmt.Errorf("order id %q cannot go in a path", o.ID)
	}
	var conf checkoutAnswer
	if err := api.send(ctx, http.MethodPost, checkoutConfirmPath, confirmBody(o.ID), http.StatusOK, &conf); err != nil {
		return o, err
	}
	if conf.Order.Status == "" || conf.Order.Status == "pending_payment" {
		return o, fmt.Errorf("POST %s: order %s is %q after the confirmation", checkoutConfirmPath, o.ID, conf.Order.Status)
	}
	return o, nil
}

// orderPrep is the orders of one run, placed by the first order scenario's
// setup and read by both.
type orderPrep struct {
	mu     sync.Mutex
	by     string // the scenario whose setup placed them
	orders []placedOrder
	skus   int
	ms     int64 // how long placing them took
}

// get returns the run's orders, placing them first (for scenario) when no
// setup did yet.
func (p *orderPrep) get(ctx context.Context, cfg config, scenario string) ([]placedOrder, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.orders != nil {
		return p.orders, nil
	}
	start := time.Now()
	n, skus := cfg.orders.orders, cfg.checkout.skus
	api := newCartAPI(cfg)
	defer api.close()
	out := make([]placedOrder, n)
	err := parallel(ctx, n, func(ctx context.Context, i int) error {
		cart, err := prepareCart(ctx, api, skus[i%len(skus)])
		if err != nil {
			return err
		}
		out[i], err = placeOrder(ctx, api, cart, orderPhone(uint64(i)))
		return err
	})
	if err != nil {
		return nil, err
	}
	p.by, p.orders, p.skus, p.ms = scenario, out, min(len(skus), n), time.Since(start).Milliseconds()
	return out, nil
}

// report is what scenario's setup tells about the orders; setupMs is its
// own duration (about 0 when another scenario placed them).
func (p *orderPrep) report(scenario string, setupMs int64) CartReport {
	r := CartReport{Scenario: scenario, Carts: len(p.orders), Lines: 1, SKUs: p.skus, SetupMs: setupMs, Orders: len(p.orders)}
	if p.by != scenario {
		r.PreparedBy = p.by
	}
	return r
}

// tokenAnswer is what POST /api/auth/login answers.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"` // seconds
}

// staffAuth holds order-get's access token and signs in again before it
// expires. bearer is safe for concurrent use.
type staffAuth struct {
	url             string // the login URL
	email, password string
	client          *http.Client
	token           atomic.Pointer[string] // "Bearer <access token>"
	ttl             time.Duration          // the first token's lifetime
	renewals        atomic.Uint64          // sign-ins after the first
	stop            context.CancelFunc
	done            chan struct{}
}

// renewAfter is when a token that lives ttl is replaced: after three
// quarters of it; never (0) when the server gave no lifetime.
func renewAfter(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return 0
	}
	return ttl * 3 / 4
}

// signIn signs in as the -order-email staff member and keeps the token
// fresh until close.
func signIn(ctx context.Context, cfg config) (*staffAuth, error) {
	a := &staffAuth{url: strings.TrimRight(cfg.target, "/") + loginPath, email: cfg.orders.email, password: cfg.orders.password,
		client: &http.Client{Transport: newTransport(cfg, 1), Timeout: cfg.timeout}, done: make(chan struct{})}
	ttl, err := a.login(ctx)
	if err != nil {
		a.client.CloseIdleConnections()
		return nil, err
	}
	a.ttl = ttl
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	go a.keepFresh(bg, ttl)
	return a, nil
}

// login signs in once, stores the token and returns its lifetime.
func (a *staffAuth) login(ctx context.Context) (time.Duration, error) {
	body, err := json.Marshal(map[string]string{"email": a.email, "password": a.password})
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("signing in as %s: POST %s answered %d, want 200: %.300s", a.email, loginPath, resp.StatusCode, b)
	}
	var t tokenAnswer
	if err := json.Unmarshal(b, &t); err != nil {
		return 0, fmt.Errorf("signing in as %s: %w", a.email, err)
	}
	if t.AccessToken == "" {
		return 0, fmt.Errorf("signing in as %s: no access_token in the answer", a.email)
	}
	bearer := "Bearer " + t.AccessToken
	a.token.Store(&bearer)
	return time.Duration(t.ExpiresIn) * time.Second, nil
}

// keepFresh signs in again whenever the current token is three quarters
// through its life, until ctx ends.
func (a *staffAuth) keepFresh(ctx context.Context, ttl time.Duration) {
	defer close(a.done)
	wait := renewAfter(ttl)
	for wait > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		next, err := a.login(ctx)
		switch {
		case err != nil:
			wait = renewRetry // the old token stays in use
		default:
			a.renewals.Add(1)
			wait = renewAfter(next)
		}
	}
}

// bearer is the Authorization header's value.
func (a *staffAuth) bearer() string { return *a.token.Load() }

// close stops the renewals.
func (a *staffAuth) close() {
	a.stop()
	<-a.done
	a.client.CloseIdleConnections()
}

// withOrder is url with order-get's {id} replaced by id.
func withOrder(url, id string) string { return strings.Replace(url, orderIDParam, id, 1) }

// orderGetGen builds order-get's requests. It is safe for concurrent use.
type orderGetGen struct {
	orders []placedOrder
	auth   interface{ bearer() string }
	n      atomic.Uint64
}

func (g *orderGetGen) fill(t *vegeta.Target) error {
	o := g.orders[(g.n.Add(1)-1)%uint64(len(g.orders))]
	t.URL = withOrder(t.URL, o.ID)
	t.Header.Set("Authorization", g.auth.bearer())
	return nil
}

// orderLookupGen builds order-lookup's requests. It is safe for concurrent
// use.
type orderLookupGen struct {
	bodies [][]byte // lookupBody per order
	n      atomic.Uint64
}

func newOrderLookupGen(orders []placedOrder) *orderLookupGen {
	g := &orderLookupGen{bodies: make([][]byte, len(orders))}
	for i, o := range orders {
		g.bodies[i] = lookupBody(o.Phone, o.Number)
	}
	return g
}

func (g *orderLookupGen) fill(t *vegeta.Target) error {
	t.Body = g.bodies[(g.n.Add(1)-1)%uint64(len(g.bodies))]
	t.Header.Set("Content-Type", "application/json")
	return nil
}

// setupOrderGet places the run's orders (unless order-lookup did) and
// signs in.
func setupOrderGet(ctx context.Context, cfg config) (Request, *cartSetup, error) {
	start := time.Now()
	p := cfg.orders.prep
	if p == nil {
		return nil, nil, errNoPrep
	}
	orders, err := p.get(ctx, cfg, orderGetScenario)
	if err != nil {
		return nil, nil, err
	}
	auth, err := signIn(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	g := &orderGetGen{orders: orders, auth: auth}
	st := &cartSetup{report: p.report(orderGetScenario, time.Since(start).Milliseconds())}
	st.report.SignedInAs, st.report.TokenTTLs = cfg.orders.email, int64(auth.ttl/time.Second)
	st.close = func() {
		auth.close()
		st.report.Renewals = auth.renewals.Load()
	}
	return g.fill, st, nil
}

// setupOrderLookup places the run's orders (unless order-get did).
func setupOrderLookup(ctx context.Context, cfg config) (Request, *cartSetup, error) {
	start := time.Now()
	p := cfg.orders.prep
	if p == nil {
		return nil, nil, errNoPrep
	}
	orders, err := p.get(ctx, cfg, orderLookupScenario)
	if err != nil {
		return nil, nil, err
	}
	st := &cartSetup{report: p.report(orderLookupScenario, time.Since(start).Milliseconds())}
	return newOrderLookupGen(orders).fill, st, nil
}

// errNoPrep guards against a config not built by parseFlags.
var errNoPrep = errors.New("order scenarios: no order preparation in the configuration")

func printOrderSetup(w io.Writer, r CartReport) {
	if r.PreparedBy != "" {
		fmt.Fprintf(w, "setup %-10s the %d orders %s placed", r.Scenario, r.Orders, r.PreparedBy)
	} else {
		fmt.Fprintf(w, "setup %-10s %d orders placed, one line each of %d SKUs, cash on delivery, confirmed", r.Scenario, r.Orders, r.SKUs)
	}
	if r.SignedInAs != "" {
		fmt.Fprintf(w, "; signed in as %s, access token valid %ds", r.SignedInAs, r.TokenTTLs)
	}
	fmt.Fprintf(w, " (%d ms", r.SetupMs)
	if r.PreparedBy == "" && r.SetupMs > 0 {
		fmt.Fprintf(w, ", %.0f orders/s", float64(r.Orders)*1000/float64(r.SetupMs))
	}
	fmt.Fprintln(w, ")")
}
