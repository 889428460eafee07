package sandbox_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"concierge/cmd/concierge/sandbox"
	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/tenants"
)

type sendAnswer struct {
	ID            string `json:"id"`
	Seq           int64  `json:"seq"`
	WebhookStatus int    `json:"webhook_status"`
	WebhookAnswer string `json:"webhook_answer"`
}

func TestCustomerSendPostsMetaWebhooks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const cust = "966507770000"
	// The bot has offered buttons, then a list.
	buttons := f.send(t, buttonsBody(cust, "نعم", "لا"))
	list := f.send(t, listBody(cust, 3, "عطر", "وصف"))
	template := f.send(t, `{"messaging_product":"whatsapp","to":"`+cust+`","type":"template","template":{"name":"t","language":{"code":"ar"}}}`)

	start := time.Now().Unix()
	tests := []struct {
		name  string
		req   map[string]any
		check func(t *testing.T, m hookMessage)
	}{
		{name: "text", req: map[string]any{"text": "مرحبا *بكم*"}, check: func(t *testing.T, m hookMessage) {
			if m.Type != "text" || m.Text == nil || m.Text.Body != "مرحبا *بكم*" || m.Context != nil {
				t.Errorf("text message %+v", m)
			}
		}},
		{name: "button reply answers the buttons", req: map[string]any{"button_reply": map[string]string{"id": "btn:1", "title": "لا"}}, check: func(t *testing.T, m hookMessage) {
			if m.Type != "interactive" || m.Interactive == nil || m.Interactive.Type != "button_reply" || m.Interactive.ListReply != nil ||
				*m.Interactive.ButtonReply != (hookReply{ID: "btn:1", Title: "لا"}) {
				t.Errorf("button reply %+v", m.Interactive)
			}
			if m.Context == nil || m.Context.ID != buttons || m.Context.From != displayDig {
				t.Errorf("context %+v, want the buttons message %s", m.Context, buttons)
			}
		}},
		{name: "list reply", req: map[string]any{"list_reply": map[string]string{"id": "row:2", "title": "صنف 2", "description": "وصف"}, "context_id": list}, check: func(t *testing.T, m hookMessage) {
			if m.Type != "interactive" || m.Interactive.Type != "list_reply" || m.Interactive.ButtonReply != nil ||
				*m.Interactive.ListReply != (hookReply{ID: "row:2", Title: "صنف 2", Description: "وصف"}) {
				t.Errorf("list reply %+v", m.Interactive)
			}
			if m.Context == nil || m.Context.ID != list {
				t.Errorf("context %+v", m.Context)
			}
		}},
		{name: "template quick reply", req: map[string]any{"template_button": map[string]string{"payload": "track:42", "text": "تتبع"}}, check: func(t *testing.T, m hookMessage) {
			if m.Type != "button" || m.Button == nil || m.Button.Payload != "track:42" || m.Button.Text != "تتبع" || m.Context == nil || m.Context.ID != template {
				t.Errorf("template button %+v %+v", m.Button, m.Context)
			}
		}},
		{name: "location", req: map[string]any{"location": map[string]any{"latitude": 24.7136, "longitude": 46.6753, "name": "الرياض", "address": "طريق الملك فهد"}}, check: func(t *testing.T, m hookMessage) {
			if m.Type != "location" || m.Location == nil || m.Location.Latitude != 24.7136 || m.Location.Longitude != 46.6753 || m.Location.Name != "الرياض" || m.Location.Address != "طريق الملك فهد" {
				t.Errorf("location %+v", m.Location)
			}
		}},
		{name: "image", req: map[string]any{"image": map[string]string{"caption": "هذا المنتج؟"}}, check: func(t *testing.T, m hookMessage) {
			if m.Type != "image" || m.Image == nil || m.Image.Caption != "هذا المنتج؟" || m.Image.MimeType != "image/png" || m.Image.ID == "" || m.Image.SHA256 == "" {
				t.Fatalf("image %+v", m.Image)
			}
			// The product can fetch it the Cloud API way.
			r := f.do(t, http.MethodGet, "/sandbox/graph/v23.0/"+m.Image.ID, f.num.AccessToken, nil)
			var info struct {
				MessagingProduct string `json:"messaging_product"`
				URL              string `json:"url"`
				MimeType         string `json:"mime_type"`
				SHA256           string `json:"sha256"`
				FileSize         int    `json:"file_size"`
				ID               string `json:"id"`
			}
			decodeStrict(t, r.body, &info)
			if r.status != 200 || info.ID != m.Image.ID || info.MimeType != "image/png" || info.SHA256 != m.Image.SHA256 || !strings.HasSuffix(info.URL, "/sandbox/media/"+m.Image.ID) {
				t.Fatalf("media info %d %s", r.status, r.body)
			}
			if r := f.do(t, http.MethodGet, "/sandbox/media/"+m.Image.ID, "wrong", nil); r.status != 401 {
				t.Errorf("media download with a wrong token: %d", r.status)
			}
			r = f.do(t, http.MethodGet, "/sandbox/media/"+m.Image.ID, f.num.AccessToken, nil)
			sum := sha256.Sum256(r.body)
			if r.status != 200 || r.header.Get("Content-Type") != "image/png" || len(r.body) != info.FileSize || base64.StdEncoding.EncodeToString(sum[:]) != m.Image.SHA256 {
				t.Errorf("media download %d %s, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
			}
			if r := f.do(t, http.MethodGet, "/sandbox/api/media/"+m.Image.ID, "", nil); r.status != 200 || !bytes.HasPrefix(r.body, []byte("\x89PNG")) {
				t.Errorf("page media %d", r.status)
			}
		}},
		{name: "reaction to the newest bot message", req: map[string]any{"reaction": map[string]string{"emoji": "👍"}}, check: func(t *testing.T, m hookMessage) {
			if m.Type != "reaction" || m.Reaction == nil || m.Reaction.MessageID != template || m.Reaction.Emoji != "👍" || m.Context != nil {
				t.Errorf("reaction %+v", m.Reaction)
			}
		}},
		{name: "unknown", req: map[string]any{"unknown": true}, check: func(t *testing.T, m hookMessage) {
			if m.Type != "unknown" || len(m.Errors) != 1 || m.Errors[0].Code != 131051 || m.Errors[0].Title == "" || m.Errors[0].ErrorData.Details == "" {
				t.Errorf("unknown %+v", m)
			}
		}},
		{name: "by tenant slug", req: map[string]any{"tenant": "acme", "phone_number_id": "", "text": "by slug"}, check: func(t *testing.T, m hookMessage) {
			if m.Text == nil || m.Text.Body != "by slug" {
				t.Errorf("message %+v", m)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := map[string]any{"phone_number_id": pnid, "customer": "+966 50 777 0000", "name": "نورة"}
			for k, v := range tc.req {
				req[k] = v
			}
			r := f.do(t, http.MethodPost, "/sandbox/api/send", "", req)
			if r.status != 200 {
				t.Fatalf("send: %d %s", r.status, r.body)
			}
			var a sendAnswer
			decodeStrict(t, r.body, &a)
			if !strings.HasPrefix(a.ID, "wamid.") || a.WebhookStatus != 200 || a.Seq == 0 || a.WebhookAnswer != `{"ok":true}` {
				t.Fatalf("answer %s", r.body)
			}
			d, _ := f.hooks.waitFor(t, 0, "for "+a.ID, isMessage(a.ID))
			v := parseHook(t, d)
			if len(v.Statuses) != 0 || len(v.Contacts) != 1 || v.Contacts[0].WaID != cust || v.Contacts[0].Profile.Name != "نورة" || len(v.Messages) != 1 {
				t.Fatalf("inbound value: %s", d.body)
			}
			m := v.Messages[0]
			ts, err := strconv.ParseInt(m.Timestamp, 10, 64)
			if m.From != cust || m.ID != a.ID || err != nil || ts < start || ts > time.Now().Unix() {
				t.Errorf("message from %q id %q timestamp %q", m.From, m.ID, m.Timestamp)
			}
			tc.check(t, m)
		})
	}
	if c := f.emu.Counters(pnid); c.Inbound != len(tests) || c.InboundFailed != 0 {
		t.Errorf("counters %+v", c)
	}
}

func TestCustomerSendErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := func(kv ...any) map[string]any {
		m := map[string]any{"phone_number_id": pnid, "customer": "966508880000", "name": "Omar"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{name: "two kinds", body: base("text", "hi", "unknown", true), status: 422, field: "message"},
		{name: "no kind", body: base(), status: 422, field: "message"},
		{name: "bad customer", body: base("text", "hi", "customer", "+966 abc"), status: 422, field: "customer"},
		{name: "short customer", body: base("text", "hi", "customer", "12345"), status: 422, field: "customer"},
		{name: "reply without title", body: base("button_reply", map[string]string{"id": "x"}), status: 422, field: "button_reply.title"},
		{name: "reaction with nothing to react to", body: base("reaction", map[string]string{"emoji": "👍"}), status: 422, field: "reaction.message_id"},
		{name: "unknown field", body: base("text", "hi", "video", map[string]string{}), status: 422, field: "video"},
		{name: "unknown number", body: base("text", "hi", "phone_number_id", "777"), status: 404},
		{name: "unknown tenant", body: base("text", "hi", "phone_number_id", "", "tenant", "nobody"), status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, http.MethodPost, "/sandbox/api/send", "", tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			var p httpx.Problem
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field || p.Errors[0].MessageAr == "") {
				t.Errorf("problem %s, want field %q", r.body, tc.field)
			}
		})
	}

	// The product's own answer comes back as the status, and marks the
	// message failed.
	f.hooks.setAnswer(http.StatusInternalServerError)
	r := f.do(t, http.MethodPost, "/sandbox/api/send", "", base("text", "boom"))
	var a sendAnswer
	if err := json.Unmarshal(r.body, &a); err != nil || r.status != 500 || a.WebhookStatus != 500 {
		t.Fatalf("webhook 500: %d %s", r.status, r.body)
	}
	r = f.do(t, http.MethodGet, "/sandbox/api/messages?phone_number_id="+pnid+"&customer=966508880000", "", nil)
	if !bytes.Contains(r.body, []byte(`"status":"failed"`)) || !bytes.Contains(r.body, []byte(`"webhook_status":500`)) {
		t.Errorf("failed message: %s", r.body)
	}
	if c := f.emu.Counters(pnid); c.Inbound != 1 || c.InboundFailed != 1 {
		t.Errorf("counters %+v", c)
	}
}

func TestCustomerSendWebhookDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/webhook/whatsapp"
	_ = ln.Close()
	f := newFixture(t, func(c *sandbox.Config) { c.WebhookURL = closed })
	_, err = f.emu.SendAsCustomer(context.Background(), sandbox.CustomerMessage{PhoneNumberID: pnid, From: "966509990000", Text: "hi"})
	if errs.CodeOf(err) != errs.CodeUnavailable {
		t.Fatalf("webhook down: %v", err)
	}
	r := f.do(t, http.MethodPost, "/sandbox/api/send", "", map[string]any{"phone_number_id": pnid, "customer": "966509990000", "text": "hi"})
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestMessagesAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const cust = "966501212121"
	q := "/sandbox/api/messages?phone_number_id=" + pnid + "&customer=%2B" + cust
	type page struct {
		Cursor   int64 `json:"cursor"`
		Messages []struct {
			Seq           int64           `json:"seq"`
			Rev           int64           `json:"rev"`
			Direction     string          `json:"direction"`
			ID            string          `json:"id"`
			Type          string          `json:"type"`
			Timestamp     int64           `json:"timestamp"`
			Status        string          `json:"status"`
			WebhookStatus int             `json:"webhook_status"`
			Message       json.RawMessage `json:"message"`
		} `json:"messages"`
	}
	get := func(after int64) page {
		t.Helper()
		r := f.do(t, http.MethodGet, q+"&after="+strconv.FormatInt(after, 10), "", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("messages: %d %s", r.status, r.body)
		}
		var p page
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := get(0); len(p.Messages) != 0 {
		t.Fatalf("empty conversation: %+v", p)
	}
	in, err := f.emu.SendAsCustomer(context.Background(), sandbox.CustomerMessage{PhoneNumberID: pnid, From: cust, Text: "أريد عطرًا"})
	if err != nil {
		t.Fatal(err)
	}
	out := f.send(t, `{"messaging_product":"whatsapp","to":"`+cust+`","text":{"body":"أهلًا"}}`)
	p := get(0)
	if len(p.Messages) != 2 || p.Cursor == 0 {
		t.Fatalf("conversation %+v", p)
	}
	a, b := p.Messages[0], p.Messages[1]
	if a.Direction != "in" || a.ID != in.ID || a.Type != "text" || a.Status != "delivered" || a.WebhookStatus != 200 || a.Timestamp == 0 ||
		!bytes.Contains(a.Message, []byte(`"body":"أريد عطرًا"`)) {
		t.Errorf("customer entry %+v %s", a, a.Message)
	}
	if b.Direction != "out" || b.ID != out || b.Type != "text" || b.Seq <= a.Seq || !bytes.Contains(b.Message, []byte(`"body":"أهلًا"`)) {
		t.Errorf("bot entry %+v %s", b, b.Message)
	}
	// After the cursor come only new or changed messages.
	next := get(p.Cursor)
	for _, m := range next.Messages {
		if m.Rev <= p.Cursor {
			t.Errorf("unchanged message %d returned after cursor %d", m.Seq, p.Cursor)
		}
	}
	third, err := f.emu.SendAsCustomer(context.Background(), sandbox.CustomerMessage{PhoneNumberID: pnid, From: cust, Unknown: true})
	if err != nil {
		t.Fatal(err)
	}
	last := get(next.Cursor)
	found := false
	for _, m := range last.Messages {
		found = found || m.ID == third.ID
	}
	if !found {
		t.Errorf("new message missing after the cursor: %+v", last)
	}
	if r := f.do(t, http.MethodGet, "/sandbox/api/messages?phone_number_id="+pnid+"&customer=abc", "", nil); r.status != 422 {
		t.Errorf("bad customer: %d", r.status)
	}
}

func TestNumbersAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, "test", tenants.CreateInput{Slug: "oud", NameEN: "Oud House", NameAR: "بيت العود"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddNumber(ctx, "test", "oud", tenants.NumberInput{PhoneNumberID: "555000111", DisplayPhone: "+971500000002", AccessToken: "a", AppSecret: "b"}); err != nil {
		t.Fatal(err)
	}
	r := f.do(t, http.MethodGet, "/sandbox/api/numbers", "", nil)
	var body struct {
		Numbers []struct {
			PhoneNumberID string `json:"phone_number_id"`
			DisplayPhone  string `json:"display_phone"`
			TenantSlug    string `json:"tenant_slug"`
			TenantNameAR  string `json:"tenant_name_ar"`
			TenantNameEN  string `json:"tenant_name_en"`
			Status        string `json:"status"`
		} `json:"numbers"`
	}
	decodeStrict(t, r.body, &body)
	got := map[string]string{}
	for _, n := range body.Numbers {
		got[n.PhoneNumberID] = n.TenantSlug + "|" + n.TenantNameAR + "|" + n.TenantNameEN + "|" + n.DisplayPhone + "|" + n.Status
	}
	if got[pnid] != "acme|عطور أكمي|Acme Perfumes|"+display+"|active" || got["555000111"] != "oud|بيت العود|Oud House|+971500000002|active" || len(got) != 2 {
		t.Fatalf("numbers %s", r.body)
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do(t, http.MethodGet, "/sandbox", "", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("page: %d %q", r.status, r.header.Get("Content-Type"))
	}
	html := string(r.body)
	csp := r.header.Get("Content-Security-Policy")
	i := strings.Index(csp, "script-src 'nonce-")
	if i < 0 {
		t.Fatalf("CSP %q", csp)
	}
	nonce := csp[i+len("script-src 'nonce-"):]
	nonce = nonce[:strings.IndexByte(nonce, '\'')]
	for _, want := range []string{
		`<html lang="ar" dir="rtl">`, `<meta charset="utf-8">`, `<script nonce="` + nonce + `">`, `<style nonce="` + nonce + `">`,
		"اكتب رسالة", "رقم المتجر", "رقم العميل", "إرسال موقع", "نوع غير مدعوم", // Arabic UI
		"Type a message", "Store number", // and English
		`dir="auto"`, `role="log"`, `<label for="text"`, `<button type="submit"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Every word is filled in from the catalog: no marker left, no message
	// id shown for a missing message.
	for _, banned := range []string{`src="http`, `href="http`, "<link", "{{", "sandbox.page.", "@import"} {
		if strings.Contains(html, banned) {
			t.Errorf("page loads from elsewhere or is unfilled: %q", banned)
		}
	}
	if again := f.do(t, http.MethodGet, "/sandbox", "", nil); strings.Contains(again.header.Get("Content-Security-Policy"), nonce) {
		t.Error("the nonce repeats between requests")
	}
}
