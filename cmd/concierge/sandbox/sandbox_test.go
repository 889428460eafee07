package sandbox_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"concierge/cmd/concierge/sandbox"
	"concierge/internal/gateway"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

// wait bounds every wait of these tests; nothing waits for time to pass.
const wait = 15 * time.Second

const (
	pnid       = "100200300400500"
	display    = "+966500000001"
	displayDig = "966500000001"
	waba       = "900000000000001"
)

type fixture struct {
	svc    *tenants.Service
	tenant *tenants.Tenant
	num    *tenants.Number
	emu    *sandbox.Emulator
	app    *fiber.App
	hooks  *receiver
	log    *slog.Logger
}

// newFixture builds real tenants (fresh database and Redis key space), one
// tenant with one WhatsApp number, a webhook receiver and the emulator.
func newFixture(t *testing.T, configure ...func(*sandbox.Config)) *fixture {
	t.Helper()
	env := moduletest.New(t)
	svc, log := env.Tenants, env.Log
	ctx := context.Background()
	tn, err := svc.Create(ctx, "test", tenants.CreateInput{Slug: "acme", NameEN: "Acme Perfumes", NameAR: "عطور أكمي"})
	if err != nil {
		t.Fatal(err)
	}
	num, err := svc.AddNumber(ctx, "test", "acme", tenants.NumberInput{PhoneNumberID: pnid, DisplayPhone: display, WABAID: waba,
		AccessToken: "token-" + randHex(8), AppSecret: "secret-" + randHex(8)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{svc: svc, tenant: tn, num: num, log: log}
	f.hooks = newReceiver(t, num.AppSecret)
	cfg := sandbox.Config{WebhookURL: f.hooks.srv.URL + "/webhook/whatsapp", Log: log}
	for _, c := range configure {
		c(&cfg)
	}
	f.emu = sandbox.New(cfg, svc)
	t.Cleanup(f.emu.Close)
	f.app = gateway.NewApp(gateway.AppConfig{}, log)
	f.app.Use(gateway.SecurityHeaders(), gateway.UTF8())
	f.emu.Routes(f.app)
	return f
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do calls the app in memory.
func (f *fixture) do(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// sendPath is the emulator's send endpoint for the fixture's number.
const sendPath = "/sandbox/graph/v23.0/" + pnid + "/messages"

// send posts a Cloud API send with the number's token and wants 200; it
// returns the wamid.
func (f *fixture) send(t *testing.T, body string) string {
	t.Helper()
	r := f.do(t, http.MethodPost, sendPath, f.num.AccessToken, body)
	if r.status != http.StatusOK {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	var ok sendOK
	if err := json.Unmarshal(r.body, &ok); err != nil || len(ok.Messages) != 1 {
		t.Fatalf("send answer %s: %v", r.body, err)
	}
	return ok.Messages[0].ID
}

type sendOK struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status"`
	} `json:"messages"`
}

// metaErrorBody is the Graph API's error answer, decoded strictly.
type metaErrorBody struct {
	Error struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		ErrorData    *struct {
			MessagingProduct string `json:"messaging_product"`
			Details          string `json:"details"`
		} `json:"error_data"`
		FbtraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

func decodeStrict(t *testing.T, b []byte, dst any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// receiver is the product's webhook as far as these tests need one: it
// checks the signature itself and keeps everything it was sent.
type receiver struct {
	srv    *httptest.Server
	secret string

	mu      sync.Mutex
	got     []delivery
	changed chan struct{}
	answer  int
	// react, when set, runs after a delivery is kept (for the browser test's
	// bot); it runs outside the lock.
	react func(d delivery)
}

type delivery struct {
	path, sig, userAgent, contentType string
	body                              []byte
	signed                            bool // the signature is the HMAC of the body with the secret
}

func newReceiver(t *testing.T, secret string) *receiver {
	t.Helper()
	r := &receiver{secret: secret, changed: make(chan struct{}), answer: http.StatusOK}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		sig := req.Header.Get("X-Hub-Signature-256")
		d := delivery{path: req.URL.Path, sig: sig, userAgent: req.UserAgent(), contentType: req.Header.Get("Content-Type"),
			body: body, signed: hmac.Equal([]byte(sig), []byte(want))}
		r.mu.Lock()
		r.got = append(r.got, d)
		close(r.changed)
		r.changed = make(chan struct{})
		answer, react := r.answer, r.react
		r.mu.Unlock()
		w.WriteHeader(answer)
		_, _ = w.Write([]byte(`{"ok":true}`))
		if react != nil {
			go react(d)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setAnswer(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = code
}

// waitFor returns the first delivery from index from on that match accepts,
// and its index; it fails the test after the bound.
func (r *receiver) waitFor(t *testing.T, from int, what string, match func(delivery) bool) (delivery, int) {
	t.Helper()
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for {
		r.mu.Lock()
		for i := from; i < len(r.got); i++ {
			if match(r.got[i]) {
				d := r.got[i]
				r.mu.Unlock()
				return d, i
			}
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-timeout.C:
			t.Fatalf("no webhook %s within %s", what, wait)
		}
	}
}

// ---- Meta's webhook shapes, written down independently of the package ----

type hook struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Value hookValue `json:"value"`
			Field string    `json:"field"`
		} `json:"changes"`
	} `json:"entry"`
}

type hookValue struct {
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
	Messages []hookMessage `json:"messages"`
	Statuses []hookStatus  `json:"statuses"`
}

type hookError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string `json:"href"`
}

type hookStatus struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	Timestamp    string `json:"timestamp"`
	RecipientID  string `json:"recipient_id"`
	Conversation *struct {
		ID                  string `json:"id"`
		ExpirationTimestamp string `json:"expiration_timestamp"`
		Origin              struct {
			Type string `json:"type"`
		} `json:"origin"`
	} `json:"conversation"`
	Pricing *struct {
		Billable     bool   `json:"billable"`
		PricingModel string `json:"pricing_model"`
		Category     string `json:"category"`
	} `json:"pricing"`
	BizOpaqueCallbackData string      `json:"biz_opaque_callback_data"`
	Errors                []hookError `json:"errors"`
}

type hookMessage struct {
	Context *struct {
		From string `json:"from"`
		ID   string `json:"id"`
	} `json:"context"`
	From        string                 `json:"from"`
	ID          string                 `json:"id"`
	Timestamp   string                 `json:"timestamp"`
	Type        string                 `json:"type"`
	Text        *struct{ Body string } `json:"text"`
	Interactive *struct {
		Type        string     `json:"type"`
		ButtonReply *hookReply `json:"button_reply"`
		ListReply   *hookReply `json:"list_reply"`
	} `json:"interactive"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	} `json:"location"`
	Image *struct {
		Caption  string `json:"caption"`
		MimeType string `json:"mime_type"`
		SHA256   string `json:"sha256"`
		ID       string `json:"id"`
	} `json:"image"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Errors []hookError `json:"errors"`
}

type hookReply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// parseHook checks a delivery's signature, headers and envelope, and
// returns its value.
func parseHook(t *testing.T, d delivery) hookValue {
	t.Helper()
	if !d.signed {
		t.Fatalf("webhook signature %q does not match the body under the number's app secret", d.sig)
	}
	if d.contentType != "application/json" || d.path != "/webhook/whatsapp" || d.userAgent != "facebookexternalua" {
		t.Errorf("webhook request: content type %q, path %q, user agent %q", d.contentType, d.path, d.userAgent)
	}
	var h hook
	decodeStrict(t, d.body, &h)
	if h.Object != "whatsapp_business_account" || len(h.Entry) != 1 || h.Entry[0].ID != waba || len(h.Entry[0].Changes) != 1 || h.Entry[0].Changes[0].Field != "messages" {
		t.Fatalf("webhook envelope: %s", d.body)
	}
	v := h.Entry[0].Changes[0].Value
	if v.MessagingProduct != "whatsapp" || v.Metadata.PhoneNumberID != pnid || v.Metadata.DisplayPhoneNumber != displayDig {
		t.Fatalf("webhook value: %s", d.body)
	}
	return v
}

func statusOf(t *testing.T, d delivery) hookStatus {
	t.Helper()
	v := parseHook(t, d)
	if len(v.Statuses) != 1 || len(v.Messages) != 0 || len(v.Contacts) != 0 {
		t.Fatalf("want one status: %s", d.body)
	}
	return v.Statuses[0]
}

// isStatus matches the status webhook of one message.
func isStatus(id, status string) func(delivery) bool {
	return func(d delivery) bool {
		return bytes.Contains(d.body, []byte(`"statuses"`)) && bytes.Contains(d.body, []byte(`"id":"`+id+`"`)) &&
			bytes.Contains(d.body, []byte(`"status":"`+status+`"`))
	}
}

func isAnyStatus(d delivery) bool { return bytes.Contains(d.body, []byte(`"statuses"`)) }

func isMessage(id string) func(delivery) bool {
	return func(d delivery) bool {
		return bytes.Contains(d.body, []byte(`"messages"`)) && bytes.Contains(d.body, []byte(`"id":"`+id+`"`))
	}
}
