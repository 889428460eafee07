package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminCatalogInBrowser drives the catalog pages in Chromium as the
// demo store's owner, in Arabic and in English: the products list, a
// product's page, a picture chosen (its preview shown by catalog.js before
// upload) and uploaded (its thumbnail shown, the picture served), the new
// product's form and its field errors, the category tree, the feeds and a
// run's report. Every page is held to its language's lang and dir, no
// sideways scrolling, axe-core's WCAG 2 A and AA rules, with screenshots
// (catalog-*) beside the dashboard's.
func TestAdminCatalogInBrowser(t *testing.T) {
	t.Parallel()
	axe := axeCore(t)
	_, store := demoStoreApp(t)
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench-results", "screenshots")
	}
	dir = filepath.Join(dir, "admin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(t.TempDir(), "burner.png")
	if err := os.WriteFile(pic, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, 5*time.Minute, chromedp.Flag("host-resolver-rules", "MAP *.localhost 127.0.0.1"))

	for _, lc := range []struct{ lang, dir, currency string }{{"ar", "rtl", "ر.س"}, {"en", "ltr", "SAR"}} {
		t.Run(lc.lang, func(t *testing.T) {
			s := &webShopper{b: tab.on(t), t: t, store: store, lang: lc.lang, dir: lc.dir, currency: lc.currency, axe: axe, shots: dir}
			s.open("/admin/login?lang="+lc.lang, http.StatusOK)
			s.b.run("fill the sign-in form",
				chromedp.SendKeys(chromedp.CSS("#email"), demoOwnerEmail),
				chromedp.SendKeys(chromedp.CSS("#password"), demoPassword))
			s.submit(`form[action="/admin/login"] button[type=submit]`, http.StatusOK)
			s.submit(`nav.side a[href="/admin/products"]`, http.StatusOK)
			s.at("/admin/products")
			s.check("catalog-products", "#products td.num")
			href := evalIn[string](s.b, "the first product's link", `document.querySelector("#products a").getAttribute("href")`)
			s.open(href, http.StatusOK)
			s.check("catalog-product", "#variants .num")

			// Choose a picture: catalog.js previews it; upload it.
			s.b.run("choose a picture", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{pic}))
			s.b.run("the preview shows", chromedp.Poll[chromedp.Void](
				`(() => { const p = document.getElementById("file-preview"); return !p.hidden && p.src.startsWith("data:image/png") && p.naturalWidth > 0 })()`,
				chromedp.WithPollingTimeout(10*time.Second)))
			s.b.run("describe it", chromedp.SendKeys(chromedp.CSS("#alt_en"), "Burner "+lc.lang))
			s.submit(`form[action$="/media"] button[type=submit]`, http.StatusOK)
			s.at(href)
			s.b.run("the uploaded picture's thumbnail shows", chromedp.Poll[chromedp.Void](
				`Array.from(document.querySelectorAll(".thumbs img")).some(i => i.src.includes("/uploads/") && i.complete && i.naturalWidth === 8)`,
				chromedp.WithPollingTimeout(10*time.Second)))
			s.check("catalog-product-picture", "#variants .num")

			s.open("/admin/products/new", http.StatusOK)
			s.check("catalog-new", "")
			s.b.run("a price that is not one", chromedp.SendKeys(chromedp.CSS("#sku"), "NEW-"+lc.lang), chromedp.SendKeys(chromedp.CSS("#price"), "abc"))
			s.submit(`form[action="/admin/products"] button[type=submit]`, http.StatusUnprocessableEntity)
			if got := s.b.text("#price-err"); got == "" || !strings.Contains(s.b.text("#title_ar-err"), s.pick("الاسم", "title")) {
				t.Fatalf("field errors: %q", got)
			}
			s.check("catalog-new-errors", "")

			s.open("/admin/products/categories", http.StatusOK)
			s.check("catalog-categories", "")
			s.open("/admin/products/feeds", http.StatusOK)
			s.check("catalog-feeds", "")
			run := evalIn[string](s.b, "a run's link", `(document.querySelector("#runs a") || {getAttribute: () => ""}).getAttribute("href")`)
			if run == "" {
				t.Fatal("the demo store has no run listed")
			}
			s.open(run, http.StatusOK)
			s.check("catalog-run", "")
			s.open("/admin", http.StatusOK)
			s.submit(`form[action="/admin/logout"] button[type=submit]`, http.StatusOK)
			if lc.lang == "ar" {
				s.open("/admin/login?lang=en", http.StatusOK)
			}
		})
	}
}
