// Command loadgen is the load generator behind `make bench`.
//
// For every selected scenario it first sends one plain request to the target
// (the running product) to check it answers and to measure its response size,
// then attacks it with vegeta at each fixed rate (-rates) and once more as fast
// as -sat-workers connections allow (the saturation step, "max"). It then
// starts an in-process Fiber server whose single handler returns a JSON body of
// the same size (the mean size of the product's answers in those steps) and
// runs the same steps against it; the saturation throughput of the product
// divided by that of this baseline is the number to watch. Only 2xx answers
// count as successes.
//
// The baseline and loadgen share the machine's cores exactly as the product
// and loadgen do, so the ratio compares like with like.
//
// The webhook scenario (opt-in: -scenarios webhook) posts a new signed
// WhatsApp message per request, with a per-run token in every message id. It
// prints "webhook run token: <hex>" first and, at the end, a line
// "webhook: token <hex>, sent S, accepted N, unanswered U" (also in the JSON
// results) so that deploy/bench.sh can check the product stored each accepted
// message exactly once.
//
// The cart scenarios (opt-in: -scenarios cart-add,cart-view) create their
// carts on the target before their probe; after the run loadgen reads
// cart-add's carts back and checks that every add the product accepted is in
// a cart exactly once (see cart.go).
//
// The checkout-cod scenario (opt-in) checks out a fresh cart per request,
// cash on delivery; loadgen prepares the carts before its probe, and only a
// 201 counts as a success (see checkout.go).
//
// The dashboard scenario (opt-in: -scenarios admin-orders) reads the admin
// dashboard's orders page as a signed-in staff member (admin.go), over the
// order scenarios' placed orders, e.g.
//
//	make bench BENCH_ARGS="-scenarios admin-orders -rates 250,500 -duration 10s -warmup 3s -order-orders 500"
//
// The order scenarios (opt-in: -scenarios order-get,order-lookup) read
// orders loadgen places before their probes (-order-orders, default 2000,
// placed once when both run: a one-line cart checked out cash on delivery
// and confirmed): order-get GETs /api/v1/orders/{id} as the demo owner
// (signed in once, again before the token expires), order-lookup POSTs the
// public /api/v1/orders/lookup with an order's phone and number; each
// request takes the next order, round robin, and only a 200 counts (see
// orders.go). For example, with deploy/bench.sh (which raises the server's
// ORDER_LOOKUP_PER_HOUR):
//
//	make bench BENCH_ARGS="-scenarios order-get,order-lookup -rates 500,1000,1500 -duration 10s -warmup 3s"
//
// Exit status: 0 on success; 1 if a fixed-rate step against the target
// succeeded for less than 99% of its requests, a scenario's setup was refused
// or cart-add's carts do not hold what was accepted; 2 on bad flags; 3 if the
// target is unreachable; 130 if interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitUnreachable = 3
	exitInterrupted = 130

	// fixedMaxWorkers bounds the workers (and connections) vegeta may add to
	// hold a fixed rate when the server slows down.
	fixedMaxWorkers = 1024
	// settle is the pause between steps, after idle connections are closed.
	settle = 250 * time.Millisecond
)

