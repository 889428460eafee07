package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// minSuccess is the least success ratio a fixed-rate step against the target
// may have before loadgen exits non-zero.
const minSuccess = 0.99

// maxErrors caps how many distinct error strings a step keeps in the report.
const maxErrors = 20

// Step is the outcome of one attack: one scenario, one server, one rate.
type Step struct {
	Scenario  string         `json:"scenario"`
	Server    string         `json:"server"`                // "target" or "baseline"
	Rate      int            `json:"rate"`                  // requests per second; 0 = saturation
	Want      int            `json:"want_status,omitempty"` // the one status that succeeds; 0: any 2xx
	Workers   uint64         `json:"workers,omitempty"`
	Requests  uint64         `json:"requests"`
	RPS       float64        `json:"rps"`       // successful responses per second
	SentRate  float64        `json:"sent_rate"` // requests sent per second
	Success   float64        `json:"success"`   // 0..1
	P50ms     float64        `json:"p50_ms"`
	P95ms     float64        `json:"p95_ms"`
	P99ms     float64        `json:"p99_ms"`
	MaxMs     float64        `json:"max_ms"`
	MeanMs    float64        `json:"mean_ms"`
	BytesIn   float64        `json:"bytes_in_mean"`
	Codes     map[string]int `json:"status_codes"`
	Errors    []string       `json:"-"` // also in Metrics.Errors
	Metrics   vegeta.Metrics `json:"metrics"`
	Duration  string         `json:"duration"`
	Truncated bool           `json:"errors_truncated,omitempty"`
}

// Label is the rate column: the fixed rate, or "max" for saturation.
func (s Step) Label() string {
	if s.Rate == 0 {
		return "max"
	}
	return strconv.Itoa(s.Rate)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// succeeded counts the answers among codes that are want, or 2xx when want
// is 0.
func succeeded(codes map[string]int, want int) uint64 {
	if want != 0 {
		return uint64(codes[strconv.Itoa(want)])
	}
	var n uint64
	for code, c := range codes {
		if len(code) == 3 && code[0] == '2' {
			n += uint64(c)
		}
	}
	return n
}

// summarise turns closed vegeta metrics into a step. Only 2xx answers are
// successes (vegeta also counts 3xx), or only want ones when want is not 0:
// Success and RPS count those.
func summarise(scenario, server string, rate, want int, m vegeta.Metrics) Step {
	ok := succeeded(m.StatusCodes, want)
	s := Step{
		Scenario: scenario,
		Server:   server,
		Rate:     rate,
		Want:     want,
		Requests: m.Requests,
		SentRate: m.Rate,
		P50ms:    ms(m.Latencies.P50),
		P95ms:    ms(m.Latencies.P95),
		P99ms:    ms(m.Latencies.P99),
		MaxMs:    ms(m.Latencies.Max),
		MeanMs:   ms(m.Latencies.Mean),
		BytesIn:  m.BytesIn.Mean,
		Codes:    m.StatusCodes,
		Duration: (m.Duration + m.Wait).String(),
	}
	if m.Requests > 0 {
		s.Success = float64(ok) / float64(m.Requests)
	}
	if secs := (m.Duration + m.Wait).Seconds(); secs > 0 { // as vegeta's Throughput
		s.RPS = float64(ok) / secs
	}
	if len(m.Errors) > maxErrors {
		m.Errors = m.Errors[:maxErrors]
		s.Truncated = true
	}
	s.Errors = m.Errors
	s.Metrics = m
	return s
}

// name is how the step's scenario shows in the table.
func (s Step) name() string {
	if s.Server == "baseline" {
		return s.Scenario + " (baseline)"
	}
	return s.Scenario
}

func printHeader(w io.Writer) {
	fmt.Fprintf(w, "%-22s %6s %9s %10s %8s %8s %8s %8s %8s\n",
		"SCENARIO", "RATE", "REQUESTS", "RPS", "SUCCESS", "P50ms", "P95ms", "P99ms", "MAXms")
}

func printRow(w io.Writer, s Step) {
	fmt.Fprintf(w, "%-22s %6s %9d %10.1f %7.2f%% %8.2f %8.2f %8.2f %8.2f\n",
		s.name(), s.Label(), s.Requests, s.RPS, s.Success*100, s.P50ms, s.P95ms, s.P99ms, s.MaxMs)
	if s.Success < 1 && s.Requests > 0 {
		fmt.Fprintf(w, "  status codes: %s\n", codesText(s.Codes))
		if len(s.Errors) > 0 {
			fmt.Fprintf(w, "  first error: %s\n", s.Errors[0])
		}
	}
}

// codesText is codes as "200 ×990, 409 ×10", by code ("0": no answer).
func codesText(codes map[string]int) string {
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, codes[k])
	}
	return strings.Join(parts, ", ")
}

