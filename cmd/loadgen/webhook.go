package main

import (
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The webhook scenario posts signed Meta Cloud API webhooks, one new inbound
// text message each, to the product's WhatsApp webhook:
//
//	{"object":"whatsapp_business_account","entry":[{"id":"<WABA id>","changes":[{"field":"messages",
//	 "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"…","phone_number_id":"…"},
//	 "contacts":[{"profile":{"name":"Bench 17"},"wa_id":"9665900000017"}],
//	 "messages":[{"from":"9665900000017","id":"wamid.bench.<token>.<n>","timestamp":"<unix>",
//	 "type":"text","text":{"body":"…"}}]}}]}]}
//
// Every message id is unique within the run (n counts up from 1) and across
// runs (token is random per run), so the messages table can be checked for
// exactly-once storage afterwards: see deploy/bench.sh.
const (
	webhookScenario = "webhook"
	webhookPath     = "/webhook/whatsapp"
	// webhookIDPrefix starts every message id the scenario sends; the run
	// token and the request number follow, separated by dots.
	webhookIDPrefix = "wamid.bench."
	// The seeded demo number (cmd/concierge seed demo). Only phone_number_id
	// routes a webhook; the others are there for a realistic payload.
	webhookDisplayPhone = "966500000000"
	webhookWABAID       = "100000000000000"
	// webhookCustomerPrefix and 8 digits make a customer's wa_id.
	webhookCustomerPrefix = "96659"
	webhookCustomerDigits = 8
	maxWebhookCustomers   = 99_999_999
)

// webhookTexts is what the bench customers say: short, bilingual, the way
// conversations with a store open. Nothing here asks for an agent or to stop
// messages, which would take a conversation off the bot's normal path.
var webhookTexts = []string{
	"مرحبا",
	"السلام عليكم",
	"أبغى أطلب",
	"hello",
	"menu",
	"كم السعر؟",
	"القائمة",
	"هلا، وش عندكم اليوم؟",
	"متى تفتحون؟",
	"hi, I'd like to order",
	"how much is delivery?",
	"أبي أشوف المنتجات",
}

// webhookOptions are the -webhook-* flags.
type webhookOptions struct {
	secret    string // app secret the payloads are signed with
	pnid      string // phone_number_id the payloads are for
	customers int    // size of the customer pool, used round-robin
	token     string // per-run token in every message id
}

var (
	tokenRE = regexp.MustCompile(`^[0-9a-f]{4,32}$`)
	pnidRE  = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// newRunToken is 8 random hex digits.
func newRunToken() (string, error) {
	var b [4]byte
	if _, err := crand.Read(b[:]); err != nil {
		return "", fmt.Errorf("webhook run token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func (o webhookOptions) validate() error {
	switch {
	case o.secret == "":
		return fmt.Errorf("-webhook-secret must not be empty")
	case !pnidRE.MatchString(o.pnid):
		return fmt.Errorf("bad -webhook-pnid %q: want the digits of a phone_number_id", o.pnid)
	case o.customers < 1 || o.customers > maxWebhookCustomers:
		return fmt.Errorf("-webhook-customers must be 1 to %d", maxWebhookCustomers)
	case !tokenRE.MatchString(o.token):
		return fmt.Errorf("bad -webhook-token %q: want 4 to 32 lowercase hex digits", o.token)
	}
	return nil
}

// webhookGen builds the scenario's payloads. It is safe for concurrent use.
type webhookGen struct {
	opts   webhookOptions
	secret []byte
	idStem string   // wamid.bench.<token>.
	texts  [][]byte // webhookTexts as JSON strings
	n      atomic.Uint64
	now    func() time.Time
	pick   func(n int) int // which text; rand.IntN unless a test fixes it
}

func newWebhookGen(o webhookOptions) (*webhookGen, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	g := &webhookGen{
		opts:   o,
		secret: []byte(o.secret),
		idStem: webhookIDPrefix + o.token + ".",
		now:    time.Now,
		pick:   rand.IntN,
	}
	for _, t := range webhookTexts {
		q, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		g.texts = append(g.texts, q)
	}
	return g, nil
}

// newWebhookRequest is the webhook scenario's Dynamic: every call makes a new
// message with its own id, signed.
func newWebhookRequest(cfg config) (Request, error) {
	g, err := newWebhookGen(cfg.webhook)
	if err != nil {
		return nil, err
	}
	return g.fill, nil
}

func (g *webhookGen) fill(t *vegeta.Target) error {
	_, body := g.next()
	t.Body = body
	t.Header.Set("Content-Type", "application/json")
	t.Header.Set("X-Hub-Signature-256", signWebhook(body, g.secret))
	return nil
}

// next returns the run's next request number (1, 2, ...) and its payload.
func (g *webhookGen) next() (uint64, []byte) {
	n := g.n.Add(1)
	return n, g.payload(n, g.now(), g.pick(len(g.texts)))
}

// customer is the pool member (1..customers) that sends message n.
func (g *webhookGen) customer(n uint64) uint64 {
	return (n-1)%uint64(g.opts.customers) + 1
}

// payload is message n, sent at at, saying webhookTexts[text]. It is built by
// appending: the fixed parts need no escaping (digits and hex, checked by
// validate), the texts are encoded once.
func (g *webhookGen) payload(n uint64, at time.Time, text int) []byte {
	c := g.customer(n)
	var wa [len(webhookCustomerPrefix) + webhookCustomerDigits]byte
	w := append(wa[:0], webhookCustomerPrefix...)
	w = appendPadded(w, c, webhookCustomerDigits)

	b := make([]byte, 0, 640)
	b = append(b, `{"object":"whatsapp_business_account","entry":[{"id":"`...)
	b = append(b, webhookWABAID...)
	b = append(b, `","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"`...)
	b = append(b, webhookDisplayPhone...)
	b = append(b, `","phone_number_id":"`...)
	b = append(b, g.opts.pnid...)
	b = append(b, `"},"contacts":[{"profile":{"name":"Bench `...)
	b = strconv.AppendUint(b, c, 10)
	b = append(b, `"},"wa_id":"`...)
	b = append(b, w...)
	b = append(b, `"}],"messages":[{"from":"`...)
	b = append(b, w...)
	b = append(b, `","id":"`...)
	b = append(b, g.idStem...)
	b = strconv.AppendUint(b, n, 10)
	b = append(b, `","timestamp":"`...)
	b = strconv.AppendInt(b, at.Unix(), 10)
	b = append(b, `","type":"text","text":{"body":`...)
	b = append(b, g.texts[text]...)
	b = append(b, `}}]}}]}]}`...)
	return b
}

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(b []byte, v uint64, width int) []byte {
	var d [20]byte
	s := strconv.AppendUint(d[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// signWebhook is the X-Hub-Signature-256 Meta sends with body:
// "sha256=" + hex(HMAC-SHA256(body, secret)).
func signWebhook(body, secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