type config struct {
	target     string
	host       string
	searchHost string
	duration   time.Duration
	rates      []int
	satWorkers int
	scenarios  []Scenario
	jsonPath   string
	baseline   bool
	timeout    time.Duration
	warmup     time.Duration
	afterSetup string
	webhook    webhookOptions
	cart       cartOptions
	checkout   checkoutOptions
	orders     orderOptions
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.target, "target", "http://127.0.0.1:8080", "base `URL` of the running product")
	fs.StringVar(&cfg.host, "host", "demo.localhost", "Host header for tenant-scoped scenarios")
	fs.StringVar(&cfg.searchHost, "search-host", "bench.localhost", "Host header of the search scenario (the tenant with the large catalog)")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "length of each step")
	rates := fs.String("rates", "1000,4000", "comma separated fixed rates in requests/second (may be empty)")
	fs.IntVar(&cfg.satWorkers, "sat-workers", 64, "workers (= connections) of the saturation step; 0 skips it")
	list := fs.String("scenarios", "healthz,store", "comma separated scenarios; known: "+strings.Join(scenarioNames(), ", "))
	fs.StringVar(&cfg.jsonPath, "json", "bench-results/latest.json", "write all results as JSON to `FILE` (empty: don't)")
	fs.BoolVar(&cfg.baseline, "baseline", true, "also run every step against an in-process Fiber baseline")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.StringVar(&cfg.afterSetup, "after-setup", "", "shell `command` run once after the scenarios' setup (carts, orders) and before the first request measured; "+
		"make bench runs ANALYZE, so the planner knows the rows the setup just wrote, as it would for rows that arrived over days")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured load before each scenario's steps, at the first fixed rate (1000/s without one); 0 skips it")
	fs.StringVar(&cfg.webhook.secret, "webhook-secret", "sandbox-app-secret", "app `secret` the webhook scenario signs payloads with (the seeded demo number's)")
	fs.StringVar(&cfg.webhook.pnid, "webhook-pnid", "100000000000001", "phone_number_id the webhook scenario's payloads are for (the seeded demo number's)")
	fs.IntVar(&cfg.webhook.customers, "webhook-customers", 500, "customers the webhook scenario's messages come from, round-robin")
	fs.StringVar(&cfg.webhook.token, "webhook-token", "", "`hex` token in every webhook message id, wamid.bench.<token>.<n> (default: random per run)")
	fs.IntVar(&cfg.cart.carts, "cart-carts", 0, "carts cart-add spreads its adds over, created before its probe (0: sized to the run so no line passes its stock or the 999 cap)")
	fs.IntVar(&cfg.cart.lines, "cart-lines", 3, "SKUs (lines) per cart of the cart scenarios")
	fs.IntVar(&cfg.cart.viewCarts, "cart-view-carts", 1000, "carts cart-view reads, created and filled before its probe")
	fs.BoolVar(&cfg.cart.idempotency, "cart-idempotency", true, "cart-add sends an Idempotency-Key with every add, as a storefront does")
	skus := fs.String("cart-skus", "", "comma separated `SKU[:cap]` the cart scenarios add, cap = stock on hand (default: the demo catalog's variants with untracked stock or at least 30 on hand)")
	fs.IntVar(&cfg.checkout.carts, "checkout-carts", 0, fmt.Sprintf("carts checkout-cod prepares before its probe, one per checkout (0: sized to the run, the saturation step at %d/s)", checkoutSatGuess))
	checkoutSKUs := fs.String("checkout-skus", "", "comma separated `SKUs` checkout-cod's carts and the order scenarios' orders hold, one each, in turn (default: the demo catalog's variants with untracked stock)")
	fs.BoolVar(&cfg.checkout.idempotency, "checkout-idempotency", true, "checkout-cod sends an Idempotency-Key with every checkout, as a storefront does")
	fs.IntVar(&cfg.orders.orders, "order-orders", defaultOrders, "orders order-get and order-lookup read, round robin, placed before their probes (once for both): a one-line cart checked out cash on delivery and confirmed")
	fs.StringVar(&cfg.orders.email, "order-email", demoOwnerEmail, "`email` of the staff member order-get signs in as (needs orders:read on the -host tenant; default: the demo seed's owner)")
	fs.StringVar(&cfg.orders.password, "order-password", demoPassword, "`password` order-get signs in with (default: the demo seed's)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	u, err := url.Parse(cfg.target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("bad -target %q: want a base URL like http://127.0.0.1:8080", cfg.target)
	}
	if cfg.duration <= 0 {
		return cfg, fmt.Errorf("-duration must be positive")
	}
	if cfg.timeout <= 0 {
		return cfg, fmt.Errorf("-timeout must be positive")
	}
	if cfg.satWorkers < 0 {
		return cfg, fmt.Errorf("-sat-workers must not be negative")
	}
	if cfg.rates, err = parseRates(*rates); err != nil {
		return cfg, err
	}
	if len(cfg.rates) == 0 && cfg.satWorkers == 0 {
		return cfg, fmt.Errorf("nothing to do: no -rates and -sat-workers 0")
	}
	if cfg.webhook.token == "" {
		if cfg.webhook.token, err = newRunToken(); err != nil {
			return cfg, err
		}
	}
	if err := cfg.webhook.validate(); err != nil {
		return cfg, err
	}
	if cfg.cart.skus, err = parseCartSKUs(*skus); err != nil {
		return cfg, err
	}
	if err := cfg.cart.validate(); err != nil {
		return cfg, err
	}
	if cfg.checkout.skus, err = parseCheckoutSKUs(*checkoutSKUs); err != nil {
		return cfg, err
	}
	if err := cfg.checkout.validate(); err != nil {
		return cfg, err
	}
	if err := cfg.orders.validate(); err != nil {
		return cfg, err
	}
	cfg.orders.prep = &orderPrep{}
	if cfg.scenarios, err = parseScenarios(*list); err != nil {
		return cfg, err
	}
	for i, s := range cfg.scenarios {
		if cfg.scenarios[i], err = s.prepare(cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// tally counts what the target answered one scenario over the whole run:
// the probe, the warm-up and every step.
type tally struct {
	sent       uint64 // requests loadgen tried
	ok         uint64 // answered 200
	created    uint64 // answered 201
	unanswered uint64 // no HTTP answer (timeout, connection error, interrupted)
}

func (t *tally) add(m *vegeta.Metrics) {
	if t == nil {
		return
	}
	t.sent += m.Requests
	t.ok += uint64(m.StatusCodes["200"])
	t.created += uint64(m.StatusCodes["201"])
	t.unanswered += uint64(m.StatusCodes["0"])
}

func (t *tally) addProbe(p Probe, err error) {
	t.sent++
	switch {
	case err != nil:
		t.unanswered++
	case p.Status == http.StatusOK:
		t.ok++
	case p.Status == http.StatusCreated:
		t.created++
	}
}

// selected reports whether the run includes the named scenario.
func (cfg config) selected(name string) bool {
	for _, s := range cfg.scenarios {
		if s.Name == name {
			return true
		}
	}
	return false
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "loadgen:", err)
		}
		return exitUsage
	}

	rep := &Report{
		Started:           time.Now(),
		Target:            cfg.target,
		Host:              cfg.host,
		StepDuration:      cfg.duration.String(),
		Rates:             cfg.rates,
		SaturationWorkers: cfg.satWorkers,
		NumCPU:            runtime.NumCPU(),
		GOMAXPROCS:        runtime.GOMAXPROCS(0),
		GoVersion:         runtime.Version(),
		Steps:             []Step{},
		Ratios:            []Ratio{},
	}
	tallies := map[string]*tally{}
	for _, s := range cfg.scenarios {
		tallies[s.Name] = &tally{}
	}
	webhook := cfg.selected(webhookScenario)
	setups := map[string]*cartSetup{} // the scenarios a Setup prepared
	finish := func(code int) int {
		rep.Finished = time.Now()
		for _, s := range cfg.scenarios {
			if st := setups[s.Name]; st != nil {
				if st.close != nil {
					st.close()
				}
				rep.Carts = append(rep.Carts, st.report)
			}
		}
		if webhook {
			t := tallies[webhookScenario]
			rep.WebhookReport = &WebhookReport{Token: cfg.webhook.token, Sent: t.sent, Accepted: t.ok, Unanswered: t.unanswered}
			fmt.Fprintf(stdout, "webhook: token %s, sent %d, accepted %d, unanswered %d\n", cfg.webhook.token, t.sent, t.ok, t.unanswered)
		}
		if cfg.jsonPath != "" {
			if err := writeJSON(cfg.jsonPath, rep); err != nil {
				fmt.Fprintln(stderr, "loadgen: writing results:", err)
				if code == exitOK {
					code = exitFailed
				}
			} else {
				fmt.Fprintln(stdout, "results written to", cfg.jsonPath)
			}
		}
		return code
	}

	fmt.Fprintf(stdout, "loadgen: target %s, tenant host %s, %s per step, rates %v", cfg.target, cfg.host, cfg.duration, cfg.rates)
	if cfg.satWorkers > 0 {
		fmt.Fprintf(stdout, " + max (%d workers)", cfg.satWorkers)
	}
	fmt.Fprintf(stdout, ", %d CPUs\n", runtime.NumCPU())
	if webhook {
		fmt.Fprintf(stdout, "webhook run token: %s (message ids %s%s.<n>, %d customers, phone_number_id %s)\n",
			cfg.webhook.token, webhookIDPrefix, cfg.webhook.token, cfg.webhook.customers, cfg.webhook.pnid)
	}

	interrupted := func() int {
		rep.Interrupted = true
		fmt.Fprintln(stderr, "loadgen: interrupted")
		return finish(exitInterrupted)
	}

	// Set up what scenarios need on the target (the cart scenarios' carts,
	// the order scenarios' orders), then probe every scenario before
	// attacking anything, so an unreachable target fails fast.
	for i, s := range cfg.scenarios {
		if s.Setup == nil {
			continue
		}
		req, st, err := s.Setup(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen: setting up %s: %v\n", s.Name, err)
			if ctx.Err() != nil {
				return interrupted()
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				return finish(exitUnreachable)
			}
			return finish(exitFailed)
		}
		cfg.scenarios[i].request = req
		setups[s.Name] = st
		printCartSetup(stdout, st.report)
	}
	if len(setups) > 0 && cfg.afterSetup != "" {
		if err := runAfterSetup(ctx, cfg.afterSetup, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "loadgen: -after-setup:", err)
			if ctx.Err() != nil {
				return interrupted()
			}
			return finish(exitFailed)
		}
	}
	for _, s := range cfg.scenarios {
		p, err := probe(ctx, cfg, s)
		tallies[s.Name].addProbe(p, err)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen: target unreachable (scenario %s): %v\n", s.Name, err)
			return finish(exitUnreachable)
		}
		rep.Scenarios = append(rep.Scenarios, ScenarioReport{Scenario: s, Probe: p})
		hostNote := ""
		if s.Tenant {
			hostNote = " (Host: " + cfg.host + ")"
		}
		fmt.Fprintf(stdout, "probe %-10s %s %s%s -> %d, %d bytes\n", s.Name, s.Method, s.Path, hostNote, p.Status, p.Bytes)
		if p.Status < 200 || p.Status >= 400 || (s.Status != 0 && p.Status != s.Status) {
			fmt.Fprintf(stderr, "loadgen: warning: %s answers %d; its steps will fail\n", s.Name, p.Status)
		}
	}
	fmt.Fprintln(stdout)
	printHeader(stdout)

	for _, sr := range rep.Scenarios {
		s := sr.Scenario
		rep.Steps = append(rep.Steps, runSteps(ctx, cfg, s, "target", cfg.target, stdout, tallies[s.Name])...)
		if st := setups[s.Name]; st != nil && st.gen != nil {
			// Before the baseline takes the same generator further.
			st.report.OverCapacity = st.gen.over.Load()
		}
		if ctx.Err() != nil {
			return interrupted()
		}
		if !cfg.baseline {
			continue
		}
		b, err := startBaseline(padJSON(baselineBytes(sr.Probe, rep.Steps, s.Name)))
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return finish(exitFailed)
		}
		steps := runSteps(ctx, cfg, s, "baseline", b.URL(), stdout, nil)
		rep.Steps = append(rep.Steps, steps...)
		if err := b.Close(); err != nil {
			fmt.Fprintln(stderr, "loadgen: stopping baseline:", err)
		}
		if ctx.Err() != nil {
			return interrupted()
		}
	}

	if cfg.baseline && cfg.satWorkers > 0 {
		fmt.Fprintf(stdout, "\nsaturation throughput vs. in-process Fiber baseline with the same body size:\n")
		for _, s := range cfg.scenarios {
			if r, ok := saturationRatio(s.Name, rep.Steps); ok {
				rep.Ratios = append(rep.Ratios, r)
				printRatio(stdout, r)
			} else {
				fmt.Fprintf(stdout, "%-22s no ratio (baseline served nothing)\n", s.Name)
			}
		}
	}

	code := exitOK
	if st := setups[checkoutCODScenario]; st != nil {
		finishCheckout(st, tallies[checkoutCODScenario])
		printCheckoutSummary(stdout, st.report)
		if st.report.NoCart > 0 {
			rep.Failed = append(rep.Failed, fmt.Sprintf("checkout-cod: %d requests found no cart left; raise -checkout-carts", st.report.NoCart))
			code = exitFailed
		}
	}
	if st := setups[cartAddScenario]; st != nil {
		// Every add the target accepted must be in a cart, once.
		if err := checkCartAdd(ctx, cfg, st, tallies[cartAddScenario]); err != nil {
			fmt.Fprintln(stderr, "loadgen: reading cart-add's carts back:", err)
			rep.Failed = append(rep.Failed, "cart-add: read-back failed: "+err.Error())
			code = exitFailed
		} else {
			printCartCheck(stdout, st.report)
			if !st.report.Landed {
				rep.Failed = append(rep.Failed, fmt.Sprintf("cart-add: the carts hold %d items for %d accepted adds", st.report.Held, st.report.Accepted))
				code = exitFailed
			}
		}
	}
	if bad := failures(rep.Steps); len(bad) > 0 {
		fmt.Fprintln(stderr)
		for _, s := range bad {
			msg := fmt.Sprintf("%s at %s rps: success %.2f%% < %.0f%%", s.Scenario, s.Label(), s.Success*100, minSuccess*100)
			rep.Failed = append(rep.Failed, msg)
			fmt.Fprintln(stderr, "loadgen: FAIL", msg)
		}
		code = exitFailed
	}
	return finish(code)
}

