package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"concierge/cmd/concierge/sandbox"
)

func listBody(to string, rows int, title, desc string) string {
	var rs []string
	for i := range rows {
		t := title
		if i > 0 {
			t = fmt.Sprintf("صنف %d", i)
		}
		rs = append(rs, fmt.Sprintf(`{"id":"row:%d","title":%q,"description":%q}`, i, t, desc))
	}
	half := (len(rs) + 1) / 2
	return `{"messaging_product":"whatsapp","to":"` + to + `","type":"interactive","interactive":{"type":"list",
		"header":{"type":"text","text":"القائمة"},"body":{"text":"اختر *قسمًا*"},"footer":{"text":"عطور أكمي"},
		"action":{"button":"الأقسام","sections":[{"title":"عطور","rows":[` + strings.Join(rs[:half], ",") + `]},{"title":"بخور","rows":[` + strings.Join(rs[half:], ",") + `]}]}}}`
}

func buttonsBody(to string, titles ...string) string {
	var bs []string
	for i, t := range titles {
		bs = append(bs, fmt.Sprintf(`{"type":"reply","reply":{"id":"btn:%d","title":%q}}`, i, t))
	}
	return `{"messaging_product":"whatsapp","recipient_type":"individual","to":"` + to + `","type":"interactive",
		"interactive":{"type":"button","body":{"text":"هل تريد المتابعة؟"},"action":{"buttons":[` + strings.Join(bs, ",") + `]}}}`
}

func TestSendAcceptedAndRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, to, body string
		typ, text      string
		replyIDs       []string
	}{
		{name: "text", to: "966501110001", typ: "text", text: "*مرحبا* بك\nفي متجرنا",
			body: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"966501110001","type":"text","text":{"preview_url":false,"body":"*مرحبا* بك\nفي متجرنا"}}`},
		{name: "text with plus and default type", to: "+966501110002", typ: "text", text: "hi",
			body: `{"messaging_product":"whatsapp","to":"+966501110002","text":{"body":"hi"},"biz_opaque_callback_data":"order:42"}`},
		{name: "three buttons", to: "966501110003", typ: "interactive", text: "هل تريد المتابعة؟", replyIDs: []string{"btn:0", "btn:1", "btn:2"},
			body: buttonsBody("966501110003", "نعم", "لا", strings.Repeat("ب", 20))},
		{name: "list of ten rows at the limits", to: "966501110004", typ: "interactive", text: "اختر *قسمًا*",
			replyIDs: []string{"row:0", "row:1", "row:2", "row:3", "row:4", "row:5", "row:6", "row:7", "row:8", "row:9"},
			body:     listBody("966501110004", 10, strings.Repeat("ع", 24), strings.Repeat("و", 72))},
		{name: "cta url", to: "966501110005", typ: "interactive", text: "ادفع الآن",
			body: `{"messaging_product":"whatsapp","to":"966501110005","type":"interactive","interactive":{"type":"cta_url",
				"header":{"type":"image","image":{"link":"https://cdn.example.test/p.jpg"}},"body":{"text":"ادفع الآن"},
				"action":{"name":"cta_url","parameters":{"display_text":"الدفع","url":"https://pay.example.test/s/1"}}}}`},
		{name: "image", to: "966501110006", typ: "image", text: "عطر العود",
			body: `{"messaging_product":"whatsapp","to":"966501110006","type":"image","image":{"link":"https://cdn.example.test/oud.jpg","caption":"عطر العود"}}`},
		{name: "template", to: "966501110007", typ: "template", text: "أحمد 42",
			body: `{"messaging_product":"whatsapp","to":"966501110007","type":"template","template":{"name":"order_update","language":{"code":"ar"},
				"components":[{"type":"body","parameters":[{"type":"text","text":"أحمد"},{"type":"text","text":"42"}]},
				{"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"track:42"}]}]}}`},
		{name: "product", to: "966501110008", typ: "interactive", text: "",
			body: `{"messaging_product":"whatsapp","to":"966501110008","type":"interactive","interactive":{"type":"product",
				"action":{"catalog_id":"123","product_retailer_id":"sku-1"}}}`},
		{name: "product list", to: "966501110009", typ: "interactive", text: "منتجات مختارة",
			body: `{"messaging_product":"whatsapp","to":"966501110009","type":"interactive","interactive":{"type":"product_list",
				"header":{"type":"text","text":"عروض"},"body":{"text":"منتجات مختارة"},
				"action":{"catalog_id":"123","sections":[{"title":"عطور","product_items":[{"product_retailer_id":"sku-1"},{"product_retailer_id":"sku-2"}]}]}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, http.MethodPost, sendPath, f.num.AccessToken, tc.body)
			if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("status %d (%s): %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			var ok sendOK
			decodeStrict(t, r.body, &ok)
			wa := strings.TrimPrefix(tc.to, "+")
			if ok.MessagingProduct != "whatsapp" || len(ok.Contacts) != 1 || ok.Contacts[0].Input != tc.to || ok.Contacts[0].WaID != wa ||
				len(ok.Messages) != 1 || !strings.HasPrefix(ok.Messages[0].ID, "wamid.") {
				t.Fatalf("answer: %s", r.body)
			}
			if (tc.typ == "template") != (ok.Messages[0].MessageStatus == "accepted") {
				t.Errorf("message_status %q for %s", ok.Messages[0].MessageStatus, tc.typ)
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			got, err := f.emu.Wait(ctx, pnid, tc.to, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("recorded %d messages, want 1", len(got))
			}
			rec := got[0]
			if rec.ID != ok.Messages[0].ID || rec.Type != tc.typ || rec.To != wa || rec.PhoneNumberID != pnid || rec.Seq == 0 {
				t.Errorf("recorded %+v", rec)
			}
			if rec.Text() != tc.text {
				t.Errorf("Text() = %q, want %q", rec.Text(), tc.text)
			}
			if !slices.Equal(rec.ReplyIDs(), tc.replyIDs) {
				t.Errorf("ReplyIDs() = %v, want %v", rec.ReplyIDs(), tc.replyIDs)
			}
			if !json.Valid(rec.Raw) || rec.Message.MessagingProduct != "whatsapp" {
				t.Errorf("raw %s / message %+v", rec.Raw, rec.Message)
			}
			if same := f.emu.Sent(pnid, "+"+wa); len(same) != 1 || same[0].ID != rec.ID {
				t.Errorf("Sent with +: %v", same)
			}
		})
	}
	if c := f.emu.Counters(pnid); c.Accepted != len(tests) || c.Rejected != 0 {
		t.Errorf("counters %+v", c)
	}
}

func TestSendRefusedLikeMeta(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const to = "966502220000"
	text := `{"messaging_product":"whatsapp","to":"` + to + `","type":"text","text":{"body":"hi"}}`
	tests := []struct {
		name, path, token, body string
		status, code, subcode   int
		typ, details            string
	}{
		{name: "no token", token: "", body: text, status: 401, code: 190},
		{name: "wrong token", token: "not-the-token", body: text, status: 401, code: 190},
		{name: "unknown number", path: "/sandbox/graph/v23.0/999999999/messages", body: text, status: 400, code: 100, subcode: 33, typ: "GraphMethodException"},
		{name: "four buttons", body: buttonsBody(to, "أ", "ب", "ج", "د"), status: 400, code: 131009, details: "buttons count"},
		{name: "21-char button title", body: buttonsBody(to, strings.Repeat("x", 21)), status: 400, code: 131009, details: "Button title length"},
		{name: "repeated button id", body: strings.Replace(buttonsBody(to, "a", "b"), `"btn:1"`, `"btn:0"`, 1), status: 400, code: 131009, details: "unique"},
		{name: "25-char row title", body: listBody(to, 2, strings.Repeat("ع", 25), ""), status: 400, code: 131009, details: "Row title"},
		{name: "73-char row description", body: listBody(to, 2, "عطر", strings.Repeat("و", 73)), status: 400, code: 131009, details: "Row description"},
		{name: "eleven rows", body: listBody(to, 11, "عطر", ""), status: 400, code: 131009, details: "row count"},
		{name: "list without button", body: strings.Replace(listBody(to, 2, "a", ""), `"button":"الأقسام",`, "", 1), status: 400, code: 100},
		{name: "cta url not http", body: `{"messaging_product":"whatsapp","to":"` + to + `","type":"interactive","interactive":{"type":"cta_url","body":{"text":"x"},"action":{"name":"cta_url","parameters":{"display_text":"Pay","url":"javascript:alert(1)"}}}}`, status: 400, code: 131009},
		{name: "no messaging_product", body: `{"to":"` + to + `","text":{"body":"hi"}}`, status: 400, code: 100},
		{name: "other messaging_product", body: strings.Replace(text, `"whatsapp"`, `"sms"`, 1), status: 400, code: 100},
		{name: "to with letters", body: strings.Replace(text, to, "9665abc", 1), status: 400, code: 100},
		{name: "unknown type", body: `{"messaging_product":"whatsapp","to":"` + to + `","type":"carousel"}`, status: 400, code: 100},
		{name: "unknown key", body: `{"messaging_product":"whatsapp","to":"` + to + `","text":{"body":"hi","bold":true}}`, status: 400, code: 100},
		{name: "empty text", body: `{"messaging_product":"whatsapp","to":"` + to + `","text":{"body":" "}}`, status: 400, code: 100},
		{name: "text object on image type", body: `{"messaging_product":"whatsapp","to":"` + to + `","type":"image","text":{"body":"x"},"image":{"link":"https://x.test/a.jpg"}}`, status: 400, code: 100},
		{name: "template without language", body: `{"messaging_product":"whatsapp","to":"` + to + `","type":"template","template":{"name":"x"}}`, status: 400, code: 100},
		{name: "not json", body: `{"messaging_product":`, status: 400, code: 100},
		{name: "read without message id", body: `{"messaging_product":"whatsapp","status":"read"}`, status: 400, code: 100},
	}
	unauthorized, rejected := 0, 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, token := tc.path, f.num.AccessToken
			if path == "" {
				path = sendPath
			}
			if tc.status == 401 {
				token = tc.token
			}
			r := f.do(t, http.MethodPost, path, token, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			var e metaErrorBody
			decodeStrict(t, r.body, &e)
			wantType := tc.typ
			if wantType == "" {
				wantType = "OAuthException"
			}
			if e.Error.Code != tc.code || e.Error.Type != wantType || e.Error.ErrorSubcode != tc.subcode || e.Error.FbtraceID == "" || e.Error.Message == "" {
				t.Errorf("error body %s", r.body)
			}
			if tc.code == 131009 && (e.Error.Message != "(#131009) Parameter value is not valid" || e.Error.ErrorData == nil ||
				e.Error.ErrorData.MessagingProduct != "whatsapp" || !strings.Contains(e.Error.ErrorData.Details, tc.details)) {
				t.Errorf("131009 body %s, want details with %q", r.body, tc.details)
			}
			if tc.code == 100 && tc.subcode == 0 && !strings.HasPrefix(e.Error.Message, "(#100) ") {
				t.Errorf("100 message %q", e.Error.Message)
			}
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `OAuth "Facebook Platform" "invalid_token"`) {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
		if tc.status == 401 {
			unauthorized++
		} else if tc.path == "" {
			rejected++
		}
	}
	if got := f.emu.Sent(pnid, to); len(got) != 0 {
		t.Errorf("refused sends were recorded: %v", got)
	}
	if c := f.emu.Counters(pnid); c.Unauthorized != unauthorized || c.Rejected != rejected || c.Accepted != 0 {
		t.Errorf("counters %+v, want %d unauthorized and %d rejected", c, unauthorized, rejected)
	}
}

func TestStatusWebhooks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const to = "966503330000"
	start := time.Now().Unix()
	first := f.send(t, `{"messaging_product":"whatsapp","to":"`+to+`","text":{"body":"one"},"biz_opaque_callback_data":"order:42"}`)
	second := f.send(t, `{"messaging_product":"whatsapp","to":"`+to+`","text":{"body":"two"}}`)

	// A conversation's statuses arrive in order: no read without the page,
	// so the first message's sent and delivered come before the second's.
	var seen []string
	for i := range 4 {
		d, _ := f.hooks.waitFor(t, i, "status", isAnyStatus)
		s := statusOf(t, d)
		seen = append(seen, s.ID+" "+s.Status)
		if s.RecipientID != to {
			t.Errorf("recipient_id %q", s.RecipientID)
		}
		ts, err := strconv.ParseInt(s.Timestamp, 10, 64)
		if err != nil || ts < start || ts > time.Now().Unix() {
			t.Errorf("timestamp %q", s.Timestamp)
		}
		if s.Conversation == nil || s.Conversation.ID == "" || s.Conversation.Origin.Type != "service" ||
			s.Pricing == nil || s.Pricing.Category != "service" || s.Pricing.PricingModel == "" || s.Pricing.Billable {
			t.Errorf("conversation/pricing of %s: %s", s.Status, d.body)
		}
		if (s.Status == "sent") != (s.Conversation != nil && s.Conversation.ExpirationTimestamp != "") {
			t.Errorf("expiration_timestamp on %s: %s", s.Status, d.body)
		}
		if (s.ID == first) != (s.BizOpaqueCallbackData == "order:42") {
			t.Errorf("biz_opaque_callback_data: %s", d.body)
		}
	}
	want := []string{first + " sent", first + " delivered", second + " sent", second + " delivered"}
	if !slices.Equal(seen, want) {
		t.Fatalf("statuses %v, want %v", seen, want)
	}

	// Opening the chat on the page reads both.
	if r := f.do(t, http.MethodGet, "/sandbox/api/messages?phone_number_id="+pnid+"&customer="+to, "", nil); r.status != 200 {
		t.Fatalf("messages: %d %s", r.status, r.body)
	}
	_, i := f.hooks.waitFor(t, 4, "read of the first", isStatus(first, "read"))
	d, _ := f.hooks.waitFor(t, i+1, "read of the second", isStatus(second, "read"))
	if s := statusOf(t, d); s.Conversation != nil || s.Pricing != nil {
		t.Errorf("read carries conversation or pricing: %s", d.body)
	}
	// A status is recorded before its webhook is posted.
	if got := f.emu.Sent(pnid, to); got[0].Status != sandbox.StatusRead || got[1].Status != sandbox.StatusRead {
		t.Fatalf("recorded statuses %s, %s after the read webhooks", got[0].Status, got[1].Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := f.emu.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if c := f.emu.Counters(""); c.StatusesPosted != 6 || c.StatusesFailed != 0 {
		t.Errorf("counters %+v", c)
	}
}

func TestStatusWebhooksAutoRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *sandbox.Config) { c.AutoRead = true })
	const to = "966503330001"
	id := f.send(t, `{"messaging_product":"whatsapp","to":"`+to+`","type":"template","template":{"name":"hello","language":{"code":"en"}}}`)
	var got []string
	for i := range 3 {
		d, _ := f.hooks.waitFor(t, i, "status", isAnyStatus)
		s := statusOf(t, d)
		if s.ID != id {
			t.Fatalf("status of %s, want %s", s.ID, id)
		}
		if s.Status != "read" && (s.Pricing.Category != "utility" || !s.Pricing.Billable || s.Conversation.Origin.Type != "utility") {
			t.Errorf("template pricing: %s", d.body)
		}
		got = append(got, s.Status)
	}
	if !slices.Equal(got, []string{"sent", "delivered", "read"}) {
		t.Fatalf("statuses %v", got)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const to = "966504440000"
	text := `{"messaging_product":"whatsapp","to":"` + to + `","text":{"body":"hi"}}`
	refused := func(status, code int, retryAfter string) {
		t.Helper()
		r := f.do(t, http.MethodPost, sendPath, f.num.AccessToken, text)
		if r.status != status || r.header.Get("Retry-After") != retryAfter {
			t.Fatalf("status %d Retry-After %q, want %d %q: %s", r.status, r.header.Get("Retry-After"), status, retryAfter, r.body)
		}
		var e metaErrorBody
		decodeStrict(t, r.body, &e)
		if e.Error.Code != code || e.Error.Type != "OAuthException" || !strings.HasPrefix(e.Error.Message, fmt.Sprintf("(#%d) ", code)) ||
			e.Error.ErrorData == nil || e.Error.ErrorData.Details == "" || e.Error.FbtraceID == "" {
			t.Fatalf("fault body %s", r.body)
		}
	}

	f.emu.FailNext(pnid, 2, http.StatusTooManyRequests, 130429)
	f.emu.FailNext(pnid, 1, http.StatusInternalServerError, 131000)
	refused(429, 130429, "1")
	// A mark-as-read is not a send: it never takes a fault.
	if r := f.do(t, http.MethodPost, sendPath, f.num.AccessToken, `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.x"}`); r.status != 200 || string(r.body) != `{"success":true}` {
		t.Fatalf("mark as read: %d %s", r.status, r.body)
	}
	refused(429, 130429, "1")
	refused(500, 131000, "")
	ok := f.send(t, text)

	// Over HTTP, with a Retry-After of its own.
	if r := f.do(t, http.MethodPost, "/sandbox/api/faults", "", map[string]any{"phone_number_id": pnid, "count": 1, "status": 503, "code": 131016, "retry_after_seconds": 7}); r.status != http.StatusNoContent {
		t.Fatalf("faults: %d %s", r.status, r.body)
	}
	refused(503, 131016, "7")

	// Below 400 the send is accepted and fails in a status webhook.
	f.emu.FailNext(pnid, 1, 0, 131047)
	failed := f.send(t, text)
	d, _ := f.hooks.waitFor(t, 0, "failed status", isStatus(failed, "failed"))
	s := statusOf(t, d)
	if len(s.Errors) != 1 || s.Errors[0].Code != 131047 || s.Errors[0].Title != "Re-engagement message" || s.Errors[0].Message == "" ||
		s.Errors[0].ErrorData.Details == "" || s.Conversation != nil || s.Pricing != nil {
		t.Fatalf("failed status %s", d.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	got, err := f.emu.Wait(ctx, pnid, to, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != ok || got[1].ID != failed || got[1].Status != sandbox.StatusFailed || got[1].ErrorCode != 131047 {
		t.Fatalf("recorded %+v", got)
	}
	// The failed message's status webhooks are failed only: the receiver got
	// sent and delivered for ok, then failed, nothing else for failed.
	f.hooks.mu.Lock()
	for _, d := range f.hooks.got {
		if isStatus(failed, "sent")(d) || isStatus(failed, "delivered")(d) {
			t.Errorf("failed message got %s", d.body)
		}
	}
	f.hooks.mu.Unlock()

	c := f.emu.Counters(pnid)
	if c.Injected != 5 || c.Accepted != 2 || c.Reads != 1 {
		t.Errorf("counters %+v", c)
	}
	r := f.do(t, http.MethodGet, "/sandbox/api/counters?phone_number_id="+pnid, "", nil)
	var hc map[string]int
	if err := json.Unmarshal(r.body, &hc); err != nil || hc["injected"] != 5 || hc["accepted"] != 2 {
		t.Errorf("counters over HTTP: %s", r.body)
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const to = "966505550000"
	type result struct {
		got []sandbox.Recorded
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		got, err := f.emu.Wait(ctx, pnid, to, 2)
		done <- result{got, err}
	}()
	f.send(t, `{"messaging_product":"whatsapp","to":"`+to+`","text":{"body":"one"}}`)
	f.send(t, `{"messaging_product":"whatsapp","to":"`+to+`","text":{"body":"two"}}`)
	res := <-done
	if res.err != nil || len(res.got) < 2 || res.got[0].Text() != "one" || res.got[1].Text() != "two" {
		t.Fatalf("Wait: %v %v", res.got, res.err)
	}

	// A context that ends first returns what there is and the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := f.emu.Wait(ctx, pnid, to, 3)
	if err == nil || len(got) != 2 {
		t.Fatalf("Wait past its context: %d messages, err %v", len(got), err)
	}
}

func TestMarkAsRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const to = "966506660000"
	res, err := f.emu.SendAsCustomer(context.Background(), sandbox.CustomerMessage{PhoneNumberID: pnid, From: "+" + to, Name: "Sara", Text: "hello"})
	if err != nil || res.WebhookStatus != 200 {
		t.Fatalf("SendAsCustomer: %+v %v", res, err)
	}
	r := f.do(t, http.MethodPost, sendPath, f.num.AccessToken, `{"messaging_product":"whatsapp","status":"read","message_id":"`+res.ID+`","typing_indicator":{"type":"text"}}`)
	if r.status != 200 || string(r.body) != `{"success":true}` {
		t.Fatalf("mark as read: %d %s", r.status, r.body)
	}
	r = f.do(t, http.MethodGet, "/sandbox/api/messages?phone_number_id="+pnid+"&customer="+to, "", nil)
	var page struct {
		Messages []struct {
			ID, Status, Direction string
		}
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Messages) != 1 || page.Messages[0].ID != res.ID ||
		page.Messages[0].Status != "read" || page.Messages[0].Direction != "in" {
		t.Fatalf("conversation after read: %s", r.body)
	}
	if c := f.emu.Counters(pnid); c.Reads != 1 || c.Inbound != 1 {
		t.Errorf("counters %+v", c)
	}
}
