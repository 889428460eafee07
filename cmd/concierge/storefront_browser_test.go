package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestStorefrontInBrowser shops in the demo store (seeded as `concierge seed
// demo` does) with Debian's Chromium, in Arabic and in English: home → a
// category → its sub-category → a product → add to cart → cart → checkout
// (sent empty first: the errors show; then a Saudi national address, cash
// on delivery and consent) → the confirmation's order number → the order
// lookup by phone and number, which shows the order. Then search results,
// the privacy notice and the 404 page.
//
// On every page: html lang and dir (rtl for Arabic, ltr for English);
// prices shown with the currency; no horizontal scrolling at 390×844 (a
// phone) nor at 1280×800; a full-page screenshot at both sizes in
// $SCREENSHOT_DIR (default bench-results/screenshots/storefront, git-ignored);
// and no violation of axe-core's WCAG 2.0/2.1 A and AA rules (axe-core from
// npm, pinned and fetched by deploy/test.sh, named by AXE_CORE_JS).
//
// Last, a form that a page of another origin posts to the store is refused
// with 403.
func TestStorefrontInBrowser(t *testing.T) {
	t.Parallel()
	axe := axeCore(t)
	_, store := demoStoreApp(t)
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench-results", "screenshots", "storefront")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, 6*time.Minute, chromedp.Flag("host-resolver-rules", "MAP *.localhost 127.0.0.1"))

	for _, lc := range []struct {
		lang, prefix, dir, currency string
		// Words the shopper writes.
		name, street, district, city, search string
	}{
		{"ar", "", "rtl", "ر.س", "سارة العتيبي", "طريق الملك فهد", "العليا", "الرياض", "عباية سوداء"},
		{"en", "/en", "ltr", "SAR", "Sara Alotaibi", "King Fahd Road", "Olaya", "Riyadh", "black abaya"},
	} {
		t.Run(lc.lang, func(t *testing.T) {
			s := &webShopper{b: tab.on(t), t: t, store: store, prefix: lc.prefix, lang: lc.lang, dir: lc.dir, currency: lc.currency,
				axe: axe, shots: dir}
			s.open("/", http.StatusOK)
			s.check("home", ".price")
			s.follow(`main .chips a[href$="/categories/women"]`, "/categories/women")
			s.check("category", ".price")
			s.follow(`main .chips a[href$="/categories/women-abayas"]`, "/categories/women-abayas")
			s.check("subcategory", ".price")
			s.follow(`main .grid a[href$="/products/classic-black-abaya"]`, "/products/classic-black-abaya")
			s.check("product", ".price")

			// Size M, then add to cart: the cart lists it.
			s.b.run("choose size M", chromedp.Click(chromedp.CSS(`label[for="v-ABY-001-BLK-M"]`)))
			s.follow(`main form[action$="/cart/add"] button[type=submit]`, "/cart")
			if got := s.b.text("main .lines"); !strings.Contains(got, "ABY") && !strings.Contains(got, s.pick("عباية سوداء كلاسيكية", "Classic Black Abaya")) {
				t.Fatalf("the cart reads %q", got)
			}
			s.check("cart", ".price")
			s.follow(`main .actions a[href$="/checkout"]`, "/checkout")
			// The checkout shows its money in the totals table (no .price).
			s.check("checkout", "main .totals td")

			// Sent empty: 422, every required field marked, in the page's
			// language.
			s.submit(`main form[action$="/checkout"] button[type=submit]`, http.StatusUnprocessableEntity)
			if n := evalIn[int](s.b, "count the marked fields", `document.querySelectorAll('main [aria-invalid="true"]').length`); n < 7 {
				t.Fatalf("the empty checkout marks %d fields, want name, phone, building number, street, district, city, postal code and consent", n)
			}
			s.check("checkout-errors", "main .totals td")

			for _, f := range []struct{ id, value string }{
				{"f-name", lc.name}, {"f-phone", "0512345678"}, {"f-building_number", "1234"}, {"f-street", lc.street},
				{"f-district", lc.district}, {"f-city", lc.city}, {"f-postal_code", "12211"},
			} {
				s.b.run("fill "+f.id, chromedp.SendKeys(chromedp.CSS("#"+f.id), f.value))
			}
			s.b.run("cash on delivery and consent",
				chromedp.Click(chromedp.CSS(`#m-cod`)),
				chromedp.Click(chromedp.CSS(`#f-consent`)),
			)
			s.submit(`main form[action$="/checkout"] button[type=submit]`, http.StatusOK)
			s.at("/checkout/done")
			heading := s.b.text("main .price")
			number := strings.TrimSpace(heading[strings.LastIndex(heading, "#")+1:])
			if number == "" || number == heading {
				t.Fatalf("the confirmation shows no order number: %q", heading)
			}
			if got := s.b.text("main .note"); !strings.Contains(got, lc.currency) {
				t.Fatalf("the confirmation does not say what to pay on delivery: %q", got)
			}
			s.check("done", "main td")

			// The order lookup, with the phone and the number as the
			// confirmation shows it (Arabic-Indic digits in Arabic).
			s.follow(`main a[href$="/orders/lookup"]`, "/orders/lookup")
			s.check("lookup", "")
			s.b.run("fill the lookup",
				chromedp.SendKeys(chromedp.CSS("#f-phone"), "0512345678"),
				chromedp.SendKeys(chromedp.CSS("#f-order_number"), number),
			)
			s.b.run("look the order up",
				chromedp.Click(chromedp.CSS(`main form[action$="/orders/lookup"] button[type=submit]`)),
				chromedp.Poll[chromedp.Void](`document.querySelector("main section[aria-live] h2, main .alert, main .err")`,
					chromedp.WithPollingTimeout(20*time.Second)),
			)
			if got := evalIn[string](s.b, "read the lookup", `document.querySelector("main").innerText`); !strings.Contains(got, "#"+number) {
				t.Fatalf("the lookup of #%s shows:\n%s", number, got)
			}
			s.check("lookup-result", "main td")

			s.open("/search?q="+url.QueryEscape(lc.search), http.StatusOK)
			s.check("search", ".price")
			s.open("/privacy", http.StatusOK)
			s.check("privacy", "")
			s.open("/no-such-page", http.StatusNotFound)
			s.check("404", "")
		})
	}

	t.Run("cross-origin form", func(t *testing.T) {
		b := tab.on(t)
		// The visitor's own token too: only the origin gives the post away.
		cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{store + "/"}})
		if err != nil {
			t.Fatal(err)
		}
		token := ""
		for _, c := range cookies.Cookies {
			if c.Name == "cc_csrf" {
				token = c.Value
			}
		}
		if token == "" {
			t.Fatal("the store set no cc_csrf cookie")
		}
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="en"><title>elsewhere</title><form method="post" action="%s/en/cart/add">`+
				`<input name="sku" value="ABY-001-BLK-M"><input name="quantity" value="1"><input name="_csrf" value="%s">`+
				`<button type="submit">go</button></form>`, store, token)
		}))
		defer other.Close()
		b.run("open a page of another origin", chromedp.Navigate(other.URL))
		res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS("button")))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusForbidden {
			t.Fatalf("a form posted from %s to the store: %d, want 403", other.URL, res.Status)
		}
	})
}

// axeCore is axe-core's script: AXE_CORE_JS (deploy/test.sh fetches the
// pinned version into .data/npm), else one found in .data/npm. Missing, it
// fails the test: the accessibility checks are part of it.
func axeCore(t *testing.T) string {
	t.Helper()
	path := os.Getenv("AXE_CORE_JS")
	if path == "" {
		found, _ := filepath.Glob(filepath.Join("..", "..", ".data", "npm", "axe-core-*", "axe.min.js"))
		if len(found) > 0 {
			path = found[len(found)-1]
		}
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("AXE_CORE_JS: %v", err)
		}
		return string(b)
	}
	t.Fatal("axe-core is missing: deploy/test.sh (make test) fetches it into .data/npm and sets AXE_CORE_JS")
	return ""
}

// webShopper walks the store in one language.
type webShopper struct {
	b                        *browserTab
	t                        *testing.T
	store, prefix, lang, dir string
	currency, axe, shots     string
}

// shopViewports are the sizes pages are checked at: a phone and a laptop.
var shopViewports = []struct {
	name   string
	w, h   int64
	mobile bool
}{{"390x844", 390, 844, true}, {"1280x800", 1280, 800, false}}

func (s *webShopper) pick(ar, en string) string {
	if s.lang == "ar" {
		return ar
	}
	return en
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// open loads path in the shopper's language with the phone's viewport and
// wants status.
func (s *webShopper) open(path string, status int64) {
	s.t.Helper()
	s.viewport(shopViewports[0].w, shopViewports[0].h, true)
	target := s.store + s.prefix + path
	if s.prefix != "" && path == "/" {
		target = s.store + s.prefix
	}
	res, err := chromedp.Run(s.b.ctx, chromedp.NavigateResponse(target))
	if err != nil {
		s.t.Fatalf("open %s: %v", target, err)
	}
	if res.Status != status {
		s.t.Fatalf("open %s: %d, want %d", target, res.Status, status)
	}
}

// follow clicks the link or button sel (htmx swaps the page in) and waits
// for path (without the language prefix) to be shown.
func (s *webShopper) follow(sel, path string) {
	s.t.Helper()
	want := s.prefix + path
	s.b.run("follow "+sel+" to "+want,
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.Poll[chromedp.Void](`location.pathname === `+jsString(want)+` && document.readyState === "complete" && `+
			`!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`,
			chromedp.WithPollingTimeout(20*time.Second)),
	)
}

// submit clicks sel, a button that submits a form without htmx, and wants
// the page it leads to to answer status.
func (s *webShopper) submit(sel string, status int64) {
	s.t.Helper()
	res, err := chromedp.RunResponse(s.b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatalf("submit %s: %v", sel, err)
	}
	if res.Status != status {
		s.t.Fatalf("submit %s: %d %s, want %d", sel, res.Status, res.URL, status)
	}
}

// at fails unless the page shown is path (without the language prefix).
func (s *webShopper) at(path string) {
	s.t.Helper()
	if got := evalIn[string](s.b, "read the location", `location.pathname`); got != s.prefix+path {
		s.t.Fatalf("the page shown is %s, want %s", got, s.prefix+path)
	}
}

func (s *webShopper) viewport(w, h int64, mobile bool) {
	s.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	} else {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulateLandscape}
	}
	s.b.run(fmt.Sprintf("viewport %dx%d", w, h),
		chromedp.EmulateViewport(w, h, opts...),
		// Two frames: the page is laid out at the new size.
		chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise),
	)
}

// check holds the page shown (name: its kind) to the language's lang and
// dir, money in the currency in an element that price matches ("": the
// page shows none), no horizontal scrolling at either viewport (a
// screenshot of each), and axe-core's WCAG A and AA rules.
func (s *webShopper) check(name, price string) {
	s.t.Helper()
	t, b := s.t, s.b
	start := time.Now()
	defer func() { t.Logf("%s: checked in %v", name, time.Since(start).Round(time.Millisecond)) }()
	attrs := evalIn[[2]string](b, name+": html lang and dir", `[document.documentElement.lang, document.documentElement.dir]`)
	if attrs != [2]string{s.lang, s.dir} {
		t.Errorf("%s: html lang=%q dir=%q, want %q %q", name, attrs[0], attrs[1], s.lang, s.dir)
	}
	if price != "" {
		shown := evalIn[bool](b, name+": prices", `Array.from(document.querySelectorAll(`+jsString(price)+`)).some(e => `+
			`e.getClientRects().length > 0 && e.innerText.includes(`+jsString(s.currency)+`))`)
		if !shown {
			t.Errorf("%s: no %s shows an amount in %s", name, price, s.currency)
		}
	}
	for _, vp := range shopViewports {
		s.viewport(vp.w, vp.h, vp.mobile)
		sizes := evalIn[[2]int64](b, name+": widths", `[document.documentElement.scrollWidth, window.innerWidth]`)
		if sizes[0] > sizes[1] {
			wide := evalIn[[]string](b, name+": what is too wide", `Array.from(document.querySelectorAll("body *")).`+
				`filter(e => { const r = e.getBoundingClientRect(); return r.right > innerWidth + 1 || r.left < -1 }).slice(0, 5).`+
				`map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).trim().replace(/\s+/g, ".") : "") + " " + Math.round(e.getBoundingClientRect().width) + "px")`)
			t.Errorf("%s at %s: the page scrolls sideways (scrollWidth %d > innerWidth %d); too wide: %v", name, vp.name, sizes[0], sizes[1], wide)
		}
		// A page that fits the window is captured as the window: Chromium's
		// capture beyond the viewport shifts a short right-to-left page
		// sideways in the picture (the page itself is fine).
		shot := chromedp.FullScreenshot(100)
		if evalIn[bool](b, name+": fits", `document.documentElement.scrollHeight <= window.innerHeight`) {
			shot = chromedp.CaptureScreenshot()
		}
		png, err := chromedp.Run(b.ctx, shot)
		if err != nil {
			t.Fatalf("%s: screenshot: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(s.shots, fmt.Sprintf("%s-%s-%s.png", s.lang, name, vp.name)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.viewport(shopViewports[0].w, shopViewports[0].h, true)
	if s.axe == "" {
		return
	}
	if !evalIn[bool](b, "axe loaded?", `typeof axe !== "undefined"`) {
		b.run(name+": load axe-core", chromedp.Evaluate[chromedp.Void](s.axe))
	}
	type violation struct {
		ID, Impact, Help string
		Nodes            []string
	}
	vs := evalIn[[]violation](b, name+": axe-core", `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).`+
		`then(r => r.violations.map(v => ({ID: v.id, Impact: v.impact || "", Help: v.help, `+
		`Nodes: v.nodes.slice(0, 6).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " "))})))`,
		chromedp.EvalAwaitPromise)
	for _, v := range vs {
		t.Errorf("%s (%s): axe %s [%s] %s:\n\t%s", name, s.lang, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}