// Ratio compares a scenario's saturation throughput with the baseline's.
type Ratio struct {
	Scenario    string  `json:"scenario"`
	TargetRPS   float64 `json:"target_rps"`
	BaselineRPS float64 `json:"baseline_rps"`
	Ratio       float64 `json:"ratio"`
}

// saturationRatio finds the saturation steps of scenario on target and
// baseline in steps and divides their throughput; ok is false if either is
// missing or the baseline served nothing.
func saturationRatio(scenario string, steps []Step) (Ratio, bool) {
	r := Ratio{Scenario: scenario}
	var haveT, haveB bool
	for _, s := range steps {
		if s.Scenario != scenario || s.Rate != 0 {
			continue
		}
		switch s.Server {
		case "target":
			r.TargetRPS, haveT = s.RPS, true
		case "baseline":
			r.BaselineRPS, haveB = s.RPS, true
		}
	}
	if !haveT || !haveB || r.BaselineRPS <= 0 {
		return r, false
	}
	r.Ratio = r.TargetRPS / r.BaselineRPS
	return r, true
}

func printRatio(w io.Writer, r Ratio) {
	fmt.Fprintf(w, "%-22s %10.1f rps / %10.1f rps baseline = %5.2fx (%.0f%%)\n",
		r.Scenario, r.TargetRPS, r.BaselineRPS, r.Ratio, r.Ratio*100)
}

// failures lists the fixed-rate steps against the target whose success ratio
// is below minSuccess. Saturation and baseline steps never fail the run.
func failures(steps []Step) []Step {
	var bad []Step
	for _, s := range steps {
		if s.Server == "target" && s.Rate > 0 && s.Success < minSuccess {
			bad = append(bad, s)
		}
	}
	return bad
}

// Probe is what one plain request to the target said before the attack.
type Probe struct {
	Status      int    `json:"status"`
	Bytes       int    `json:"bytes"`
	ContentType string `json:"content_type,omitempty"`
}

// ScenarioReport is everything measured for one scenario.
type ScenarioReport struct {
	Scenario
	Probe Probe `json:"probe"`
}

// Report is what -json writes.
type Report struct {
	Started           time.Time        `json:"started"`
	Finished          time.Time        `json:"finished"`
	Target            string           `json:"target"`
	Host              string           `json:"host"`
	StepDuration      string           `json:"step_duration"`
	Rates             []int            `json:"rates"`
	SaturationWorkers int              `json:"saturation_workers"`
	NumCPU            int              `json:"num_cpu"`
	GOMAXPROCS        int              `json:"gomaxprocs"`
	GoVersion         string           `json:"go_version"`
	Scenarios         []ScenarioReport `json:"scenarios"`
	Steps             []Step           `json:"steps"`
	Ratios            []Ratio          `json:"ratios"`
	Carts             []CartReport     `json:"carts,omitempty"` // the cart scenarios' pools and cart-add's read-back
	Failed            []string         `json:"failed,omitempty"`
	Interrupted       bool             `json:"interrupted,omitempty"`
	// The webhook scenario's totals, when it ran; its fields sit at the top
	// level (webhook_token, webhook_accepted, ...).
	*WebhookReport
}

// WebhookReport is what the webhook scenario sent the target over the whole
// run (probe, warm-ups and steps; never the baseline). Every accepted message
// must be stored exactly once: deploy/bench.sh counts the rows whose
// wa_message_id starts with wamid.bench.<Token>.
type WebhookReport struct {
	Token      string `json:"webhook_token"`
	Sent       uint64 `json:"webhook_sent"`
	Accepted   uint64 `json:"webhook_accepted"`   // answered 200
	Unanswered uint64 `json:"webhook_unanswered"` // no answer: may or may not be stored
}

func writeJSON(path string, r *Report) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
