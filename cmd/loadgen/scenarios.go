package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Scenario is one kind of request the load generator can send.
type Scenario struct {
	Name   string `json:"name"`   // what -scenarios selects it by
	Method string `json:"method"` // HTTP method
	Path   string `json:"path"`   // request path (and query) below the target's base URL
	Tenant bool   `json:"tenant"` // send the tenant Host header (-host)
	// Status, when set, is the one status that counts as a success on the
	// target (checkout-cod: 201, a new order; order-get, order-lookup and
	// the pages: 200); otherwise any 2xx does. The baseline always answers
	// 200.
	Status int `json:"status,omitempty"`

	// Dynamic, when set, makes every request of the scenario different (a
	// fresh body, a signature, ...) instead of the same static target. It is
	// called once per run, with the run's configuration, and returns the
	// Request that finishes each target; per-run state such as counters lives
	// in its closure and spans the probe and every step, on the target and on
	// the baseline.
	Dynamic func(cfg config) (Request, error) `json:"-"`

	// Setup, when set instead of Dynamic, prepares the scenario on the
	// running target before its probe (the cart scenarios create their
	// carts, the order scenarios place their orders) and returns the
	// Request like Dynamic, and what it set up.
	Setup func(ctx context.Context, cfg config) (Request, *cartSetup, error) `json:"-"`

	request Request // Dynamic's or Setup's result
}

// Request finishes one target of a dynamic scenario: it gets the method, the
// URL and the static headers already set, on a header map of its own, and
// sets what varies (usually the body and headers derived from it). It is
// called concurrently by vegeta's workers.
type Request func(t *vegeta.Target) error

// scenarios is the registry of every scenario loadgen knows. Add new ones here
// (product by id, search, ...); nothing else needs to change. A scenario
// whose requests differ from one another sets Dynamic, or Setup when they
// need state on the target first.
var scenarios = []Scenario{
	{Name: "healthz", Method: http.MethodGet, Path: "/healthz"},
	{Name: "store", Method: http.MethodGet, Path: "/api/v1/store", Tenant: true},
	{Name: webhookScenario, Method: http.MethodPost, Path: webhookPath, Dynamic: newWebhookRequest},
	{Name: productScenario, Method: http.MethodGet, Path: "/api/v1/products/" + productSlugs[0], Tenant: true, Dynamic: newProductRequest},
	{Name: categoriesScenario, Method: http.MethodGet, Path: "/api/v1/categories", Tenant: true},
	{Name: searchScenario, Method: http.MethodGet, Path: "/api/v1/products?q=abaya", Tenant: true, Dynamic: newSearchRequest},
	{Name: cartAddScenario, Method: http.MethodPost, Path: cartsPath + "/" + cartIDParam + "/items", Tenant: true, Setup: setupCartAdd},
	{Name: cartViewScenario, Method: http.MethodGet, Path: cartsPath + "/" + cartIDParam, Tenant: true, Setup: setupCartView},
	{Name: checkoutCODScenario, Method: http.MethodPost, Path: checkoutInitPath, Tenant: true, Status: http.StatusCreated, Setup: setupCheckoutCOD},
	{Name: orderGetScenario, Method: http.MethodGet, Path: ordersPath + "/" + orderIDParam, Tenant: true, Status: http.StatusOK, Setup: setupOrderGet},
	{Name: adminOrdersScenario, Method: http.MethodGet, Path: adminOrdersPath, Tenant: true, Status: http.StatusOK, Setup: setupAdminOrders},
	{Name: orderLookupScenario, Method: http.MethodPost, Path: orderLookupPath, Tenant: true, Status: http.StatusOK, Setup: setupOrderLookup},
	{Name: pageHomeScenario, Method: http.MethodGet, Path: "/", Tenant: true, Status: http.StatusOK, Dynamic: newPageHomeRequest},
	{Name: pageProductScenario, Method: http.MethodGet, Path: "/products/" + productSlugs[0], Tenant: true, Status: http.StatusOK, Dynamic: newPageProductRequest},
	{Name: pageSearchScenario, Method: http.MethodGet, Path: "/search?q=abaya", Tenant: true, Status: http.StatusOK, Dynamic: newPageSearchRequest},
}

// scenarioNames lists the registry's names, for flag help and error messages.
func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.Name
	}
	return names
}

func lookupScenario(name string) (Scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// parseScenarios turns a comma separated list of names into scenarios, in the
// given order, without duplicates.
func parseScenarios(list string) ([]Scenario, error) {
	var out []Scenario
	seen := map[string]bool{}
	for _, name := range listItems(list) {
		s, ok := lookupScenario(name)
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(scenarioNames(), ", "))
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scenarios selected (known: %s)", strings.Join(scenarioNames(), ", "))
	}
	return out, nil
}

// listItems is a comma separated flag's items, trimmed, empty ones dropped.
func listItems(list string) []string {
	var out []string
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseRates turns a comma separated list of requests per second into fixed
// rates. An empty list is allowed: then only the saturation step runs.
func parseRates(list string) ([]int, error) {
	var out []int
	for _, f := range listItems(list) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad rate %q: want a positive whole number of requests per second", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// targetURL is the scenario's full URL below base.
func (s Scenario) targetURL(base string) string {
	return strings.TrimRight(base, "/") + s.Path
}

func (s Scenario) header(host string) http.Header {
	h := http.Header{}
	if s.Tenant && host != "" {
		h.Set("Host", host)
	}
	return h
}

// prepare returns s ready to run: a dynamic scenario gets its per-run Request.
func (s Scenario) prepare(cfg config) (Scenario, error) {
	if s.Dynamic == nil {
		return s, nil
	}
	r, err := s.Dynamic(cfg)
	if err != nil {
		return s, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	s.request = r
	return s, nil
}

// targeter is what vegeta attacks base with: one static target, or for a
// prepared dynamic scenario a fresh target per call.
func (s Scenario) targeter(base, host string) vegeta.Targeter {
	static := vegeta.Target{Method: s.Method, URL: s.targetURL(base), Header: s.header(host)}
	if s.request == nil {
		return vegeta.NewStaticTargeter(static)
	}
	return func(t *vegeta.Target) error {
		if t == nil {
			return vegeta.ErrNilTarget
		}
		*t = static
		t.Header = static.Header.Clone()
		return s.request(t)
	}
}
