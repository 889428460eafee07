package main

// End-to-end tests of the WhatsApp channel: webhook verification and
// signatures, every inbound message type, batches, redelivery, unrouted
// numbers, delivery statuses, ordering, the 24-hour rule, send retries,
// hand-off and consent. Each test boots the real product in dev mode (worker
// in-process, the Cloud API emulator at ta.app.sandbox) and every subtest
// onboards its own tenant and WhatsApp number with its own app secret. The
// channel's own tests, step by step without a running worker, are beside
// its code (modules/whatsapp/*_test.go).
//
// Synchronisation never sleeps: the emulator's Wait signals bot messages;
// where nothing signals (a message that must NOT be answered, a failure that
// records nothing in the emulator) the tests poll the database, bounded by a
// deadline (waNumber.settle, waPoll).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/modules/whatsapp/dialog"
	"concierge/tenants"
)

// ---- fixtures ----

// waSeq makes phone number ids, display numbers and customer numbers unique
// across the package's tests.
var waSeq atomic.Int64

// withT returns a copy of the app whose helpers (do, tenant, user) report to
// t: a parallel subtest must never FailNow its parent.
func (ta *testApp) withT(t *testing.T) *testApp {
	c := *ta
	c.t = t
	return &c
}

// waStartApp boots the product (dev mode: worker in-process). When the
// test ends, before the app shuts down, the process's idle HTTP client
// connections (test, emulator and Cloud API client all use
// http.DefaultTransport) are closed: a connection dialed but never used
// otherwise keeps the server's graceful shutdown waiting for READ_TIMEOUT.
func waStartApp(t *testing.T, m mode, overrides map[string]string) *testApp {
	t.Helper()
	ta := startApp(t, m, overrides)
	t.Cleanup(func() { http.DefaultTransport.(*http.Transport).CloseIdleConnections() })
	return ta
}

// waNumber is a tenant with one WhatsApp business number of its own.
type waNumber struct {
	ta      *testApp
	tenant  *tenants.Tenant
	slug    string
	host    string
	pnid    string
	display string // E.164
	secret  string // the number's Meta app secret
}

// waTenant onboards tenant slug (with host slug.example.sa) and gives it a
// WhatsApp number through the platform service.
func waTenant(t *testing.T, ta *testApp, slug string) *waNumber {
	t.Helper()
	return waAddNumber(t, ta, ta.withT(t).tenant(slug))
}

// waAddNumber attaches a new WhatsApp number, with its own app secret and
// access token, to tenant tn.
func waAddNumber(t *testing.T, ta *testApp, tn *tenants.Tenant) *waNumber {
	t.Helper()
	n := waSeq.Add(1)
	w := &waNumber{ta: ta.withT(t), tenant: tn, slug: tn.Slug, host: tn.Slug + ".example.sa",
		pnid: fmt.Sprintf("1%011d", 70000000000+n), display: fmt.Sprintf("+96611%07d", n),
		secret: "app-secret-" + tn.Slug + "-" + strconv.FormatInt(n, 10)}
	_, err := ta.app.deps.tenants.AddNumber(context.Background(), "test", tn.Slug, tenants.NumberInput{
		PhoneNumberID: w.pnid, DisplayPhone: w.display, WABAID: "9" + w.pnid, AccessToken: "token-" + w.pnid, AppSecret: w.secret})
	if err != nil {
		t.Fatalf("add number: %v", err)
	}
	return w
}

// waPhone returns a new customer's WhatsApp id (E.164 digits).
func waPhone() string { return fmt.Sprintf("9665%08d", 10000000+waSeq.Add(1)) }

// waWamid returns a message id shaped like Meta's.
func waWamid() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return "wamid.HBgM" + strings.ToUpper(hex.EncodeToString(b))
}

// ---- Meta payloads ----

// waMsg is one inbound message object as Meta writes it: from, id, timestamp
// (a string of Unix seconds), type and the per-type object under the type's
// name. extra adds or replaces keys (context, errors).
func waMsg(from string, at time.Time, typ string, obj any, extra ...map[string]any) map[string]any {
	m := map[string]any{"from": from, "id": waWamid(), "timestamp": strconv.FormatInt(at.Unix(), 10), "type": typ}
	if obj != nil {
		m[typ] = obj
	}
	for _, e := range extra {
		for k, v := range e {
			m[k] = v
		}
	}
	return m
}

func waID(m map[string]any) string { return m["id"].(string) }

// waText is a text message sent now.
func waText(from, body string) map[string]any {
	return waMsg(from, time.Now(), "text", map[string]any{"body": body})
}

// envelope wraps a change value for this number in Meta's webhook body.
func (n *waNumber) envelope(value map[string]any) []byte { return waBody(n.withMetadata(value)) }

// waBody wraps change values (one entry per value) in Meta's webhook body.
func waBody(values ...map[string]any) []byte {
	var entries []any
	for _, v := range values {
		md, _ := v["metadata"].(map[string]any)
		entries = append(entries, map[string]any{"id": "2" + fmt.Sprint(md["phone_number_id"]),
			"changes": []any{map[string]any{"value": v, "field": "messages"}}})
	}
	b, err := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": entries})
	if err != nil {
		panic(err)
	}
	return b
}

// messages is the webhook body of msgs, with a contact (profile name) for
// every sender; names overrides the default profile name per WhatsApp id.
func (n *waNumber) messages(names map[string]string, msgs ...map[string]any) []byte {
	return n.envelope(n.messagesValue(names, msgs...))
}

func (n *waNumber) messagesValue(names map[string]string, msgs ...map[string]any) map[string]any {
	var contacts []any
	seen := map[string]bool{}
	for _, m := range msgs {
		from := m["from"].(string)
		if seen[from] {
			continue
		}
		seen[from] = true
		name := names[from]
		if name == "" {
			name = "عميل " + from[len(from)-4:]
		}
		contacts = append(contacts, map[string]any{"profile": map[string]any{"name": name}, "wa_id": from})
	}
	return map[string]any{"contacts": contacts, "messages": msgs}
}

