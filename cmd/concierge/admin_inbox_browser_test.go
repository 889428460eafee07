package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concierge/cmd/concierge/sandbox"
)

// TestAdminInboxLive is the inbox as staff use it, in Chromium: a customer
// of the demo store asks for a person in the WhatsApp sandbox; the owner
// opens the inbox, then the conversation; the customer writes again and the
// message appears in the open page within two seconds, without a reload;
// the owner's reply, sent from the page, reaches the customer's chat. The
// inbox and the conversation are checked in Arabic and English (lang, dir,
// no sideways scrolling, screenshots, axe-core WCAG A and AA).
func TestAdminInboxLive(t *testing.T) {
	t.Parallel()
	axe := axeCore(t)
	ta, store := demoStoreApp(t)
	dir := adminShots(t)

	// The customer, in the sandbox: greeting, language, consent, then "a
	// person, please".
	phone := waPhone()
	sent := 0
	say := func(m sandbox.CustomerMessage, replies int) {
		t.Helper()
		m.PhoneNumberID, m.From, m.Name = demoPhoneNumberID, phone, "Noura"
		if res, err := ta.app.sandbox.SendAsCustomer(context.Background(), m); err != nil || res.WebhookStatus != 200 {
			t.Fatalf("the customer sends %+v: %v (%d)", m, err, res.WebhookStatus)
		}
		sent += replies
		demoChat(t, ta, phone, sent)
	}
	say(sandbox.CustomerMessage{Text: "مرحبا"}, 1)
	say(waButton("lang:ar", "العربية"), 1)
	say(waButton("consent:agree", "موافق"), 1)
	say(sandbox.CustomerMessage{Text: "موظف"}, 1)

	tab := newBrowser(t, 4*time.Minute, chromedp.Flag("host-resolver-rules", "MAP *.localhost 127.0.0.1"))
	s := &webShopper{b: tab.on(t), t: t, store: store, lang: "ar", dir: "rtl", currency: "ر.س", axe: axe, shots: dir}
	s.open("/admin/login?lang=ar", http.StatusOK)
	s.b.run("sign in as the owner",
		chromedp.SendKeys(chromedp.CSS("#email"), demoOwnerEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword))
	s.submit(`form[action="/admin/login"] button[type=submit]`, http.StatusOK)
	s.submit(`nav.side a[href="/admin/inbox"]`, http.StatusOK)
	s.at("/admin/inbox")
	s.check("inbox", "")
	if got := s.b.text("#queues"); !strings.Contains(got, "Noura") {
		t.Fatalf("the waiting queue reads %q", got)
	}
	s.submit(`#queues a[data-conversation]`, http.StatusOK)
	conv := evalIn[string](s.b, "the open conversation", `location.pathname.split("/").pop()`)
	s.at("/admin/inbox/" + conv)
	// Connected: the stream's first events have refreshed the thread.
	s.b.run("the page goes live", chromedp.WaitReady(chromedp.CSS(`#thread ol[data-source="live"]`)))
	s.check("conversation", "")

	// The customer writes; the open page shows it within 2 s, not reloaded.
	s.b.run("mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	text := "هل يمكن تغيير عنوان التوصيل؟"
	start := time.Now()
	say(sandbox.CustomerMessage{Text: text}, 0)
	s.b.run("the message appears within 2 s",
		chromedp.Poll[chromedp.Void](`document.querySelector("#thread").innerText.includes(`+jsString(text)+`)`,
			chromedp.WithPollingTimeout(2*time.Second)))
	t.Logf("the customer's message appeared in the inbox after %v", time.Since(start).Round(time.Millisecond))
	if !evalIn[bool](s.b, "still the same page", `window.notReloaded === true`) {
		t.Fatal("the page was reloaded")
	}

	// The owner answers from the page; the customer's chat receives it.
	reply := "أهلًا نورة، نعم يمكن ذلك. ما العنوان الجديد؟"
	s.b.run("reply",
		chromedp.SendKeys(chromedp.CSS("#reply-text"), reply),
		chromedp.Click(chromedp.CSS(`form[action$="/reply"] button[type=submit]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("#thread").innerText.includes(`+jsString(reply)+`) && `+
			`document.querySelector("#reply-text").value === ""`))
	sent++
	if got := demoChat(t, ta, phone, sent); got[sent-1].Text() != reply {
		t.Fatalf("the customer received %q, want the owner's reply", got[sent-1].Text())
	}
	if !evalIn[bool](s.b, "still the same page", `window.notReloaded === true`) {
		t.Fatal("sending reloaded the page")
	}
	s.check("conversation-replied", "")

	// English: the same pages.
	s.submit(`form[action="/admin/lang"] button[type=submit]`, http.StatusOK)
	s.lang, s.dir, s.currency = "en", "ltr", "SAR"
	s.at("/admin/inbox/" + conv)
	s.check("conversation", "")
	if got := s.b.text("#handoff"); got != "With staff" {
		t.Fatalf("the conversation's state reads %q", got)
	}
	s.open("/admin/inbox", http.StatusOK)
	s.check("inbox", "")
}

// demoChat waits until the demo customer's chat in the sandbox has total messages
// from the store and returns them.
func demoChat(t *testing.T, ta *testApp, phone string, total int) []sandbox.Recorded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := ta.app.sandbox.Wait(ctx, demoPhoneNumberID, phone, total)
	if err != nil {
		t.Fatalf("%v; received: %s", err, waTexts(got))
	}
	return got
}
