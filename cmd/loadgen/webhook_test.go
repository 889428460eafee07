package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// metaPayload mirrors the Cloud API webhook fields the scenario sends; tests
// decode strictly into it, so an unexpected field fails too.
type metaPayload struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				MessagingProduct string `json:"messaging_product"`
				Metadata         struct {
					DisplayPhoneNumber string `json:"display_phone_number"`
					PhoneNumberID      string `json:"phone_number_id"`
				} `json:"metadata"`
				Contacts []struct {
					Profile struct {
						Name string `json:"name"`
					} `json:"profile"`
					WaID string `json:"wa_id"`
				} `json:"contacts"`
				Messages []struct {
					From      string `json:"from"`
					ID        string `json:"id"`
					Timestamp string `json:"timestamp"`
					Type      string `json:"type"`
					Text      struct {
						Body string `json:"body"`
					} `json:"text"`
				} `json:"messages"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

func decodeMeta(t *testing.T, body []byte) metaPayload {
	t.Helper()
	var p metaPayload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("payload %s: %v", body, err)
	}
	if dec.More() {
		t.Fatalf("payload %s: trailing data", body)
	}
	if len(p.Entry) != 1 || len(p.Entry[0].Changes) != 1 ||
		len(p.Entry[0].Changes[0].Value.Contacts) != 1 || len(p.Entry[0].Changes[0].Value.Messages) != 1 {
		t.Fatalf("payload %s: want one entry, change, contact and message", body)
	}
	return p
}

// messageID is the id of the payload's one message.
func messageID(t *testing.T, body []byte) string {
	return decodeMeta(t, body).Entry[0].Changes[0].Value.Messages[0].ID
}

func testOptions() webhookOptions {
	return webhookOptions{secret: "sandbox-app-secret", pnid: "100000000000001", customers: 500, token: "0badcafe"}
}

func testGen(t *testing.T, o webhookOptions) *webhookGen {
	t.Helper()
	g, err := newWebhookGen(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestWebhookPayloadShape(t *testing.T) {
	g := testGen(t, testOptions())
	at := time.Unix(1767225600, 0)
	g.now = func() time.Time { return at }
	for text := range webhookTexts {
		g.pick = func(int) int { return text }
		n, body := g.next()
		if n != uint64(text+1) {
			t.Fatalf("request number %d, want %d", n, text+1)
		}
		p := decodeMeta(t, body)
		e := p.Entry[0]
		ch := e.Changes[0]
		v := ch.Value
		c, m := v.Contacts[0], v.Messages[0]
		wa := "96659" + strings.Repeat("0", 8-len(strconv.Itoa(text+1))) + strconv.Itoa(text+1)
		for _, f := range []struct{ name, got, want string }{
			{"object", p.Object, "whatsapp_business_account"},
			{"entry.id", e.ID, "100000000000000"},
			{"field", ch.Field, "messages"},
			{"messaging_product", v.MessagingProduct, "whatsapp"},
			{"display_phone_number", v.Metadata.DisplayPhoneNumber, "966500000000"},
			{"phone_number_id", v.Metadata.PhoneNumberID, "100000000000001"},
			{"profile.name", c.Profile.Name, "Bench " + strconv.Itoa(text+1)},
			{"contact wa_id", c.WaID, wa},
			{"from", m.From, wa},
			{"id", m.ID, "wamid.bench.0badcafe." + strconv.Itoa(text+1)},
			{"timestamp", m.Timestamp, "1767225600"},
			{"type", m.Type, "text"},
			{"text.body", m.Text.Body, webhookTexts[text]},
		} {
			if f.got != f.want {
				t.Errorf("request %d: %s = %q, want %q", n, f.name, f.got, f.want)
			}
		}
		if len(wa) != 13 {
			t.Errorf("wa_id %q: want 96659 and 8 digits", wa)
		}
	}
}

func TestWebhookTextsBilingual(t *testing.T) {
	var ar, en int
	for _, s := range webhookTexts {
		if strings.ContainsFunc(s, func(r rune) bool { return r >= 0x0600 && r <= 0x06FF }) {
			ar++
		} else {
			en++
		}
	}
	if ar == 0 || en == 0 {
		t.Fatalf("texts: %d Arabic, %d English; want both", ar, en)
	}
}

func TestWebhookSignatureVerifies(t *testing.T) {
	o := testOptions()
	s := Scenario{Name: webhookScenario, Method: http.MethodPost, Path: webhookPath, request: testGen(t, o).fill}
	tr := s.targeter("http://127.0.0.1:1/", "demo.localhost")
	for range 20 {
		var tgt vegeta.Target
		if err := tr(&tgt); err != nil {
			t.Fatal(err)
		}
		if tgt.Method != http.MethodPost || tgt.URL != "http://127.0.0.1:1/webhook/whatsapp" {
			t.Fatalf("target %s %s", tgt.Method, tgt.URL)
		}
		if ct := tgt.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		if h := tgt.Header.Get("Host"); h != "" {
			t.Fatalf("Host header %q: the webhook is not tenant-scoped", h)
		}
		sig := tgt.Header.Get("X-Hub-Signature-256")
		hexSig, ok := strings.CutPrefix(sig, "sha256=")
		if !ok {
			t.Fatalf("signature %q lacks sha256=", sig)
		}
		got, err := hex.DecodeString(hexSig)
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, []byte(o.secret))
		mac.Write(tgt.Body)
		if !hmac.Equal(got, mac.Sum(nil)) {
			t.Fatalf("signature %s does not verify body %s", sig, tgt.Body)
		}
		wrong := hmac.New(sha256.New, []byte("another-secret"))
		wrong.Write(tgt.Body)
		if hmac.Equal(got, wrong.Sum(nil)) {
			t.Fatal("signature verifies under another secret")
		}
	}
}

func TestWebhookIDsUniqueConcurrently(t *testing.T) {
	const goroutines, each = 8, 500
	s := Scenario{Name: webhookScenario, Method: http.MethodPost, Path: webhookPath, request: testGen(t, testOptions()).fill}
	tr := s.targeter("http://x", "")
	bodies := make([][][]byte, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			for range each {
				var tgt vegeta.Target
				if err := tr(&tgt); err != nil {
					t.Error(err)
					return
				}
				bodies[i] = append(bodies[i], tgt.Body)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, bs := range bodies {
		for _, b := range bs {
			id := messageID(t, b)
			if seen[id] {
				t.Fatalf("id %s sent twice", id)
			}
			seen[id] = true
		}
	}
	// The ids are exactly 1..N: no gaps, so the count in the database can be
	// compared with what loadgen sent.
	for n := 1; n <= goroutines*each; n++ {
		if !seen["wamid.bench.0badcafe."+strconv.Itoa(n)] {
			t.Fatalf("id number %d missing", n)
		}
	}
}

func TestWebhookCustomersRoundRobin(t *testing.T) {
	o := testOptions()
	o.customers = 3
	g := testGen(t, o)
	var got []string
	for range 7 {
		_, body := g.next()
		got = append(got, decodeMeta(t, body).Entry[0].Changes[0].Value.Messages[0].From)
	}
	want := []string{"9665900000001", "9665900000002", "9665900000003", "9665900000001", "9665900000002", "9665900000003", "9665900000001"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("customers %v, want %v", got, want)
	}

	// Concurrently, every customer still gets the same share.
	o.customers = 7
	g = testGen(t, o)
	const goroutines, each = 7, 100
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				_, body := g.next()
				var p metaPayload
				if err := json.Unmarshal(body, &p); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				count[p.Entry[0].Changes[0].Value.Contacts[0].WaID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(count) != o.customers {
		t.Fatalf("%d customers used, want %d: %v", len(count), o.customers, count)
	}
	for wa, c := range count {
		if c != goroutines*each/o.customers {
			t.Errorf("customer %s sent %d messages, want %d", wa, c, goroutines*each/o.customers)
		}
	}

	o.customers = maxWebhookCustomers
	g = testGen(t, o)
	if wa := decodeMeta(t, g.payload(maxWebhookCustomers, time.Now(), 0)).Entry[0].Changes[0].Value.Contacts[0].WaID; wa != "9665999999999" {
		t.Errorf("last customer wa_id %q", wa)
	}
}

func TestWebhookFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-scenarios", "webhook"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.webhook
	if o.secret != "sandbox-app-secret" || o.pnid != "100000000000001" || o.customers != 500 || !tokenRE.MatchString(o.token) || len(o.token) != 8 {
		t.Fatalf("webhook defaults %+v", o)
	}
	if len(cfg.scenarios) != 1 || cfg.scenarios[0].request == nil || !cfg.selected(webhookScenario) || cfg.selected("store") {
		t.Fatalf("scenarios %+v", cfg.scenarios)
	}
	again, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if again.webhook.token == o.token {
		t.Errorf("two runs share the token %s", o.token)
	}
	for _, s := range again.scenarios {
		if s.request != nil {
			t.Errorf("static scenario %s got a dynamic request", s.Name)
		}
	}

	cfg, err = parseFlags([]string{"-scenarios", "webhook", "-webhook-token", "deadbeef", "-webhook-customers", "3", "-webhook-pnid", "42", "-webhook-secret", "s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.webhook != (webhookOptions{secret: "s", pnid: "42", customers: 3, token: "deadbeef"}) {
		t.Fatalf("webhook flags %+v", cfg.webhook)
	}

	for _, bad := range [][]string{
		{"-webhook-token", "DEADBEEF"},
		{"-webhook-token", "abc"},
		{"-webhook-token", "dead%"},
		{"-webhook-customers", "0"},
		{"-webhook-customers", "100000000"},
		{"-webhook-pnid", ""},
		{"-webhook-pnid", `1"2`},
		{"-webhook-secret", ""},
	} {
		if _, err := parseFlags(append([]string{"-scenarios", "webhook"}, bad...), io.Discard); err == nil {
			t.Errorf("parseFlags(%q): want error", bad)
		}
	}
}

