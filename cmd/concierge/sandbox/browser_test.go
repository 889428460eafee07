package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's Chromium (deploy/test.sh installs it with
// NEED_CHROMIUM=1; by hand: apt-get install -y chromium).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium: apt-get install -y chromium")
	return ""
}

// stubBot answers customer messages through the emulator, as the product
// will: mark read, then reply with buttons, a list, an image, a CTA URL.
type stubBot struct {
	graph, token, images string
	errs                 chan error
}

func (b *stubBot) call(body any) {
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, b.graph, bytes.NewReader(j))
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.errs <- err
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		b.errs <- fmt.Errorf("bot send %s: %d %s", j, resp.StatusCode, buf.String())
	}
}

func (b *stubBot) react(d delivery) {
	var h hook
	if err := json.Unmarshal(d.body, &h); err != nil || !d.signed {
		b.errs <- fmt.Errorf("bad webhook (signed %v): %v", d.signed, err)
		return
	}
	v := h.Entry[0].Changes[0].Value
	for _, m := range v.Messages {
		b.call(map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": m.ID})
		to := m.From
		name := v.Contacts[0].Profile.Name
		switch {
		case m.Type == "text":
			b.call(map[string]any{"messaging_product": "whatsapp", "to": to, "type": "interactive", "interactive": map[string]any{
				"type": "button", "header": map[string]string{"type": "text", "text": "عطور أكمي"},
				"body":   map[string]string{"text": "أهلًا *" + name + "*! 👋\nكيف نخدمك اليوم؟"},
				"footer": map[string]string{"text": "اختر من الأزرار"},
				"action": map[string]any{"buttons": []map[string]any{
					{"type": "reply", "reply": map[string]string{"id": "menu:browse", "title": "تصفح المنتجات"}},
					{"type": "reply", "reply": map[string]string{"id": "menu:track", "title": "تتبع طلب"}},
					{"type": "reply", "reply": map[string]string{"id": "menu:en", "title": "English"}},
				}}}})
		case m.Interactive != nil && m.Interactive.ButtonReply != nil && m.Interactive.ButtonReply.ID == "menu:browse":
			b.call(map[string]any{"messaging_product": "whatsapp", "to": to, "type": "interactive", "interactive": map[string]any{
				"type": "list", "header": map[string]string{"type": "text", "text": "الأقسام"},
				"body": map[string]string{"text": "اختر القسم الذي يناسبك"},
				"action": map[string]any{"button": "عرض الأقسام", "sections": []map[string]any{
					{"title": "عطور", "rows": []map[string]string{
						{"id": "cat:oud", "title": "عود", "description": "عود كمبودي فاخر، ثبات يدوم طويلًا"},
						{"id": "cat:musk", "title": "مسك", "description": "مسك أبيض ناعم"},
					}},
					{"title": "بخور", "rows": []map[string]string{{"id": "cat:bakhoor", "title": "بخور", "description": "معمول ومبخرة"}}},
				}}}})
		case m.Interactive != nil && m.Interactive.ListReply != nil:
			b.call(map[string]any{"messaging_product": "whatsapp", "to": to, "type": "image",
				"image": map[string]string{"link": b.images, "caption": "عود كمبودي — *٣٥٠ ر.س*"}})
			b.call(map[string]any{"messaging_product": "whatsapp", "to": to, "type": "interactive", "interactive": map[string]any{
				"type": "cta_url", "body": map[string]string{"text": "أضفناه إلى سلتك.\nالإجمالي: *٣٥٠ ر.س*"},
				"action": map[string]any{"name": "cta_url", "parameters": map[string]string{"display_text": "ادفع الآن", "url": "https://pay.example.test/s/1"}}}})
		case m.Type == "location":
			b.call(map[string]any{"messaging_product": "whatsapp", "to": to, "text": map[string]string{"body": "وصلنا موقعك 📍 سنرسل طلبك إلى *الرياض*"}})
		}
	}
}

func productPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for y := range 200 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(90 + x/6), uint8(50 + y/5), 30, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func TestBrowserChat(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	f := newFixture(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.app.Listener(ln) }()
	t.Cleanup(func() { _ = f.app.Shutdown() })
	base := "http://" + ln.Addr().String()

	pic := productPNG()
	images := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pic)
	}))
	t.Cleanup(images.Close)
	bot := &stubBot{graph: base + sendPath, token: f.num.AccessToken, images: images.URL + "/oud.png", errs: make(chan error, 32)}
	f.hooks.mu.Lock()
	f.hooks.react = bot.react
	f.hooks.mu.Unlock()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 860),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	read := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	attr := func(sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
		if err != nil {
			t.Fatal(err)
		}
		return v.Value
	}
	shot := func(path string) {
		t.Helper()
		// The viewport: the page fills it, and a full-page capture of an RTL
		// document is shifted by Chromium.
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	step("open the page",
		chromedp.Navigate(base+"/sandbox"),
		chromedp.WaitReady(chromedp.CSS(`#number option[value="`+pnid+`"]`)),
	)
	customer := read(chromedp.Value(chromedp.CSS("#customer")))
	if dir, lang := attr("html", "dir"), attr("html", "lang"); dir != "rtl" || lang != "ar" || !strings.HasPrefix(customer, "+9665") || len(customer) != 13 {
		t.Fatalf("page starts dir=%q lang=%q customer=%q", dir, lang, customer)
	}
	wa := strings.TrimPrefix(customer, "+")
	step("greet",
		chromedp.SetValue(chromedp.CSS("#name"), "نورة"),
		chromedp.Focus(chromedp.CSS("#text")), // the name input's change event fires on blur
		chromedp.SendKeys(chromedp.CSS("#text"), "مرحبا"),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(chromedp.CSS(`.msg.out .action[data-reply-id="menu:browse"]`)),
	)
	if bold := read(chromedp.Text(chromedp.CSS(".msg.out .body strong"))); bold != "نورة" {
		t.Errorf("bold name %q", bold)
	}
	step("tap a button, open the list",
		chromedp.Click(chromedp.CSS(`.msg.out .action[data-reply-id="menu:browse"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg.out .list-open .action`)),
		chromedp.Click(chromedp.CSS(`.msg.out .list-open .action`)),
		chromedp.WaitVisible(chromedp.CSS(`#dlg .rowbtn[data-row-id="cat:oud"]`)),
	)
	shot("/tmp/sandbox-list.png")
	step("tap a row, send a location",
		chromedp.Click(chromedp.CSS(`#dlg .rowbtn[data-row-id="cat:oud"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg.out a.action[href="https://pay.example.test/s/1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg.out img[src$="/oud.png"]`)),
		chromedp.Click(chromedp.CSS("#q-location")),
		chromedp.WaitVisible(chromedp.CSS(`.msg.in[data-type="location"] .ticks.read`)),
	)
	wctx, wcancel := context.WithTimeout(context.Background(), wait)
	defer wcancel()
	sent, err := f.emu.Wait(wctx, pnid, wa, 5)
	if err != nil {
		t.Fatalf("bot messages: %v", err)
	}
	last := `.msg.out[data-id="` + sent[len(sent)-1].ID + `"]`
	step("the last reply", chromedp.WaitVisible(chromedp.CSS(last)))
	if text := read(chromedp.Text(chromedp.CSS(last + " .body"))); !strings.Contains(text, "وصلنا موقعك") {
		t.Errorf("last bot text %q", text)
	}
	if d := attr(last+" .body", "dir"); d != "auto" {
		t.Errorf("bubble dir %q", d)
	}
	shot("/tmp/sandbox.png")

	// Every customer tap reached the product signed and shaped as Meta's.
	types := map[string]string{}
	f.hooks.mu.Lock()
	got := append([]delivery(nil), f.hooks.got...)
	f.hooks.mu.Unlock()
	for _, d := range got {
		v := parseHook(t, d)
		for _, m := range v.Messages {
			kind := m.Type
			if m.Interactive != nil {
				kind = m.Interactive.Type
				if m.Context == nil {
					t.Errorf("%s without context", kind)
				}
			}
			types[kind] = m.ID
			if v.Contacts[0].Profile.Name != "نورة" || m.From != wa {
				t.Errorf("message from %q named %q", m.From, v.Contacts[0].Profile.Name)
			}
		}
	}
	for _, k := range []string{"text", "button_reply", "list_reply", "location"} {
		if types[k] == "" {
			t.Errorf("no %s webhook; got %v", k, types)
		}
	}

	// The English UI.
	step("switch to English",
		chromedp.Click(chromedp.CSS("#lang")),
		chromedp.WaitReady(chromedp.CSS(`html[dir="ltr"][lang="en"]`)),
	)
	if p := attr("#text", "placeholder"); p != "Type a message" {
		t.Errorf("English placeholder %q", p)
	}
	shot("/tmp/sandbox-en.png")

	for {
		select {
		case err := <-bot.errs:
			t.Error(err)
		default:
			return
		}
	}
}