// runSteps attacks base with scenario s at every fixed rate, then at
// saturation, printing a row per step, and adds every request, warm-up
// included, to t (unless nil). It stops early when ctx ends.
func runSteps(ctx context.Context, cfg config, s Scenario, server, base string, out io.Writer, t *tally) []Step {
	rates := append([]int(nil), cfg.rates...)
	if cfg.satWorkers > 0 {
		rates = append(rates, 0)
	}
	if cfg.warmup > 0 && ctx.Err() == nil {
		// Warm caches, connection pools and the runtime the same way on the
		// product and the baseline; the results are thrown away.
		wr := 1000
		if len(cfg.rates) > 0 {
			wr = cfg.rates[0]
		}
		w := cfg
		w.duration = cfg.warmup
		m := attack(ctx, w, s, base, wr)
		t.add(&m)
	}
	var steps []Step
	for _, rate := range rates {
		if ctx.Err() != nil {
			break
		}
		m := attack(ctx, cfg, s, base, rate)
		t.add(&m)
		want := 0 // any 2xx
		if server == "target" {
			want = s.Status
		}
		st := summarise(s.Name, server, rate, want, m)
		if rate == 0 {
			st.Workers = uint64(cfg.satWorkers)
		}
		printRow(out, st)
		steps = append(steps, st)
	}
	return steps
}