// TestRunWebhookCountsAccepted runs loadgen against a fake webhook that
// verifies signatures and keeps ids, refusing every fifth request, and checks
// that webhook_accepted is exactly what it stored, probe and warm-up included.
func TestRunWebhookCountsAccepted(t *testing.T) {
	var mu sync.Mutex
	stored := map[string]int{}
	var refused, calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte("sandbox-app-secret"))
		mac.Write(body)
		if r.Method != http.MethodPost || r.URL.Path != "/webhook/whatsapp" ||
			r.Header.Get("X-Hub-Signature-256") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "bad request", http.StatusUnauthorized)
			return
		}
		var p metaPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls%5 == 0 {
			refused++
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		stored[p.Entry[0].Changes[0].Value.Messages[0].ID]++
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"duplicates":0,"statuses":0,"stored":1,"unrouted":0}`)
	}))
	defer srv.Close()

	path := filepath.Join(t.TempDir(), "r.json")
	var out bytes.Buffer
	code := run(t.Context(), []string{"-target", srv.URL, "-scenarios", "webhook", "-rates", "100", "-duration", "200ms",
		"-warmup", "100ms", "-sat-workers", "0", "-baseline=false", "-json", path, "-webhook-token", "feedf00d"}, &out, io.Discard)
	if code != exitFailed { // every fifth refused: below 99% success
		t.Fatalf("exit %d, want %d; output:\n%s", code, exitFailed, out.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if rep.WebhookReport == nil {
		t.Fatalf("no webhook totals in %s", b)
	}
	w := *rep.WebhookReport
	if w.Token != "feedf00d" || w.Accepted != uint64(len(stored)) || w.Sent != uint64(calls) || w.Unanswered != 0 || refused == 0 {
		t.Fatalf("report %+v; server stored %d of %d calls (%d refused)", w, len(stored), calls, refused)
	}
	for id, n := range stored {
		if n != 1 || !strings.HasPrefix(id, "wamid.bench.feedf00d.") {
			t.Fatalf("id %s stored %d times", id, n)
		}
	}
	// probe + warm-up (~10) + step (~20)
	if w.Sent < 20 {
		t.Errorf("only %d requests sent", w.Sent)
	}
	if !strings.Contains(out.String(), "webhook run token: feedf00d") ||
		!strings.Contains(out.String(), "webhook: token feedf00d, sent "+strconv.FormatUint(w.Sent, 10)+", accepted "+strconv.FormatUint(w.Accepted, 10)+", unanswered 0\n") {
		t.Errorf("output lacks the token lines:\n%s", out.String())
	}
	for _, key := range []string{`"webhook_token"`, `"webhook_accepted"`, `"webhook_sent"`, `"webhook_unanswered"`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("results lack %s", key)
		}
	}
}

func TestReportWithoutWebhook(t *testing.T) {
	b, err := json.Marshal(&Report{Target: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("webhook")) {
		t.Fatalf("report without the webhook scenario mentions it: %s", b)
	}
}
