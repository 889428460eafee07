package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserTab is one tab of Debian's Chromium, headless, driven by a browser
// test (TestSandboxInBrowser, TestStorefrontInBrowser).
type browserTab struct {
	t   testing.TB
	ctx context.Context
}

// newBrowser starts Chromium for t (its own profile in t's temp dir; opts add
// flags) and opens a tab that lives until timeout or the test's end. The
// test fails when Chromium is missing: make test installs it.
func newBrowser(t testing.TB, timeout time.Duration, opts ...chromedp.ExecAllocatorOption) *browserTab {
	t.Helper()
	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		t.Fatal("Debian's chromium is required (make test installs it)")
	}
	flags := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	}, opts...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), flags...)
	bctx, cancelB := chromedp.NewContext(actx)
	bctx, cancelT := context.WithTimeout(bctx, timeout)
	t.Cleanup(func() {
		cancelT()
		cancelB()
		cancelA()
	})
	return &browserTab{t: t, ctx: bctx}
}

// on is the tab reporting to t (a subtest of the one that opened it).
func (b *browserTab) on(t testing.TB) *browserTab { return &browserTab{t: t, ctx: b.ctx} }

// run runs actions, failing the test with what on an error.
func (b *browserTab) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text is the visible text of the first element sel matches.
func (b *browserTab) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

// shot writes a screenshot of the viewport to path, if it can.
func (b *browserTab) shot(path string) {
	if png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot()); err == nil {
		_ = os.WriteFile(path, png, 0o644)
	}
}

// evalIn evaluates expr in b's page (opts: chromedp.EvalAwaitPromise for a
// promise) and decodes its value, failing the test with what on an error.
func evalIn[T any](b *browserTab, what, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// demoStoreApp boots the product in dev mode with the demo store seeded on
// demo.localhost (Chromium maps *.localhost to 127.0.0.1; the pictures on
// the same host, as the pages' CSP allows no other http origin) and
// returns it with the store's base URL.
func demoStoreApp(t *testing.T) (*testApp, string) {
	t.Helper()
	ta := startApp(t, modeDev, nil)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(ta.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	store := "http://demo.localhost:" + port
	d := *ta.app.deps
	d.cfg.PublicBaseURL = store
	if err := seedDemo(context.Background(), &d, io.Discard); err != nil {
		t.Fatal(err)
	}
	return ta, store
}
