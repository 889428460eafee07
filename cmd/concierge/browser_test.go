package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concierge/modules/catalog"
	"concierge/tenants"
)

// TestSandboxInBrowser drives the real product through the WhatsApp sandbox
// page in Debian's Chromium: every tap posts a signed webhook, the worker
// runs the dialog, and replies come back through the Cloud API emulator.
// Arabic first, then English.
func TestSandboxInBrowser(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeDev, nil)
	ctx := context.Background()
	ta.tenant("nukhba")
	if _, err := ta.app.deps.tenants.AddNumber(ctx, "test", "nukhba", tenants.NumberInput{
		PhoneNumberID: "200000000000001", DisplayPhone: "+966500000077", AccessToken: "tok-nukhba", AppSecret: "secret-nukhba"}); err != nil {
		t.Fatal(err)
	}
	seedCatalogInto(t, ta, ta.app.deps.tenants, "nukhba", ta.base)

	tab := newBrowser(t, 90*time.Second, chromedp.WindowSize(1100, 900))
	bctx, run, read, shot := tab.ctx, tab.run, tab.text, tab.shot
	button := func(id string) chromedp.CSS { return chromedp.CSS(`.msg.out .action[data-reply-id="` + id + `"]`) }

	run("open the sandbox",
		chromedp.Navigate(ta.base+"/sandbox"),
		chromedp.WaitReady(chromedp.CSS(`#number option[value="200000000000001"]`)),
	)
	dirAttr, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS("html"), "dir"))
	if err != nil {
		t.Fatal(err)
	}
	if dir := dirAttr.Value; dir != "rtl" {
		t.Fatalf("the sandbox page opens with dir=%q, want rtl (Arabic first)", dir)
	}
	run("write مرحبا and see the language choice",
		chromedp.Focus(chromedp.CSS("#text")),
		chromedp.SendKeys(chromedp.CSS("#text"), "مرحبا"),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(button("lang:ar")),
		chromedp.WaitVisible(button("lang:en")),
	)
	run("choose Arabic and see the consent request",
		chromedp.Click(button("lang:ar")),
		chromedp.WaitVisible(button("consent:agree")),
	)
	agree := read(`.msg.out .action[data-reply-id="consent:agree"]`)
	if !strings.Contains(agree, "موافق") {
		t.Fatalf("the Agree button reads %q, want Arabic", agree)
	}
	// The main menu is a list (Browse products, a person, language, help).
	row := func(id string) chromedp.CSS { return chromedp.CSS(`#dlg .rowbtn[data-row-id="` + id + `"]`) }
	lists := func(n int) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('.msg.out .list-open .action').length >= %d`, n))
	}
	openLast := chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll('.msg.out .list-open .action')).pop().click()`)
	run("agree and open the menu",
		chromedp.Click(button("consent:agree")),
		lists(1), openLast,
		chromedp.WaitVisible(row("handoff")),
	)
	menuTitle := read(`#dlg .rowbtn[data-row-id="handoff"]`)
	browse := read(`#dlg .rowbtn[data-row-id="menu:catalog"]`)
	if !strings.Contains(menuTitle, "موظف") || !strings.Contains(browse, "تصفح المنتجات") {
		t.Fatalf("the menu reads %q / %q, want Arabic", browse, menuTitle)
	}
	shot("/tmp/e2e-sandbox-ar.png")
	run("browse: the categories",
		chromedp.Click(row("menu:catalog")),
		lists(2), openLast,
		chromedp.WaitVisible(chromedp.CSS(`#dlg .rowbtn[data-row-id^="catalog:cat:"]`)),
	)
	if cats := read(`#dlg`); !strings.Contains(cats, "نساء") || !strings.Contains(cats, "عطور") {
		t.Fatalf("the categories read %q", cats)
	}
	shot("/tmp/e2e-sandbox-categories.png")
	run("Chat to order: the product's picture and buttons",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('dlg').close()`),
		chromedp.Focus(chromedp.CSS("#text")),
		chromedp.SendKeys(chromedp.CSS("#text"), catalog.ChatToOrderText("ar", "عباية سوداء كلاسيكية", "ABY-001-BLK-M")),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(chromedp.CSS(`.msg.out .action[data-reply-id^="cart:add:"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg.out img`)),
	)
	// The picture (generated and served by the product) finishes loading.
	run("the product picture loads",
		chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll('.msg.out img')).every(i => i.complete && i.naturalWidth > 0)`),
	)
	shot("/tmp/e2e-sandbox-product.png")
	// Add to cart: the quantity list (1, 2, 3, other), then the cart with
	// its VAT line, in Arabic.
	run("add to cart: the quantity list",
		chromedp.Click(chromedp.CSS(`.msg.out .action[data-reply-id^="cart:add:"]`)),
		lists(3), openLast,
		chromedp.WaitVisible(chromedp.CSS(`#dlg .rowbtn[data-row-id^="cart:other:"]`)),
	)
	if qty := read(`#dlg`); !strings.Contains(qty, "٢") || !strings.Contains(qty, "كمية أخرى") {
		t.Fatalf("the quantity list reads %q", qty)
	}
	run("choose 2 and view the cart",
		chromedp.Click(chromedp.CSS(`#dlg .rowbtn[data-row-id$=":2:1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg.out .action[data-reply-id="cart:view"]`)),
		chromedp.Click(chromedp.CSS(`.msg.out .action[data-reply-id="cart:view"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg.out .action[data-reply-id="cart:edit"]`)),
	)
	cart, err := chromedp.Run(bctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('.msg.out')).pop().innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cart, "ضريبة القيمة المضافة") || !strings.Contains(cart, "٤٩٨٫٠٠") {
		t.Fatalf("the cart reads %q", cart)
	}
	shot("/tmp/e2e-sandbox-cart.png")

	run("a new customer in English",
		chromedp.Click(chromedp.CSS("#newcust")),
		chromedp.WaitNotPresent(button("handoff")),
		chromedp.Focus(chromedp.CSS("#text")),
		chromedp.SendKeys(chromedp.CSS("#text"), "hello"),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(button("lang:en")),
		chromedp.Click(button("lang:en")),
		chromedp.WaitVisible(button("consent:agree")),
	)
	agreeEN := read(`.msg.out .action[data-reply-id="consent:agree"]`)
	if !strings.Contains(agreeEN, "agree") {
		t.Fatalf("the English Agree button reads %q", agreeEN)
	}
	run("agree in English and open the menu",
		chromedp.Click(button("consent:agree")),
		lists(1), openLast,
		chromedp.WaitVisible(row("handoff")),
	)
	menuTitle = read(`#dlg .rowbtn[data-row-id="handoff"]`)
	if !strings.Contains(strings.ToLower(menuTitle), "person") && !strings.Contains(strings.ToLower(menuTitle), "agent") && !strings.Contains(strings.ToLower(menuTitle), "human") {
		t.Fatalf("the English menu's hand-off entry reads %q", menuTitle)
	}
	shot("/tmp/e2e-sandbox-en.png")
}
