package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestParseScenarios(t *testing.T) {
	got, err := parseScenarios(" store, healthz ,store,")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	if want := []string{"store", "healthz"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	if !got[0].Tenant || got[0].Path != "/api/v1/store" || got[0].Method != "GET" {
		t.Fatalf("store scenario = %+v", got[0])
	}
	if got[1].Tenant || got[1].Path != "/healthz" {
		t.Fatalf("healthz scenario = %+v", got[1])
	}

	for _, bad := range []string{"", " , ", "healthz,nope"} {
		if _, err := parseScenarios(bad); err == nil {
			t.Errorf("parseScenarios(%q): want error", bad)
		}
	}
}

func TestRegistryNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range scenarios {
		if s.Name == "" || s.Method == "" || !strings.HasPrefix(s.Path, "/") {
			t.Errorf("incomplete scenario %+v", s)
		}
		if seen[s.Name] {
			t.Errorf("duplicate scenario %q", s.Name)
		}
		seen[s.Name] = true
	}
}

func TestScenarioHeaderAndURL(t *testing.T) {
	store, _ := lookupScenario("store")
	healthz, _ := lookupScenario("healthz")
	if got := store.header("acme.localhost").Get("Host"); got != "acme.localhost" {
		t.Errorf("store Host = %q", got)
	}
	if got := healthz.header("acme.localhost").Get("Host"); got != "" {
		t.Errorf("healthz Host = %q, want none", got)
	}
	if got := store.targetURL("http://127.0.0.1:1/"); got != "http://127.0.0.1:1/api/v1/store" {
		t.Errorf("targetURL = %q", got)
	}
}

func TestParseRates(t *testing.T) {
	got, err := parseRates("1000, 4000,")
	if err != nil || !reflect.DeepEqual(got, []int{1000, 4000}) {
		t.Fatalf("parseRates = %v, %v", got, err)
	}
	if got, err := parseRates(""); err != nil || len(got) != 0 {
		t.Fatalf("parseRates(\"\") = %v, %v", got, err)
	}
	for _, bad := range []string{"0", "-5", "1k", "10,x"} {
		if _, err := parseRates(bad); err == nil {
			t.Errorf("parseRates(%q): want error", bad)
		}
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.target != "http://127.0.0.1:8080" || cfg.host != "demo.localhost" ||
		cfg.duration != 5*time.Second || !reflect.DeepEqual(cfg.rates, []int{1000, 4000}) ||
		cfg.satWorkers != 64 || len(cfg.scenarios) != 2 || cfg.jsonPath != "bench-results/latest.json" {
		t.Fatalf("defaults = %+v", cfg)
	}
	for _, bad := range [][]string{
		{"-target", "127.0.0.1:8080"},
		{"-duration", "0s"},
		{"-rates", "", "-sat-workers", "0"},
		{"-scenarios", "nope"},
		{"extra"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): want error", bad)
		}
	}
}

func TestPadJSON(t *testing.T) {
	for size := 0; size <= 300; size++ {
		b := padJSON(size)
		if len(b) != size {
			t.Fatalf("padJSON(%d) has %d bytes", size, len(b))
		}
		if size > 0 && !json.Valid(b) {
			t.Fatalf("padJSON(%d) = %q is not valid JSON", size, b)
		}
	}
	var v struct{ Pad string }
	if err := json.Unmarshal(padJSON(4096), &v); err != nil || len(v.Pad) != 4096-len(`{"pad":""}`) {
		t.Fatalf("padJSON(4096): %v, pad %d bytes", err, len(v.Pad))
	}
}