// status is a delivery status webhook body for a bot message.
func (n *waNumber) status(wamid, to, status string, at time.Time, errCode int) []byte {
	st := map[string]any{"id": wamid, "status": status, "timestamp": strconv.FormatInt(at.Unix(), 10), "recipient_id": to}
	if status == "failed" {
		st["errors"] = []any{map[string]any{"code": errCode, "title": "Message undeliverable", "message": "Message undeliverable",
			"error_data": map[string]any{"details": "Message Undeliverable."},
			"href":       "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}}
	} else {
		st["conversation"] = map[string]any{"id": "c0ffee" + to, "origin": map[string]any{"type": "service"}}
		st["pricing"] = map[string]any{"billable": false, "pricing_model": "PMP", "category": "service"}
	}
	return n.envelope(map[string]any{"statuses": []any{st}})
}

// post delivers a webhook body with the given X-Hub-Signature-256 ("" sends
// none).
func (n *waNumber) post(body []byte, signature string) response {
	n.ta.t.Helper()
	h := map[string]string{"User-Agent": "facebookexternalua"}
	if signature != "" {
		h["X-Hub-Signature-256"] = signature
	}
	return n.ta.do(request{method: "POST", path: "/webhook/whatsapp", body: string(body), headers: h})
}

// deliver posts body signed with the number's app secret and expects 200.
func (n *waNumber) deliver(body []byte) response {
	n.ta.t.Helper()
	r := n.post(body, cloudapi.Sign(body, n.secret))
	if r.status != 200 {
		n.ta.t.Fatalf("webhook: %d %s", r.status, r.body)
	}
	return r
}

func waCount(r response, key string) int {
	f, _ := r.json[key].(float64)
	return int(f)
}

// ---- the customer side (emulator) ----

// say sends m as customer phone through the emulator (a signed webhook, as
// Meta would post it) and expects the product to answer 200.
func (n *waNumber) say(phone string, m sandbox.CustomerMessage) sandbox.CustomerResult {
	n.ta.t.Helper()
	m.PhoneNumberID, m.From = n.pnid, phone
	res, err := n.ta.app.sandbox.SendAsCustomer(context.Background(), m)
	if err != nil || res.WebhookStatus != 200 {
		n.ta.t.Fatalf("customer %s sends %+v: %v (webhook %d %s)", phone, m, err, res.WebhookStatus, res.WebhookAnswer)
	}
	return res
}

func waButton(id, title string) sandbox.CustomerMessage {
	return sandbox.CustomerMessage{ButtonReply: &sandbox.ReplyChoice{ID: id, Title: title}}
}

// waitBot waits until phone has received at least total bot messages.
func (n *waNumber) waitBot(phone string, total int, timeout time.Duration) []sandbox.Recorded {
	n.ta.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got, err := n.ta.app.sandbox.Wait(ctx, n.pnid, phone, total)
	if err != nil {
		n.ta.t.Fatalf("%v; received: %s", err, waTexts(got))
	}
	return got
}

// onboard takes a new customer through the language choice and consent
// (Arabic or English) and returns after the welcome menu (3 bot messages).
func (n *waNumber) onboard(phone, locale, name string) {
	n.ta.t.Helper()
	greeting, lang := "مرحبا", waButton("lang:ar", "العربية")
	agree := waButton("consent:agree", "موافق")
	if locale == "en" {
		greeting, lang, agree = "hello", waButton("lang:en", "English"), waButton("consent:agree", "I agree")
	}
	n.say(phone, sandbox.CustomerMessage{Text: greeting, Name: name})
	n.waitBot(phone, 1, 15*time.Second)
	lang.Name, agree.Name = name, name
	n.say(phone, lang)
	n.waitBot(phone, 2, 15*time.Second)
	n.say(phone, agree)
	got := n.waitBot(phone, 3, 15*time.Second)
	if want := n.text("welcome", locale); got[2].Text() != want {
		n.ta.t.Fatalf("onboarding ended with %q, want the welcome %q", got[2].Text(), want)
	}
}

// text is the default bot text key in locale, filled in for this tenant:
// its store name and privacy notice (the platform's default notice at
// PUBLIC_BASE_URL/privacy?store=<slug>, version 1, unless it has its own).
func (n *waNumber) text(key, locale string) string {
	s := dialog.DefaultTexts()[key][locale]
	store := n.tenant.NameAR
	if locale == "en" {
		store = n.tenant.NameEN
	}
	privacy, version := n.tenant.PrivacyURL, n.tenant.PrivacyVersion
	if privacy == "" {
		privacy = n.ta.app.deps.cfg.PublicBaseURL + "/privacy?store=" + n.slug
	}
	if version == "" {
		version = "1"
	}
	return strings.NewReplacer("{store}", store, "{privacy_url}", privacy, "{notice_version}", version).Replace(s)
}

func waTexts(rs []sandbox.Recorded) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "\n  [%s] %q", r.Type, r.Text())
	}
	return b.String()
}

// ---- the database, through the tenant's scoped transaction ----

func (n *waNumber) inTx(fn func(ctx context.Context, tx bun.Tx) error) {
	n.ta.t.Helper()
	ctx := tenants.WithTenant(context.Background(), n.tenant)
	if err := n.ta.app.deps.scope.InTenantTx(ctx, fn); err != nil {
		n.ta.t.Fatalf("tenant transaction: %v", err)
	}
}

// waRow is a stored message.
type waRow struct {
	Direction, Kind, Status, WAMessageID, Body, Author, ErrorDetail string
	ErrorCode                                                       sql.NullInt64
}

// rows returns the messages of phone's conversation with this tenant, in the
// order they were stored.
func (n *waNumber) rows(phone string) []waRow {
	n.ta.t.Helper()
	var out []waRow
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		rs, err := tx.QueryContext(ctx, `
SELECT m.direction, m.kind, m.status, COALESCE(m.wa_message_id, ''), m.body, m.author, m.error_detail, m.error_code
FROM messages m
JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
JOIN customers cu ON cu.tenant_id = c.tenant_id AND cu.id = c.customer_id
WHERE cu.wa_id = ?
ORDER BY m.created_at, m.id`, phone)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r waRow
			if err := rs.Scan(&r.Direction, &r.Kind, &r.Status, &r.WAMessageID, &r.Body, &r.Author, &r.ErrorDetail, &r.ErrorCode); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rs.Err()
	})
	return out
}

func waInbound(rows []waRow) []waRow {
	var out []waRow
	for _, r := range rows {
		if r.Direction == "in" {
			out = append(out, r)
		}
	}
	return out
}

// storedCount counts this tenant's messages with a WhatsApp id, and its
// customers with a WhatsApp id.
func (n *waNumber) storedCount(wamid, phone string) (messages, customers int) {
	n.ta.t.Helper()
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM messages WHERE wa_message_id = ?), (SELECT count(*) FROM customers WHERE wa_id = ?)`,
			wamid, phone).Scan(&messages, &customers)
	})
	return messages, customers
}

// convID returns the id of phone's conversation with this tenant.
func (n *waNumber) convID(phone string) string {
	n.ta.t.Helper()
	var id string
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT c.id::text FROM conversations c JOIN customers cu ON cu.tenant_id = c.tenant_id AND cu.id = c.customer_id WHERE cu.wa_id = ?`, phone).Scan(&id)
	})
	return id
}

// busy reports what phone's conversation still has in flight: inbound
// messages not yet processed, outbound messages not yet sent (queued, or
// sending: claimed by an attempt), and
// processing or send jobs not yet finished.
func (n *waNumber) busy(phone string) (received, queued, jobs int) {
	n.ta.t.Helper()
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `
WITH conv AS (
  SELECT c.id FROM conversations c JOIN customers cu ON cu.tenant_id = c.tenant_id AND cu.id = c.customer_id WHERE cu.wa_id = ?
)
SELECT
  (SELECT count(*) FROM messages WHERE conversation_id IN (SELECT id FROM conv) AND direction = 'in' AND status = 'received'),
  (SELECT count(*) FROM messages WHERE conversation_id IN (SELECT id FROM conv) AND direction = 'out' AND status IN ('queued', 'sending')),
  (SELECT count(*) FROM river_job j
     WHERE j.state NOT IN ('completed', 'cancelled', 'discarded') AND j.args->>'tenant_id' = ?
       AND ((j.kind = 'conversation.process' AND j.args->>'conversation_id' IN (SELECT id::text FROM conv))
         OR (j.kind = 'conversation.send' AND j.args->>'message_id' IN
              (SELECT id::text FROM messages WHERE conversation_id IN (SELECT id FROM conv)))))`,
			phone, n.tenant.ID.String()).Scan(&received, &queued, &jobs)
	})
	return received, queued, jobs
}

// waPoll calls cond until it holds or the deadline passes (then fails with
// what). It is for conditions nothing signals.
func waPoll(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(15 * time.Millisecond) // polling interval, not synchronisation
	}
}

// settle waits until phone's conversation has nothing in flight: every
// inbound message handled, every reply sent (so recorded by the emulator) and
// every job finished. After it, no further bot message can arrive unless the
// customer writes again.
func (n *waNumber) settle(phone string, timeout time.Duration) {
	n.ta.t.Helper()
	var r, q, j int
	waPoll(n.ta.t, timeout, "conversation still busy", func() bool {
		r, q, j = n.busy(phone)
		return r == 0 && q == 0 && j == 0
	})
}