// baselineBytes is the size of the baseline's body for scenario: the mean
// size of the target's answers over its steps (requests that differ answer
// with different sizes: a cart grows, searches find more or less), or the
// probe's when no step ran.
func baselineBytes(p Probe, steps []Step, scenario string) int {
	var total, n float64
	for _, s := range steps {
		if s.Scenario == scenario && s.Server == "target" && s.Requests > 0 {
			total += s.BytesIn * float64(s.Requests)
			n += float64(s.Requests)
		}
	}
	if n == 0 {
		return p.Bytes
	}
	return int(math.Round(total / n))
}

// newTransport is an HTTP/1.1 keep-alive transport tuned for loopback: no
// proxy, no compression (the product and the baseline send identical bodies),
// and room for conns connections.
func newTransport(cfg config, conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: cfg.timeout, KeepAlive: 30 * time.Second}).DialContext,
		DisableCompression:  true,
		MaxIdleConns:        0, // no global limit; per host below
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
	}
}

// attack runs one step: scenario s against base at rate requests/second, or
// as fast as cfg.satWorkers workers go when rate is 0.
func attack(ctx context.Context, cfg config, s Scenario, base string, rate int) vegeta.Metrics {
	workers, maxWorkers, conns := uint64(vegeta.DefaultWorkers), uint64(fixedMaxWorkers), fixedMaxWorkers
	if rate == 0 {
		workers, maxWorkers, conns = uint64(cfg.satWorkers), uint64(cfg.satWorkers), cfg.satWorkers
	}
	tr := newTransport(cfg, conns)
	defer tr.CloseIdleConnections()

	atk := vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr}), // first: the options below tune tr
		vegeta.KeepAlive(true),
		vegeta.HTTP2(false),
		vegeta.Timeout(cfg.timeout),
		vegeta.Connections(conns),
		vegeta.MaxConnections(conns),
		vegeta.Workers(workers),
		vegeta.MaxWorkers(maxWorkers),
	)
	targeter := s.targeter(base, cfg.host)
	pacer := vegeta.Rate{Freq: rate, Per: time.Second} // Freq 0: no pacing

	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	var m vegeta.Metrics
	for res := range atk.Attack(targeter, pacer, cfg.duration, s.Name) {
		m.Add(res)
	}
	m.Close()

	tr.CloseIdleConnections()
	runtime.GC()
	time.Sleep(settle)
	return m
}

// runAfterSetup runs command with sh and reports how long it took.
func runAfterSetup(ctx context.Context, command string, stdout, stderr io.Writer) error {
	start := time.Now()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "after setup: %s (%d ms)\n", command, time.Since(start).Milliseconds())
	return nil
}

// probe sends one request of scenario s to the target, built by the same
// targeter as the attack's (for a dynamic scenario: the run's first request),
// and reports the status and the body size.
func probe(ctx context.Context, cfg config, s Scenario) (Probe, error) {
	tr := newTransport(cfg, 1)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.timeout}

	var tgt vegeta.Target
	if err := s.targeter(cfg.target, cfg.host)(&tgt); err != nil {
		return Probe{}, err
	}
	req, err := tgt.Request() // sets req.Host from a Host header
	if err != nil {
		return Probe{}, err
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return Probe{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Probe{}, err
	}
	return Probe{Status: resp.StatusCode, Bytes: len(body), ContentType: resp.Header.Get("Content-Type")}, nil
}