// syntheticMetrics builds closed metrics out of n results, one every
// millisecond, with latencies 1..n ms; the first `failed` of them are 500s.
func syntheticMetrics(n, failed int) vegeta.Metrics {
	var m vegeta.Metrics
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		r := &vegeta.Result{
			Code:      200,
			Timestamp: start.Add(time.Duration(i) * time.Millisecond),
			Latency:   time.Duration(i+1) * time.Millisecond,
			BytesIn:   100,
		}
		if i < failed {
			r.Code, r.Error = 500, "500 Internal Server Error"
		}
		m.Add(r)
	}
	m.Close()
	return m
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestSummarise(t *testing.T) {
	m := syntheticMetrics(1000, 10)
	s := summarise("store", "target", 1000, 0, m)
	if s.Requests != 1000 || s.Label() != "1000" || s.Scenario != "store" || s.Server != "target" {
		t.Fatalf("step = %+v", s)
	}
	if !near(s.Success, 0.99, 1e-9) {
		t.Errorf("success = %v", s.Success)
	}
	if !near(s.MaxMs, 1000, 1e-9) {
		t.Errorf("max = %v ms", s.MaxMs)
	}
	if !near(s.P50ms, 500, 10) || !near(s.P95ms, 950, 10) || !near(s.P99ms, 990, 10) {
		t.Errorf("p50/p95/p99 = %v/%v/%v ms", s.P50ms, s.P95ms, s.P99ms)
	}
	if s.BytesIn != 100 || s.Codes["500"] != 10 || s.Codes["200"] != 990 {
		t.Errorf("bytes %v codes %v", s.BytesIn, s.Codes)
	}
	// 990 successes over 999ms of sending plus 1000ms waiting for the last one.
	if !near(s.RPS, 990/1.999, 0.01) {
		t.Errorf("rps = %v", s.RPS)
	}
	if len(s.Errors) != 1 {
		t.Errorf("errors = %v", s.Errors)
	}

	var buf bytes.Buffer
	printRow(&buf, s)
	row := buf.String()
	for _, want := range []string{"store", "1000", "99.00%", "1000.00", "first error: 500"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}

	if got := summarise("store", "baseline", 0, 0, m).name(); got != "store (baseline)" {
		t.Errorf("baseline name = %q", got)
	}
	if got := summarise("store", "target", 0, 0, m).Label(); got != "max" {
		t.Errorf("saturation label = %q", got)
	}
}

func TestSummariseCapsErrors(t *testing.T) {
	var m vegeta.Metrics
	now := time.Now()
	for i := 0; i < maxErrors+5; i++ {
		m.Add(&vegeta.Result{Timestamp: now, Error: strings.Repeat("e", i+1)})
	}
	m.Close()
	s := summarise("x", "target", 1, 0, m)
	if len(s.Errors) != maxErrors || !s.Truncated || len(s.Metrics.Errors) != maxErrors {
		t.Fatalf("errors %d truncated %v", len(s.Errors), s.Truncated)
	}
}

func TestSaturationRatioAndFailures(t *testing.T) {
	steps := []Step{
		{Scenario: "store", Server: "target", Rate: 1000, Success: 1, RPS: 1000},
		{Scenario: "store", Server: "target", Rate: 4000, Success: 0.98, RPS: 3900},
		{Scenario: "store", Server: "target", Rate: 0, Success: 0.5, RPS: 2500},
		{Scenario: "store", Server: "baseline", Rate: 4000, Success: 0.5, RPS: 4000},
		{Scenario: "store", Server: "baseline", Rate: 0, Success: 1, RPS: 10000},
		{Scenario: "healthz", Server: "target", Rate: 0, Success: 1, RPS: 9000},
	}
	r, ok := saturationRatio("store", steps)
	if !ok || r.TargetRPS != 2500 || r.BaselineRPS != 10000 || r.Ratio != 0.25 {
		t.Fatalf("ratio = %+v, %v", r, ok)
	}
	if _, ok := saturationRatio("healthz", steps); ok {
		t.Fatal("healthz has no baseline; want no ratio")
	}
	bad := failures(steps)
	if len(bad) != 1 || bad[0].Rate != 4000 || bad[0].Server != "target" {
		t.Fatalf("failures = %+v", bad)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "latest.json")
	rep := &Report{Target: "http://x", Steps: []Step{summarise("healthz", "target", 0, 0, syntheticMetrics(10, 0))}}
	if err := writeJSON(path, rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Target != "http://x" || len(back.Steps) != 1 || back.Steps[0].Requests != 10 || back.Steps[0].Label() != "max" {
		t.Fatalf("read back %+v", back)
	}
}