// flush waits for the emulator's status webhooks to be posted.
func (n *waNumber) flush() {
	n.ta.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.ta.app.sandbox.Flush(ctx); err != nil {
		n.ta.t.Fatal(err)
	}
}

// ---- the staff API ----

type waAPIMessage struct {
	ID          string `json:"id"`
	Direction   string `json:"direction"`
	Kind        string `json:"kind"`
	Body        string `json:"body"`
	Author      string `json:"author"`
	Status      string `json:"status"`
	WAMessageID string `json:"wa_message_id"`
	ErrorCode   *int   `json:"error_code"`
	ErrorDetail string `json:"error_detail"`
}

type waAPIConversation struct {
	ID          string `json:"id"`
	WAID        string `json:"wa_id"`
	ProfileName string `json:"profile_name"`
	Locale      string `json:"locale"`
	Consent     string `json:"consent"`
	Handoff     string `json:"handoff"`
	WindowOpen  bool   `json:"window_open"`
}

func waItems[T any](t testing.TB, r response) []T {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	var out struct {
		Items []T `json:"items"`
	}
	if err := json.Unmarshal(r.raw, &out); err != nil {
		t.Fatalf("list: %v in %s", err, r.body)
	}
	return out.Items
}

// apiMessages lists a conversation's messages through the staff API.
func (n *waNumber) apiMessages(token, convID string) []waAPIMessage {
	n.ta.t.Helper()
	return waItems[waAPIMessage](n.ta.t, n.ta.do(request{method: "GET", path: "/api/v1/conversations/" + convID + "/messages", host: n.host, token: token}))
}

func (n *waNumber) apiOutbound(token, convID, wamid string) waAPIMessage {
	n.ta.t.Helper()
	for _, m := range n.apiMessages(token, convID) {
		if m.Direction == "out" && m.WAMessageID == wamid {
			return m
		}
	}
	n.ta.t.Fatalf("no outbound message %s in the staff API", wamid)
	return waAPIMessage{}
}

// ---- tests ----

// TestWebhookVerification: Meta's subscription check (serve mode: no worker
// or tenant needed).
func TestWebhookVerification(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeServe, nil)
	cases := []struct {
		name, query string
		status      int
	}{
		{"good token", "hub.mode=subscribe&hub.verify_token=concierge-dev-verify&hub.challenge=1158201444", 200},
		{"bad token", "hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444", 403},
		{"no token", "hub.mode=subscribe&hub.challenge=1158201444", 403},
		{"wrong mode", "hub.mode=unsubscribe&hub.verify_token=concierge-dev-verify&hub.challenge=1158201444", 403},
		{"no mode", "hub.verify_token=concierge-dev-verify&hub.challenge=1158201444", 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := ta.withT(t).do(request{method: "GET", path: "/webhook/whatsapp?" + tc.query})
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status != 200 {
				if strings.Contains(r.body, "1158201444") {
					t.Fatalf("refusal echoes the challenge: %s", r.body)
				}
				return
			}
			if r.body != "1158201444" {
				t.Fatalf("body %q, want the bare challenge", r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Fatalf("content type %q, want text/plain; charset=utf-8", ct)
			}
		})
	}
}

// waSubtest is a named subtest for waConcurrently.
type waSubtest struct {
	name string
	fn   func(t *testing.T)
}

// waConcurrently runs the subtests all at once, each through t.Run from its
// own goroutine (which testing allows). These scenarios spend their time
// waiting for the worker (River polls for new jobs once a second), not on
// the CPU; as t.Parallel subtests they would queue behind one another, since
// go test runs at most GOMAXPROCS (2 here) parallel tests at a time.
func waConcurrently(t *testing.T, tests ...waSubtest) {
	t.Helper()
	var wg sync.WaitGroup
	for _, st := range tests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(st.name, st.fn)
		}()
	}
	wg.Wait()
}

// TestWhatsAppWebhook runs the inbound, outbound and status scenarios on one
// app; each subtest has its own tenant, number and customers.
func TestWhatsAppWebhook(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	on := func(f func(*testing.T, *testApp)) func(*testing.T) { return func(t *testing.T) { f(t, ta) } }
	waConcurrently(t,
		waSubtest{"Signatures", on(testWebhookSignatures)},
		waSubtest{"MessageKinds", on(testWhatsAppMessageKinds)},
		waSubtest{"UnknownInEnglish", on(testWhatsAppUnknownInEnglish)},
		waSubtest{"Batch", on(testWhatsAppBatch)},
		waSubtest{"Redelivery", on(testWhatsAppRedelivery)},
		waSubtest{"UnknownNumberWithoutPlatformSecret", on(testWhatsAppUnknownNumberRefused)},
		waSubtest{"Statuses", on(testWhatsAppStatuses)},
		waSubtest{"StatusBeforeSent", on(testWhatsAppStatusBeforeSent)},
		waSubtest{"OutOfOrder", on(testWhatsAppOutOfOrder)},
		waSubtest{"OutsideWindow", on(testWhatsAppOutsideWindow)},
		waSubtest{"StaffReplyText", on(testWhatsAppStaffReplyText)},
		waSubtest{"HostileText", on(testWhatsAppHostileText)},
		waSubtest{"TransientSendErrors", on(testWhatsAppTransientErrors)},
		waSubtest{"PermanentSendError", on(testWhatsAppPermanentError)},
	)
}

func testWebhookSignatures(t *testing.T, ta *testApp) {
	a := waTenant(t, ta, "sig-a")
	b := waTenant(t, ta, "sig-b")
	cases := []struct {
		name   string
		body   func(phone string) []byte
		sign   func(body []byte) string
		status int
		code   string
	}{
		{"number's secret", a.textBody, a.sign, 200, ""},
		{"wrong secret", a.textBody, func(body []byte) string { return cloudapi.Sign(body, "not-the-secret") }, 401, "unauthorized"},
		{"another tenant's secret", a.textBody, b.sign, 401, "unauthorized"},
		{"missing", a.textBody, func([]byte) string { return "" }, 401, "unauthorized"},
		{"not hex", a.textBody, func([]byte) string { return "sha256=zzzz" }, 401, "unauthorized"},
		{"no sha256= prefix", a.textBody, func(body []byte) string { return strings.TrimPrefix(a.sign(body), "sha256=") }, 401, "unauthorized"},
		{"signature of another body", a.textBody, func(body []byte) string { return a.sign([]byte(string(body) + " ")) }, 401, "unauthorized"},
		// A payload for two tenants must verify for both: A's secret does
		// not vouch for B's change, and nothing of it is stored.
		{"two tenants, one secret", func(phone string) []byte {
			return waBody(a.withMetadata(a.messagesValue(nil, waText(phone, "مرحبا"))), b.withMetadata(b.messagesValue(nil, waText(phone, "مرحبا"))))
		}, a.sign, 401, "unauthorized"},
		{"malformed JSON", func(string) []byte { return []byte(`{"object":"whatsapp_business_account","entry":[`) }, a.sign, 400, "malformed"},
		{"not a WhatsApp object", func(phone string) []byte {
			return []byte(strings.Replace(string(a.textBody(phone)), "whatsapp_business_account", "page", 1))
		}, a.sign, 400, "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			phone := waPhone()
			body := tc.body(phone)
			r := a.post(body, tc.sign(body))
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.code != "" && r.json["code"] != tc.code {
				t.Fatalf("problem code %v, want %s: %s", r.json["code"], tc.code, r.body)
			}
			var wamids []string
			var p struct {
				Entry []struct {
					Changes []struct {
						Value struct {
							Messages []struct{ ID string } `json:"messages"`
						} `json:"value"`
					} `json:"changes"`
				} `json:"entry"`
			}
			_ = json.Unmarshal(body, &p)
			for _, e := range p.Entry {
				for _, c := range e.Changes {
					for _, m := range c.Value.Messages {
						wamids = append(wamids, m.ID)
					}
				}
			}
			for _, n := range []*waNumber{a, b} {
				for _, id := range wamids {
					msgs, custs := n.storedCount(id, phone)
					want := 0
					if tc.status == 200 && n == a {
						want = 1
					}
					if msgs != want || custs != want {
						t.Fatalf("tenant %s stored %d messages and %d customers for %s, want %d", n.slug, msgs, custs, id, want)
					}
				}
			}
			if tc.status == 200 {
				if waCount(r, "stored") != 1 {
					t.Fatalf("answer %s, want stored 1", r.body)
				}
				// Stored with its job: the bot answers.
				a.waitBot(phone, 1, 15*time.Second)
			}
		})
	}
}

