package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Scenario is one kind of request the load generator can send.
type Scenario struct {
	Name   string `json:"name"`   // what -scenarios selects it by
	Method string `json:"method"` // HTTP method
	Path   string `json:"path"`   // request path (and query) below the target's base URL
	Tenant bool   `json:"tenant"` // send the tenant Host header (-host)
}

// scenarios is the registry of every scenario loadgen knows. Add new ones here
// (product by id, search, ...); nothing else needs to change.
var scenarios = []Scenario{
	{Name: "healthz", Method: http.MethodGet, Path: "/healthz"},
	{Name: "store", Method: http.MethodGet, Path: "/api/v1/store", Tenant: true},
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
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
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

// parseRates turns a comma separated list of requests per second into fixed
// rates. An empty list is allowed: then only the saturation step runs.
func parseRates(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
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
