package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestChatToOrderInBrowser follows a product page's "Order on WhatsApp"
// link into the WhatsApp sandbox, which opens wa.me's links
// (/sandbox?wa=<number>&text=<prefilled>): sending the prefilled text, and
// agreeing as a new customer, shows that product in the chat with its Add
// to cart button.
func TestChatToOrderInBrowser(t *testing.T) {
	t.Parallel()
	ta, store := demoStoreApp(t)
	tab := newBrowser(t, 2*time.Minute, chromedp.Flag("host-resolver-rules", "MAP *.localhost 127.0.0.1"),
		chromedp.WindowSize(1100, 900))

	tab.run("open a product and choose size M",
		chromedp.Navigate(store+"/en/products/classic-black-abaya"),
		chromedp.WaitVisible(chromedp.CSS("#chat")),
		chromedp.Click(chromedp.CSS(`input[name="sku"][value$="-M"]`)),
	)
	href := evalIn[string](tab, "the chat link", `document.getElementById("chat").href`)
	link, err := url.Parse(href)
	if err != nil || link.Host != "wa.me" {
		t.Fatalf("the Order on WhatsApp link is %q", href)
	}
	text := link.Query().Get("text")
	if !strings.Contains(text, "Classic Black Abaya") || !strings.Contains(text, "[#P-") || !strings.HasSuffix(text, "-M]") {
		t.Fatalf("the prefilled text %q names no size-M code", text)
	}

	// wa.me/<number>?text=… as the sandbox opens it.
	button := func(prefix string) chromedp.CSS {
		return chromedp.CSS(`.msg.out .action[data-reply-id^="` + prefix + `"]`)
	}
	tab.run("follow the link into the sandbox and send the text",
		chromedp.Navigate(ta.base+"/sandbox?"+url.Values{"wa": {strings.TrimPrefix(link.Path, "/")}, "text": {text}}.Encode()),
		chromedp.WaitReady(chromedp.CSS(`#number option`)),
		chromedp.Poll[chromedp.Void](`document.getElementById("text").value.includes("[#P-")`),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(button("lang:en")),
		chromedp.Click(button("lang:en")),
		chromedp.WaitVisible(button("consent:agree")),
		chromedp.Click(button("consent:agree")),
		chromedp.WaitVisible(button("cart:add:")),
	)
	chat := tab.text("#log")
	if !strings.Contains(chat, "Classic Black Abaya") || !strings.Contains(chat, "M") {
		t.Fatalf("the chat does not show the product:\n%s", chat)
	}
	tab.shot(t.TempDir() + "/chat-to-order.png")
}