// with returns a copy of the number whose helpers report to t.
func (n *waNumber) with(t *testing.T) *waNumber {
	c := *n
	c.ta = n.ta.withT(t)
	return &c
}

func (n *waNumber) sign(body []byte) string { return cloudapi.Sign(body, n.secret) }

// textBody is a webhook body with one text from phone.
func (n *waNumber) textBody(phone string) []byte { return n.messages(nil, waText(phone, "مرحبا")) }

// withMetadata names this number in a change value, as Meta does.
func (n *waNumber) withMetadata(v map[string]any) map[string]any {
	v["messaging_product"] = "whatsapp"
	v["metadata"] = map[string]any{"display_phone_number": strings.TrimPrefix(n.display, "+"), "phone_number_id": n.pnid}
	return v
}

// testWhatsAppMessageKinds sends every message type a customer can send,
// after consent, as raw signed webhooks, and checks what is stored and what
// the bot answers.
func testWhatsAppMessageKinds(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "kinds")
	phone := waPhone()
	n.onboard(phone, "ar", "Noura")
	bot := func() string { // the newest bot message, for context and reactions
		s := ta.app.sandbox.Sent(n.pnid, phone)
		return s[len(s)-1].ID
	}
	display := strings.TrimPrefix(n.display, "+")
	ctxOf := func() map[string]any { return map[string]any{"context": map[string]any{"from": display, "id": bot()}} }
	media := func(extra map[string]any) map[string]any {
		m := map[string]any{"mime_type": "image/jpeg", "sha256": "K0fN1dTq0mFf4h6z3T2bqsC1bM2t8Z8kQ1Yk0QZpV9o=", "id": "1" + waPhone()}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	now := time.Now()
	media0 := n.text("media.received", "ar")
	cases := []struct {
		name string
		msg  func() map[string]any
		kind string
		body string // stored body
		want string // the bot's answer ("" none)
	}{
		{"text", func() map[string]any { return waText(phone, "كم سعر التوصيل للدمام؟") }, "text", "كم سعر التوصيل للدمام؟", n.text("fallback", "ar")},
		{"button_reply", func() map[string]any {
			return waMsg(phone, now, "interactive", map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": "help", "title": "مساعدة"}}, ctxOf())
		}, "button_reply", "مساعدة", n.text("help", "ar")},
		{"list_reply", func() map[string]any {
			return waMsg(phone, now, "interactive", map[string]any{"type": "list_reply",
				"list_reply": map[string]any{"id": "menu", "title": "القائمة", "description": "عرض الخيارات"}}, ctxOf())
		}, "list_reply", "القائمة", n.text("menu.body", "ar")},
		{"template quick reply", func() map[string]any {
			return waMsg(phone, now, "button", map[string]any{"payload": "help", "text": "مساعدة"}, ctxOf())
		}, "template_button", "مساعدة", n.text("help", "ar")},
		{"location", func() map[string]any {
			return waMsg(phone, now, "location", map[string]any{"latitude": 24.7136, "longitude": 46.6753, "name": "برج المملكة", "address": "طريق الملك فهد، الرياض"})
		}, "location", "", n.text("location.received", "ar")},
		{"image", func() map[string]any {
			return waMsg(phone, now, "image", media(map[string]any{"caption": "هذا المنتج اللي أبيه"}))
		}, "image", "هذا المنتج اللي أبيه", media0},
		{"document", func() map[string]any {
			return waMsg(phone, now, "document", media(map[string]any{"mime_type": "application/pdf", "filename": "فاتورة.pdf", "caption": "الفاتورة"}))
		}, "document", "الفاتورة", media0},
		{"audio", func() map[string]any {
			return waMsg(phone, now, "audio", media(map[string]any{"mime_type": "audio/ogg; codecs=opus", "voice": true}))
		}, "audio", "", media0},
		{"reaction", func() map[string]any {
			return waMsg(phone, now, "reaction", map[string]any{"message_id": bot(), "emoji": "👍"})
		}, "reaction", "", ""},
		{"unsupported", func() map[string]any {
			return waMsg(phone, now, "unsupported", nil, map[string]any{"errors": []any{map[string]any{"code": 131051, "title": "Message type unknown",
				"message": "Message type unknown", "error_data": map[string]any{"details": "Message type is currently not supported."}}}})
		}, "unknown", "", n.text("unsupported", "ar")},
		{"unknown type", func() map[string]any {
			return waMsg(phone, now, "poll", map[string]any{"question": "؟"})
		}, "unknown", "", n.text("unsupported", "ar")},
		// An order asks for a person (hand-off), so it comes last.
		{"order", func() map[string]any {
			return waMsg(phone, now, "order", map[string]any{"catalog_id": "1234567890123456", "text": "أبي هذي",
				"product_items": []any{map[string]any{"product_retailer_id": "DATES-1KG", "quantity": 2, "item_price": "45.50", "currency": "SAR"}}})
		}, "order", "أبي هذي", n.text("order.received", "ar")},
	}
	total := 3
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := n.with(t)
			m := tc.msg()
			if r := n.deliver(n.messages(nil, m)); waCount(r, "stored") != 1 {
				t.Fatalf("answer %s, want stored 1", r.body)
			}
			if tc.want != "" {
				total++
				got := n.waitBot(phone, total, 15*time.Second)
				if last := got[len(got)-1]; last.Text() != tc.want {
					t.Errorf("bot answered %q, want %q", last.Text(), tc.want)
				}
			}
			n.settle(phone, 15*time.Second)
			if got := ta.app.sandbox.Sent(n.pnid, phone); len(got) != total {
				t.Fatalf("%d bot messages, want %d:%s", len(got), total, waTexts(got))
			}
			in := waInbound(n.rows(phone))
			last := in[len(in)-1]
			if last.WAMessageID != waID(m) || last.Kind != tc.kind || last.Body != tc.body || last.Status != "processed" {
				t.Fatalf("stored %+v, want kind %s body %q processed", last, tc.kind, tc.body)
			}
		})
	}
	var handoff string
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT handoff FROM conversations WHERE id = ?`, n.convID(phone)).Scan(&handoff)
	})
	if handoff != "waiting" {
		t.Fatalf("after an order the conversation is %q, want waiting for a person", handoff)
	}
}

// testWhatsAppUnknownInEnglish: the "can't read" answer is in the customer's
// language.
func testWhatsAppUnknownInEnglish(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "unknown-en")
	phone := waPhone()
	n.onboard(phone, "en", "John")
	n.say(phone, sandbox.CustomerMessage{Unknown: true})
	got := n.waitBot(phone, 4, 15*time.Second)
	if want := n.text("unsupported", "en"); got[3].Text() != want {
		t.Fatalf("bot answered %q, want %q", got[3].Text(), want)
	}
	if in := waInbound(n.rows(phone)); in[len(in)-1].Kind != "unknown" {
		t.Fatalf("stored kind %s, want unknown", in[len(in)-1].Kind)
	}
}

// testWhatsAppBatch: one webhook with messages of two customers, interleaved.
func testWhatsAppBatch(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "batch")
	a, b := waPhone(), waPhone()
	t0 := time.Now().Add(-30 * time.Second)
	body := n.messages(map[string]string{a: "Amal", b: "Bader"},
		waMsg(a, t0, "text", map[string]any{"body": "English"}),
		waMsg(b, t0, "text", map[string]any{"body": "hello"}),
		waMsg(a, t0.Add(time.Second), "text", map[string]any{"body": "عربي"}),
		waMsg(b, t0.Add(time.Second), "text", map[string]any{"body": "English"}),
	)
	if r := n.deliver(body); waCount(r, "stored") != 4 || waCount(r, "duplicates") != 0 {
		t.Fatalf("answer %s, want 4 stored", r.body)
	}
	want := map[string][]string{
		a: {n.text("consent.request", "en"), n.text("consent.request", "ar")},
		b: {n.text("language.prompt", "en") + "\n\n" + n.text("language.prompt", "ar"), n.text("consent.request", "en")},
	}
	for _, phone := range []string{a, b} {
		n.waitBot(phone, 2, 15*time.Second)
	}
	for _, phone := range []string{a, b} {
		n.settle(phone, 15*time.Second)
		got := ta.app.sandbox.Sent(n.pnid, phone)
		if len(got) != 2 {
			t.Fatalf("%s got %d bot messages, want 2 (each message answered once):%s", phone, len(got), waTexts(got))
		}
		for i, w := range want[phone] {
			if got[i].Text() != w {
				t.Errorf("%s bot message %d: %q, want %q", phone, i, got[i].Text(), w)
			}
		}
		in := waInbound(n.rows(phone))
		if len(in) != 2 || in[0].Status != "processed" || in[1].Status != "processed" {
			t.Fatalf("%s stored %+v, want 2 processed", phone, in)
		}
	}
}

// testWhatsAppRedelivery: Meta's retries, one after the other and at once,
// store a message once and answer it once.
func testWhatsAppRedelivery(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "redeliver")
	phone := waPhone()
	first := n.messages(nil, waText(phone, "hello"))
	for i, want := range []string{"stored", "duplicates"} {
		if r := n.deliver(first); waCount(r, want) != 1 {
			t.Fatalf("delivery %d: %s, want %s 1", i+1, r.body, want)
		}
	}
	n.waitBot(phone, 1, 15*time.Second)

	// The next message arrives six times at once.
	second := n.messages(nil, waText(phone, "English"))
	sig := n.sign(second)
	const copies = 6
	var (
		wg                sync.WaitGroup
		mu                sync.Mutex
		stored, dups, bad int
	)
	for range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", ta.base+"/webhook/whatsapp", strings.NewReader(string(second)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Hub-Signature-256", sig)
			res, err := http.DefaultClient.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				bad++
				return
			}
			defer res.Body.Close()
			var out struct{ Stored, Duplicates int }
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || json.Unmarshal(raw, &out) != nil {
				bad++
				return
			}
			stored += out.Stored
			dups += out.Duplicates
		}()
	}
	wg.Wait()
	if bad != 0 || stored != 1 || dups != copies-1 {
		t.Fatalf("concurrent redelivery: stored %d, duplicates %d, failed %d; want 1, %d, 0", stored, dups, bad, copies-1)
	}
	n.waitBot(phone, 2, 15*time.Second)
	// Settle, then a late redelivery of the first message changes nothing.
	n.settle(phone, 15*time.Second)
	n.flush()
	if r := n.deliver(first); waCount(r, "duplicates") != 1 {
		t.Fatalf("late redelivery: %s", r.body)
	}
	n.settle(phone, 15*time.Second)
	got := ta.app.sandbox.Sent(n.pnid, phone)
	if len(got) != 2 {
		t.Fatalf("%d bot messages, want exactly 2:%s", len(got), waTexts(got))
	}
	if got[1].Text() != n.text("consent.request", "en") {
		t.Fatalf("second answer %q, want the English consent request", got[1].Text())
	}
	if in := waInbound(n.rows(phone)); len(in) != 2 {
		t.Fatalf("stored %d inbound messages, want 2", len(in))
	}
}

// testWhatsAppUnknownNumberRefused: without WHATSAPP_APP_SECRET nothing can
// vouch for a number no tenant owns (its app secret is unknown), so the
// webhook is refused with 401 and not even recorded as unrouted; see
// TestWhatsAppPlatformSecret for the platform-signed case.
func testWhatsAppUnknownNumberRefused(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "unrouted-a")
	ghost := *n
	ghost.pnid = "199900000001"
	phone := waPhone()
	m := waText(phone, "مرحبا")
	body := ghost.messages(nil, m)
	if r := n.post(body, n.sign(body)); r.status != 401 {
		t.Fatalf("unknown number signed with a tenant's secret: %d %s", r.status, r.body)
	}
	if msgs, custs := n.storedCount(waID(m), phone); msgs != 0 || custs != 0 {
		t.Fatalf("stored %d messages, %d customers", msgs, custs)
	}
	admin := n.ta.user("admin-unrouted@ops.test", true, "", "")
	if items := waItems[map[string]any](t, n.ta.do(request{method: "GET", path: "/api/platform/whatsapp/unrouted", token: admin})); len(items) != 0 {
		t.Fatalf("unrouted has %d items, want none: %v", len(items), items)
	}
}

// testWhatsAppStatuses: the emulator's sent and delivered statuses move the
// reply forward; a failed status marks it failed with Meta's code; a late
// sent never moves it back.
func testWhatsAppStatuses(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "statuses")
	agent := n.ta.user("agent@statuses.test", false, n.slug, "agent")
	phone := waPhone()
	n.say(phone, sandbox.CustomerMessage{Text: "hello"})
	first := n.waitBot(phone, 1, 15*time.Second)[0]
	n.settle(phone, 15*time.Second)
	n.flush()
	conv := n.convID(phone)
	if m := n.apiOutbound(agent, conv, first.ID); m.Status != "delivered" {
		t.Errorf("after the emulator's sent and delivered statuses the reply is %q, want delivered (%+v)", m.Status, m)
	}

	// Another tenant's number cannot report on this tenant's message.
	other := waTenant(t, ta, "statuses-other")
	if r := other.deliver(other.status(first.ID, phone, "failed", time.Now(), 131026)); waCount(r, "statuses") != 0 {
		t.Errorf("another tenant's status was applied: %s", r.body)
	}
	if m := n.apiOutbound(agent, conv, first.ID); m.Status != "delivered" {
		t.Errorf("after another tenant's failed status the reply is %q, want delivered", m.Status)
	}

	// A late "sent" (Meta does not guarantee order) does not move it back.
	r := n.deliver(n.status(first.ID, phone, "sent", time.Now(), 0))
	if waCount(r, "statuses") != 0 {
		t.Errorf("late sent was applied: %s", r.body)
	}
	if m := n.apiOutbound(agent, conv, first.ID); m.Status != "delivered" {
		t.Errorf("after a late sent the reply is %q, want delivered", m.Status)
	}

	// A second reply, then Meta reports it undeliverable.
	n.say(phone, waButton("lang:ar", "العربية"))
	second := n.waitBot(phone, 2, 15*time.Second)[1]
	n.settle(phone, 15*time.Second)
	n.flush()
	if r := n.deliver(n.status(second.ID, phone, "failed", time.Now(), 131026)); waCount(r, "statuses") != 1 {
		t.Fatalf("failed status not applied: %s", r.body)
	}
	m := n.apiOutbound(agent, conv, second.ID)
	if m.Status != "failed" || m.ErrorCode == nil || *m.ErrorCode != 131026 || !strings.Contains(m.ErrorDetail, "undeliverable") {
		t.Fatalf("after a failed status: %+v, want failed with error_code 131026", m)
	}
	// Nor does a late "delivered" revive a failed message.
	n.deliver(n.status(second.ID, phone, "delivered", time.Now(), 0))
	if m := n.apiOutbound(agent, conv, second.ID); m.Status != "failed" {
		t.Fatalf("a late delivered moved a failed message to %q", m.Status)
	}
}

// testWhatsAppStatusBeforeSent: a status webhook can name a message before
// the product has recorded its WhatsApp id (Meta took a send whose answer
// never came back, or answered late). The product tags every send with the
// message's own id (biz_opaque_callback_data, echoed in statuses); such a
// status must be applied, record the WhatsApp id, and stop the message from
// being sent a second time. To have a wide, certain window, the first two
// sends fail (500): River's third attempt comes about 16 s after the second.
func testWhatsAppStatusBeforeSent(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "early-status")
	agent := n.ta.user("agent@early-status.test", false, n.slug, "agent")
	phone := waPhone()
	ta.app.sandbox.FailNext(n.pnid, 2, 500, 0)
	n.say(phone, sandbox.CustomerMessage{Text: "hello"})
	var outID, status string
	waPoll(t, 30*time.Second, "the reply was not refused twice", func() bool {
		n.inTx(func(ctx context.Context, tx bun.Tx) error {
			err := tx.QueryRowContext(ctx, `SELECT id::text, status FROM messages WHERE direction = 'out'`).Scan(&outID, &status)
			if err == sql.ErrNoRows {
				return nil
			}
			return err
		})
		return ta.app.sandbox.Counters(n.pnid).Injected == 2 && status == "queued"
	})
	wamid := waWamid()
	body := n.envelope(map[string]any{"statuses": []any{map[string]any{"id": wamid, "status": "sent",
		"timestamp": strconv.FormatInt(time.Now().Unix(), 10), "recipient_id": phone, "biz_opaque_callback_data": outID,
		"conversation": map[string]any{"id": "c0ffee", "origin": map[string]any{"type": "service"}},
		"pricing":      map[string]any{"billable": false, "pricing_model": "PMP", "category": "service"}}}})
	if r := n.deliver(body); waCount(r, "statuses") != 1 {
		t.Fatalf("a status naming the message by its callback data was not applied: %s", r.body)
	}
	if r := n.deliver(n.status(wamid, phone, "delivered", time.Now(), 0)); waCount(r, "statuses") != 1 {
		t.Fatalf("a later status by WhatsApp id was not applied: %s", r.body)
	}
	// The third attempt finds the message delivered and sends nothing.
	n.settle(phone, 60*time.Second)
	m := n.apiOutbound(agent, n.convID(phone), wamid)
	if m.Status != "delivered" {
		t.Fatalf("reply %+v, want delivered under the WhatsApp id the status named", m)
	}
	if c := ta.app.sandbox.Counters(n.pnid); c.Accepted != 0 || c.Injected != 2 {
		t.Fatalf("counters %+v: the reported message was sent again", c)
	}
}

// testWhatsAppOutOfOrder: messages are handled in WhatsApp timestamp order,
// not in the order the webhook lists them.
func testWhatsAppOutOfOrder(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "order")
	phone := waPhone()
	t0 := time.Now().Add(-time.Minute)
	later := waMsg(phone, t0.Add(10*time.Second), "text", map[string]any{"body": "عربي"})
	earlier := waMsg(phone, t0, "text", map[string]any{"body": "English"})
	if r := n.deliver(n.messages(nil, later, earlier)); waCount(r, "stored") != 2 {
		t.Fatalf("answer %s", r.body)
	}
	got := n.waitBot(phone, 2, 15*time.Second)
	n.settle(phone, 15*time.Second)
	// "English" (t) chose English first, then "عربي" (t+10 s) switched to
	// Arabic: the English consent request, then the Arabic one.
	en, ar := n.text("consent.request", "en"), n.text("consent.request", "ar")
	if len(got) != 2 || got[0].Text() != en || got[1].Text() != ar {
		t.Fatalf("bot answers in the wrong order (want English then Arabic consent request):%s", waTexts(got))
	}
	var locale string
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT locale FROM customers WHERE wa_id = ?`, phone).Scan(&locale)
	})
	if locale != "ar" {
		t.Fatalf("customer locale %q, want ar (the later message wins)", locale)
	}
}

// testWhatsAppOutsideWindow: more than 24 hours after the customer's last
// message, a staff reply goes out as the re-engagement template.
func testWhatsAppOutsideWindow(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "window")
	agent := n.ta.user("agent@window.test", false, n.slug, "agent")
	phone := waPhone()
	n.say(phone, sandbox.CustomerMessage{Text: "English"}) // chooses English
	n.waitBot(phone, 1, 15*time.Second)
	n.settle(phone, 15*time.Second)
	conv := n.convID(phone)
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = ?`, conv)
		return err
	})
	if c := n.ta.do(request{method: "GET", path: "/api/v1/conversations/" + conv, host: n.host, token: agent}); c.json["window_open"] != false {
		t.Fatalf("window still open: %s", c.body)
	}
	text := "Your order is ready for pickup"
	if r := n.ta.do(request{method: "POST", path: "/api/v1/conversations/" + conv + "/reply", host: n.host, token: agent,
		body: fmt.Sprintf(`{"text":%q}`, text)}); r.status != 202 {
		t.Fatalf("reply: %d %s", r.status, r.body)
	}
	got := n.waitBot(phone, 2, 15*time.Second)[1]
	tpl := got.Message.Template
	if got.Type != "template" || tpl == nil || tpl.Name != "concierge_reengage" || tpl.Language == nil || tpl.Language.Code != "en" {
		t.Fatalf("outside the window the emulator got %s %s, want template concierge_reengage in en", got.Type, got.Raw)
	}
	if got.Text() != text {
		t.Fatalf("template body parameter %q, want the staff text %q", got.Text(), text)
	}
}

// testWhatsAppTransientErrors: two 500s from the Cloud API, then the reply
// is delivered (River retries with backoff: about 1 s, then 16 s).
func testWhatsAppTransientErrors(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "retry")
	phone := waPhone()
	ta.app.sandbox.FailNext(n.pnid, 2, 500, 0)
	n.say(phone, sandbox.CustomerMessage{Text: "hello"})
	got := n.waitBot(phone, 1, 60*time.Second)
	if !strings.Contains(got[0].Text(), "Please choose your language") {
		t.Fatalf("delivered %q, want the language prompt", got[0].Text())
	}
	n.settle(phone, 15*time.Second)
	if c := ta.app.sandbox.Counters(n.pnid); c.Injected != 2 || c.Accepted != 1 {
		t.Fatalf("counters %+v, want 2 injected failures then 1 accepted send", c)
	}
	out := n.rows(phone)[1]
	if out.Direction != "out" || (out.Status != "sent" && out.Status != "delivered") || out.WAMessageID != got[0].ID {
		t.Fatalf("stored reply %+v, want sent with the emulator's wamid", out)
	}
}

// testWhatsAppPermanentError: Meta's 131026 (undeliverable) fails the reply
// with Meta's code after exactly one attempt, whether the Cloud API refuses
// the send or accepts it and reports the failure by status webhook (which
// may arrive before the send's answer is recorded).
func testWhatsAppPermanentError(t *testing.T, ta *testApp) {
	cases := []struct {
		name            string
		httpStatus      int
		accepted        int    // sends the emulator accepted
		jobState        string // of the one send job
		customerReceive int
	}{
		{"refused", 400, 0, "cancelled", 0},
		{"accepted then failed status", 0, 1, "completed", 1},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := waTenant(t, ta, fmt.Sprintf("permanent-%d", i))
			agent := n.ta.user(fmt.Sprintf("agent@permanent-%d.test", i), false, n.slug, "agent")
			phone := waPhone()
			ta.app.sandbox.FailNext(n.pnid, 1, tc.httpStatus, 131026)
			n.say(phone, sandbox.CustomerMessage{Text: "hello"})
			// A refused send records nothing in the emulator: poll until settled.
			n.settle(phone, 20*time.Second)
			n.flush()
			var failed waAPIMessage
			waPoll(t, 10*time.Second, "the reply did not end failed", func() bool {
				for _, m := range n.apiMessages(agent, n.convID(phone)) {
					if m.Direction == "out" {
						failed = m
					}
				}
				return failed.Status == "failed"
			})
			if failed.ErrorCode == nil || *failed.ErrorCode != 131026 {
				t.Fatalf("staff API shows %+v, want failed with error_code 131026", failed)
			}
			if c := ta.app.sandbox.Counters(n.pnid); c.Injected != 1 || c.Accepted != tc.accepted {
				t.Fatalf("counters %+v, want exactly one attempt (%d accepted)", c, tc.accepted)
			}
			var state string
			var attempt int
			n.inTx(func(ctx context.Context, tx bun.Tx) error {
				return tx.QueryRowContext(ctx, `SELECT state::text, attempt FROM river_job WHERE kind = 'conversation.send' AND args->>'tenant_id' = ?`,
					n.tenant.ID.String()).Scan(&state, &attempt)
			})
			if state != tc.jobState || attempt != 1 {
				t.Fatalf("send job %s after %d attempts, want %s after 1 (no retry)", state, attempt, tc.jobState)
			}
			if got := ta.app.sandbox.Sent(n.pnid, phone); len(got) != tc.customerReceive {
				t.Fatalf("the emulator recorded %d sends, want %d:%s", len(got), tc.customerReceive, waTexts(got))
			}
		})
	}
}

// TestWhatsAppPlatformSecret: with WHATSAPP_APP_SECRET set, a payload signed
// with the platform secret is accepted for a tenant's number, and one for a
// number no tenant owns is recorded as unrouted (the platform secret is the
// only thing that can vouch for such a payload, so this needs it set).
func TestWhatsAppPlatformSecret(t *testing.T) {
	t.Parallel()
	const platform = "platform-app-secret"
	ta := waStartApp(t, modeDev, map[string]string{"WHATSAPP_APP_SECRET": platform})
	n := waTenant(t, ta, "plat")
	admin := ta.user("admin@ops.test", true, "", "")
	owner := ta.user("owner@plat.test", false, "plat", "owner")

	phone := waPhone()
	m := waText(phone, "hello")
	body := n.messages(nil, m)
	if r := n.post(body, cloudapi.Sign(body, platform)); r.status != 200 || waCount(r, "stored") != 1 {
		t.Fatalf("signed with the platform secret: %d %s", r.status, r.body)
	}
	n.waitBot(phone, 1, 15*time.Second)

	ghost := *n
	ghost.pnid, ghost.display = "199900000002", "+966119999999"
	stranger := waPhone()
	gm := waText(stranger, "مرحبا")
	body = ghost.messages(nil, gm)
	// A tenant's secret cannot vouch for a number it does not own.
	if r := n.post(body, n.sign(body)); r.status != 401 {
		t.Fatalf("unknown number signed with a tenant secret: %d %s", r.status, r.body)
	}
	r := n.post(body, cloudapi.Sign(body, platform))
	if r.status != 200 || waCount(r, "unrouted") != 1 || waCount(r, "stored") != 0 {
		t.Fatalf("unknown number: %d %s, want 200 with unrouted 1", r.status, r.body)
	}
	if msgs, custs := n.storedCount(waID(gm), stranger); msgs != 0 || custs != 0 {
		t.Fatalf("the tenant stored %d messages and %d customers of an unrouted payload", msgs, custs)
	}
	items := waItems[struct {
		PhoneNumberID string          `json:"phone_number_id"`
		Reason        string          `json:"reason"`
		Payload       json.RawMessage `json:"payload"`
	}](t, ta.do(request{method: "GET", path: "/api/platform/whatsapp/unrouted", token: admin}))
	if len(items) != 1 || items[0].PhoneNumberID != ghost.pnid || items[0].Reason != "unknown phone_number_id" || !strings.Contains(string(items[0].Payload), waID(gm)) {
		t.Fatalf("unrouted: %+v", items)
	}
	if r := ta.do(request{method: "GET", path: "/api/platform/whatsapp/unrouted", token: owner}); r.status != 403 {
		t.Fatalf("a tenant owner reads unrouted payloads: %d", r.status)
	}
}

// TestHandoff: the customer asks for a person; the bot steps back, staff
// answer, then hand the conversation back to the bot. Staff of another
// tenant see none of it.
func TestHandoff(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n := waTenant(t, ta, "hand")
	waTenant(t, ta, "elsewhere")
	agent := ta.user("agent@hand.test", false, "hand", "agent")
	stranger := ta.user("agent@elsewhere.test", false, "elsewhere", "agent")
	phone := waPhone()
	n.onboard(phone, "ar", "Reem")

	n.say(phone, sandbox.CustomerMessage{Text: "موظف"})
	if got := n.waitBot(phone, 4, 15*time.Second); got[3].Text() != n.text("handoff.ack", "ar") {
		t.Fatalf("hand-off answer %q", got[3].Text())
	}
	n.settle(phone, 15*time.Second)
	conv := n.convID(phone)
	waiting := waItems[waAPIConversation](t, ta.do(request{method: "GET", path: "/api/v1/conversations?handoff=waiting", host: n.host, token: agent}))
	if len(waiting) != 1 || waiting[0].ID != conv || waiting[0].Handoff != "waiting" || waiting[0].WAID != phone {
		t.Fatalf("waiting list: %+v, want conversation %s", waiting, conv)
	}

	// While a person is asked for, the bot stays silent.
	held := n.say(phone, sandbox.CustomerMessage{Text: "وين وصل طلبي؟"})
	n.settle(phone, 15*time.Second)
	if got := ta.app.sandbox.Sent(n.pnid, phone); len(got) != 4 {
		t.Fatalf("the bot answered during the hand-off:%s", waTexts(got))
	}
	in := waInbound(n.rows(phone))
	if last := in[len(in)-1]; last.WAMessageID != held.ID || last.Status != "held" {
		t.Fatalf("message during hand-off stored as %+v, want held", last)
	}

	// Another tenant's agent: not found on their host, forbidden on ours.
	for _, c := range []struct {
		name, method, path, host, token string
		status                          int
	}{
		{"get on own host", "GET", "/api/v1/conversations/" + conv, "elsewhere.example.sa", stranger, 404},
		{"messages on own host", "GET", "/api/v1/conversations/" + conv + "/messages", "elsewhere.example.sa", stranger, 404},
		{"reply on own host", "POST", "/api/v1/conversations/" + conv + "/reply", "elsewhere.example.sa", stranger, 404},
		{"resume on own host", "POST", "/api/v1/conversations/" + conv + "/resume", "elsewhere.example.sa", stranger, 404},
		{"get on the tenant's host", "GET", "/api/v1/conversations/" + conv, n.host, stranger, 403},
		{"reply on the tenant's host", "POST", "/api/v1/conversations/" + conv + "/reply", n.host, stranger, 403},
	} {
		body := ""
		if c.method == "POST" && strings.HasSuffix(c.path, "/reply") {
			body = `{"text":"hijack"}`
		}
		if r := ta.do(request{method: c.method, path: c.path, host: c.host, token: c.token, body: body}); r.status != c.status {
			t.Errorf("cross-tenant %s: %d, want %d: %s", c.name, r.status, c.status, r.body)
		}
	}
	for _, q := range []string{"?handoff=waiting", ""} {
		if items := waItems[waAPIConversation](t, ta.do(request{method: "GET", path: "/api/v1/conversations" + q, host: "elsewhere.example.sa", token: stranger})); len(items) != 0 {
			t.Errorf("another tenant's list%s: %+v", q, items)
		}
	}

	// Staff answer; the customer receives it.
	staffText := "أهلًا ريم، أنا سارة من فريق المتجر. طلبك في الطريق."
	if r := ta.do(request{method: "POST", path: "/api/v1/conversations/" + conv + "/reply", host: n.host, token: agent,
		body: fmt.Sprintf(`{"text":%q}`, staffText)}); r.status != 202 || r.json["author"] != "user:agent@hand.test" {
		t.Fatalf("staff reply: %d %s", r.status, r.body)
	}
	if got := n.waitBot(phone, 5, 15*time.Second); got[4].Text() != staffText {
		t.Fatalf("customer received %q, want the staff text", got[4].Text())
	}
	if c := ta.do(request{method: "GET", path: "/api/v1/conversations/" + conv, host: n.host, token: agent}); c.json["handoff"] != "human" {
		t.Fatalf("after the staff reply: %s", c.body)
	}

	// Back to the bot: it says so, and answers again.
	if r := ta.do(request{method: "POST", path: "/api/v1/conversations/" + conv + "/resume", host: n.host, token: agent}); r.status != 200 || r.json["handoff"] != "bot" {
		t.Fatalf("resume: %d %s", r.status, r.body)
	}
	if got := n.waitBot(phone, 6, 15*time.Second); got[5].Text() != n.text("handoff.resumed", "ar") {
		t.Fatalf("after resume the bot said %q", got[5].Text())
	}
	n.say(phone, sandbox.CustomerMessage{Text: "القائمة"})
	if got := n.waitBot(phone, 7, 15*time.Second); got[6].Text() != n.text("menu.body", "ar") {
		t.Fatalf("the bot answered %q, want the menu", got[6].Text())
	}
	n.settle(phone, 15*time.Second)
	if got := ta.app.sandbox.Sent(n.pnid, phone); len(got) != 7 {
		t.Fatalf("%d bot messages, want 7 (the held message is not answered late):%s", len(got), waTexts(got))
	}
}

// TestConsent: declining and withdrawing (STOP) are recorded, audited and
// erase the customer's profile name.
func TestConsent(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n := waTenant(t, ta, "consent")
	owner := ta.user("owner@consent.test", false, "consent", "owner")

	type record struct{ action, version, channel, messageID string }
	records := func(n *waNumber, phone string) (out []record, name, consent, customerID string) {
		n.inTx(func(ctx context.Context, tx bun.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT id::text, profile_name, consent FROM customers WHERE wa_id = ?`, phone).Scan(&customerID, &name, &consent); err != nil {
				return err
			}
			rs, err := tx.QueryContext(ctx, `SELECT action, notice_version, channel, message_id FROM consent_records WHERE customer_id = ?::uuid ORDER BY at, id`, customerID)
			if err != nil {
				return err
			}
			defer rs.Close()
			for rs.Next() {
				var r record
				if err := rs.Scan(&r.action, &r.version, &r.channel, &r.messageID); err != nil {
					return err
				}
				out = append(out, r)
			}
			return rs.Err()
		})
		return out, name, consent, customerID
	}
	var declined, stopped string // customer ids
	waConcurrently(t,
		waSubtest{"decline", func(t *testing.T) {
			n := n.with(t)
			phone := waPhone()
			n.say(phone, sandbox.CustomerMessage{Text: "مرحبا", Name: "Sara Ahmed"})
			n.waitBot(phone, 1, 15*time.Second)
			n.say(phone, waButton("lang:ar", "العربية"))
			n.waitBot(phone, 2, 15*time.Second)
			tap := n.say(phone, sandbox.CustomerMessage{ButtonReply: &sandbox.ReplyChoice{ID: "consent:decline", Title: "لا أوافق"}, Name: "Sara Ahmed"})
			if got := n.waitBot(phone, 3, 15*time.Second); got[2].Text() != n.text("consent.declined", "ar") {
				t.Fatalf("after declining the bot said %q", got[2].Text())
			}
			n.settle(phone, 15*time.Second)
			recs, name, consent, id := records(n, phone)
			declined = id
			if len(recs) != 1 || recs[0] != (record{"decline", "1", "whatsapp", tap.ID}) {
				t.Fatalf("consent records %+v, want one decline for notice 1 naming the tap", recs)
			}
			if name != "" || consent != "declined" {
				t.Fatalf("customer keeps name %q, consent %q", name, consent)
			}
			for _, m := range waInbound(n.rows(phone)) {
				if m.Body != "" {
					t.Fatalf("a declined customer's message keeps its content: %+v", m)
				}
			}
		}},
		waSubtest{"stop", func(t *testing.T) {
			n := n.with(t)
			phone := waPhone()
			n.onboard(phone, "ar", "Huda")
			n.settle(phone, 15*time.Second)
			if _, name, consent, _ := records(n, phone); name != "Huda" || consent != "granted" {
				t.Fatalf("after agreeing: name %q consent %q", name, consent)
			}
			stop := n.say(phone, sandbox.CustomerMessage{Text: "إيقاف", Name: "Huda"})
			if got := n.waitBot(phone, 4, 15*time.Second); got[3].Text() != n.text("stop.confirm", "ar") {
				t.Fatalf("after STOP the bot said %q", got[3].Text())
			}
			n.settle(phone, 15*time.Second)
			recs, name, consent, id := records(n, phone)
			stopped = id
			if len(recs) != 2 || recs[0].action != "grant" || recs[1] != (record{"withdraw", "1", "whatsapp", stop.ID}) {
				t.Fatalf("consent records %+v, want grant then withdraw naming the STOP message", recs)
			}
			if name != "" || consent != "withdrawn" {
				t.Fatalf("after STOP the customer keeps name %q, consent %q", name, consent)
			}
		}},
	)
	if t.Failed() {
		return
	}
	var audit struct {
		Items []struct {
			Actor, Action, Target string
		} `json:"items"`
	}
	r := ta.do(request{method: "GET", path: "/api/v1/audit?limit=200", host: n.host, token: owner})
	if err := json.Unmarshal(r.raw, &audit); r.status != 200 || err != nil {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	seen := map[string]bool{}
	for _, e := range audit.Items {
		if strings.HasPrefix(e.Action, "consent.") {
			seen[e.Action+" "+e.Target] = e.Actor == e.Target // the customer acted
		}
	}
	for _, want := range []string{"consent.decline customer:" + declined, "consent.grant customer:" + stopped, "consent.withdraw customer:" + stopped} {
		if ok, found := seen[want]; !found || !ok {
			t.Errorf("audit lacks %q by the customer; consent entries: %v", want, seen)
		}
	}
}

// chat is one customer's conversation with the bot in a test: next sends
// a message and returns the bot's next want messages; total counts the
// bot's messages so far.
type chat struct {
	t     *testing.T
	n     *waNumber
	phone string
	total int
}

// chatWith onboards phone (language chosen, consent given: three bot
// messages) and returns the conversation.
func (n *waNumber) chatWith(t *testing.T, phone, locale, name string) *chat {
	t.Helper()
	n.onboard(phone, locale, name)
	return &chat{t: t, n: n, phone: phone, total: 3}
}

func (c *chat) next(m sandbox.CustomerMessage, want int) []sandbox.Recorded {
	c.t.Helper()
	c.n.say(c.phone, m)
	c.total += want
	got := c.n.waitBot(c.phone, c.total, 15*time.Second)
	c.n.settle(c.phone, 15*time.Second)
	return got[c.total-want:]
}
