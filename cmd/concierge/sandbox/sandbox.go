// Package sandbox is a development tool, not part of the product: the
// WhatsApp sandbox that `concierge dev` and the tests run in place of Meta.
// It has a Cloud API emulator that accepts what the product sends (checked
// like Meta checks it), records it and answers with signed status webhooks,
// a customer side that posts signed inbound webhooks exactly as Meta would,
// and a chat page at /sandbox where anyone can play a customer of any
// tenant. The composition root mounts it only when SANDBOX_ENABLED is on,
// which production refuses; everything it remembers lives in memory.
//
// # Why it declares Meta's wire types again
//
// The product's Cloud API client (modules/whatsapp/cloudapi) has its own
// types for webhooks and outgoing messages. The sandbox does not import
// them: its Message, Interactive, Template, inbound message and webhook
// types are written again from Meta's documentation, and its decoder
// refuses keys Meta does not know. That makes it an independent check of
// what the client sends: a field the client misnames, misplaces or leaves
// out fails here as it would at Meta, instead of passing because both
// sides share the same mistake. Keep them apart; change them only to follow
// Meta.
//
// The page's words and the customer API's errors come from the message
// catalog (internal/i18n/messages/sandbox.*.toml).
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/tenants"
)

// DefaultWebhookURL is where webhooks go when Config.WebhookURL is empty.
const DefaultWebhookURL = "http://127.0.0.1:8080/webhook/whatsapp"

// MaxPerConversation bounds what is remembered of one conversation (one
// business number and one customer); older messages are forgotten first.
const MaxPerConversation = 500

// Delivery statuses of a recorded message. A bot message goes accepted → sent
// → delivered → read, or to failed; a customer message is sent when the
// sandbox posts it, delivered when the product answers 2xx, read when the
// product marks it read, failed when the product answers anything else.
const (
	StatusAccepted  = "accepted"
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
)

// Numbers finds tenants and their WhatsApp numbers; *tenants.Service
// implements it.
type Numbers interface {
	// ResolveNumber returns the tenant and the number (secrets opened) that
	// own phoneNumberID: not_found when none does, forbidden when the tenant
	// is suspended or the number disabled.
	ResolveNumber(ctx context.Context, phoneNumberID string) (*tenants.Tenant, *tenants.Number, error)
	// List returns every tenant.
	List(ctx context.Context) ([]tenants.Tenant, error)
	// Numbers lists a tenant's numbers without their secrets: not_found for
	// an unknown tenant.
	Numbers(ctx context.Context, idOrSlug string) ([]tenants.Number, error)
}

// Config configures the emulator. Zero values take the defaults in
// parentheses.
type Config struct {
	// WebhookURL receives the status and inbound webhooks
	// (DefaultWebhookURL).
	WebhookURL string
	// HTTPClient posts the webhooks (a client with a 10 s timeout).
	HTTPClient *http.Client
	// Log receives the emulator's own log lines (discarded).
	Log *slog.Logger
	// AutoRead posts a read status after delivered for every bot message.
	// When false, read is posted only while the /sandbox page has that chat
	// open (it polled it within the last few seconds), or when it next opens
	// it, as a phone would.
	AutoRead bool
	// StatusDelay is waited before the first status webhook of a send (0):
	// Meta's arrive about a second after the send's answer.
	StatusDelay time.Duration
	// Catalog holds the page's words (i18n.MustLoad()).
	Catalog *i18n.Catalog
}

// Emulator is the WhatsApp sandbox: the Cloud API emulator, the customer
// side and the page. It is safe for concurrent use.
type Emulator struct {
	cfg     Config
	numbers Numbers
	log     *slog.Logger
	client  *http.Client
	v       *httpx.Validator

	ctx    context.Context // cancelled by Close; bounds background posts
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	convs    map[convKey]*conversation
	byID     map[string]*entry // wamid → entry, for statuses and mark-as-read
	faults   map[string][]*Fault
	delays   map[string][]*Delay
	holding  map[string]int // sends whose answer is being held, per number
	release  chan struct{}  // closed by ReleaseDelays
	counters map[string]*Counters
	media    mediaStore
	seq      int64         // last message sequence number
	rev      int64         // last change number (new message or new status)
	pending  int           // status jobs queued or running
	changed  chan struct{} // closed and replaced on every change

	// templates are the message templates per WABA id that SetTemplates
	// changed (others list DefaultTemplates); templateFaults the failures
	// queued for their next reads (FailTemplates). Both made on first use.
	templates      map[string][]TemplateInfo
	templateFaults map[string][]*Fault

	pageOnce sync.Once
	pageText string // the chat page with its words (pageHTML)
}

// New builds the emulator. Call Close when done with it.
func New(cfg Config, numbers Numbers) *Emulator {
	if cfg.WebhookURL == "" {
		cfg.WebhookURL = DefaultWebhookURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Catalog == nil {
		cfg.Catalog = i18n.MustLoad()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Emulator{
		cfg: cfg, numbers: numbers, log: cfg.Log.With("component", "sandbox"), client: cfg.HTTPClient, v: httpx.NewValidator(),
		ctx: ctx, cancel: cancel,
		convs: map[convKey]*conversation{}, byID: map[string]*entry{},
		faults: map[string][]*Fault{}, counters: map[string]*Counters{},
		delays: map[string][]*Delay{}, holding: map[string]int{}, release: make(chan struct{}),
		media:   mediaStore{items: map[string]*mediaItem{}},
		changed: make(chan struct{}),
	}
}

// Close stops posting webhooks and waits for background posts to end.
func (e *Emulator) Close() {
	e.mu.Lock() // queueStatuses checks and adds under the lock
	e.cancel()
	e.mu.Unlock()
	e.wg.Wait()
}

// Recorded is one message the product sent through the emulator.
type Recorded struct {
	// Seq orders every message the sandbox knows, across conversations.
	Seq int64
	// ID is the wamid the emulator answered with.
	ID            string
	PhoneNumberID string
	// To is the recipient's WhatsApp id (digits).
	To string
	// Type is text, interactive, image or template.
	Type string
	// Message is the request as the product sent it.
	Message Message
	// Raw is the request body, compacted.
	Raw []byte
	// Status is the last status the emulator reported (see the Status
	// constants); ErrorCode is set when it failed.
	Status    string
	ErrorCode int
	At        time.Time
}

// Text returns the text a customer would read first: the body of a text,
// interactive or template message, or an image's caption.
func (r Recorded) Text() string {
	m := r.Message
	switch {
	case m.Text != nil:
		return m.Text.Body
	case m.Interactive != nil && m.Interactive.Body != nil:
		return m.Interactive.Body.Text
	case m.Image != nil:
		return m.Image.Caption
	case m.Template != nil:
		var parts []string
		for _, c := range m.Template.Components {
			if strings.EqualFold(c.Type, "body") {
				for _, p := range c.Parameters {
					parts = append(parts, p.Text)
				}
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// ReplyIDs returns the ids a customer can answer with: reply button ids or
// list row ids, in order.
func (r Recorded) ReplyIDs() []string {
	in := r.Message.Interactive
	if in == nil {
		return nil
	}
	var ids []string
	for _, b := range in.Action.Buttons {
		if b.Reply != nil {
			ids = append(ids, b.Reply.ID)
		}
	}
	for _, s := range in.Action.Sections {
		for _, row := range s.Rows {
			ids = append(ids, row.ID)
		}
	}
	return ids
}

// Sent returns the messages the product sent to customer from phoneNumberID
// that are still remembered, oldest first. customer is a WhatsApp id or an
// E.164 number.
func (e *Emulator) Sent(phoneNumberID, customer string) []Recorded {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sentLocked(convKey{phoneNumberID, waID(customer)})
}

// Wait blocks until the product has sent at least n messages to customer
// from phoneNumberID since the emulator started, and returns those still
// remembered. It returns what there is and an error when ctx ends first.
func (e *Emulator) Wait(ctx context.Context, phoneNumberID, customer string, n int) ([]Recorded, error) {
	k := convKey{phoneNumberID, waID(customer)}
	for {
		e.mu.Lock()
		got := 0
		if c := e.convs[k]; c != nil {
			got = c.botTotal
		}
		if got >= n {
			out := e.sentLocked(k)
			e.mu.Unlock()
			return out, nil
		}
		ch := e.changed
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return e.Sent(phoneNumberID, customer), fmt.Errorf("sandbox: waiting for %d messages to %s from %s, got %d: %w", n, k.wa, phoneNumberID, got, ctx.Err())
		}
	}
}

// Flush blocks until every status webhook queued so far has been posted (or
// given up after retries), so counters and the receiver's view are settled.
// It returns ctx's error when ctx ends first.
func (e *Emulator) Flush(ctx context.Context) error {
	for {
		e.mu.Lock()
		pending, ch := e.pending, e.changed
		e.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("sandbox: %d status jobs still pending: %w", pending, ctx.Err())
		}
	}
}

// Fault is a failure injected into the next sends of a number.
type Fault struct {
	// Count is how many sends fail.
	Count int
	// Status is the HTTP status of the answer. Below 400 (0 included) the send
	// is accepted and recorded, and then fails asynchronously: a failed
	// status webhook carrying Code is posted instead of sent and delivered,
	// as Meta reports 131047 (re-engagement) or 131026 (undeliverable).
	Status int
	// Code is Meta's error code (131000 when zero).
	Code int
	// RetryAfter, when positive, is sent in a Retry-After header (whole
	// seconds, at least 1).
	RetryAfter time.Duration
	// Details replaces the default error_data.details text.
	Details string
}

// FailNext makes the next n sends of phoneNumberID fail with the HTTP status
// and Meta error code given (status below 400: accepted, then a failed status
// webhook). 429 and 503 answers carry Retry-After: 1. Mark-as-read requests
// are not sends and are never failed. Faults queue up in the order given.
func (e *Emulator) FailNext(phoneNumberID string, n, status, code int) {
	f := Fault{Count: n, Status: status, Code: code}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		f.RetryAfter = time.Second
	}
	e.Inject(phoneNumberID, f)
}

// Inject queues a fault for the next sends of phoneNumberID.
func (e *Emulator) Inject(phoneNumberID string, f Fault) {
	if f.Count <= 0 {
		return
	}
	if f.Code == 0 {
		f.Code = 131000
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults[phoneNumberID] = append(e.faults[phoneNumberID], &f)
}

// takeFaultLocked consumes one send's worth of the first queued fault.
func (e *Emulator) takeFaultLocked(phoneNumberID string) *Fault {
	q := e.faults[phoneNumberID]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	q[0].Count--
	if q[0].Count <= 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(e.faults, phoneNumberID)
	} else {
		e.faults[phoneNumberID] = q
	}
	return &f
}

// Delay is a slow answer injected into the next sends of a number, as when
// the Cloud API (or the network to it) stalls: the caller's HTTP call hangs
// and may give up, or its process die, before the answer comes.
type Delay struct {
	// Count is how many sends are delayed.
	Count int
	// For is how long each answer is held; ReleaseDelays and Close end every
	// hold at once.
	For time.Duration
	// Accept takes the message before holding the answer: it is recorded
	// (faults apply as usual) and its status webhooks are posted while the
	// caller still waits, as Meta does when it took a message whose answer
	// is lost. Without Accept nothing is recorded and, after the hold, the
	// answer is 503 (Meta never took the message; a caller that gave up
	// first cannot know that).
	Accept bool
}

// DelayNext holds the answers to the next sends of phoneNumberID as d says.
// Mark-as-read requests are never delayed. Delays queue up in the order
// given, ahead of faults (a send that is not accepted consumes no fault).
func (e *Emulator) DelayNext(phoneNumberID string, d Delay) {
	if d.Count <= 0 || d.For <= 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delays[phoneNumberID] = append(e.delays[phoneNumberID], &d)
}

// ReleaseDelays answers every held send now and drops the delays not used
// yet.
func (e *Emulator) ReleaseDelays() {
	e.mu.Lock()
	defer e.mu.Unlock()
	close(e.release)
	e.release = make(chan struct{})
	clear(e.delays)
}

// Holding is how many sends of phoneNumberID (every number when empty) are
// waiting for their delayed answer now.
func (e *Emulator) Holding(phoneNumberID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.holdingLocked(phoneNumberID)
}

func (e *Emulator) holdingLocked(phoneNumberID string) int {
	n := 0
	for id, h := range e.holding {
		if phoneNumberID == "" || id == phoneNumberID {
			n += h
		}
	}
	return n
}

// WaitHolding blocks until at least n sends of phoneNumberID are held; it
// returns ctx's error when ctx ends first.
func (e *Emulator) WaitHolding(ctx context.Context, phoneNumberID string, n int) error {
	for {
		e.mu.Lock()
		got, ch := e.holdingLocked(phoneNumberID), e.changed
		e.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("sandbox: waiting for %d held sends of %s, %d held: %w", n, phoneNumberID, got, ctx.Err())
		}
	}
}

// takeDelayLocked consumes one send's worth of the first queued delay.
func (e *Emulator) takeDelayLocked(phoneNumberID string) *Delay {
	q := e.delays[phoneNumberID]
	if len(q) == 0 {
		return nil
	}
	d := *q[0]
	q[0].Count--
	if q[0].Count <= 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(e.delays, phoneNumberID)
	} else {
		e.delays[phoneNumberID] = q
	}
	return &d
}

// hold waits out a delayed answer: d.For, ReleaseDelays or Close.
func (e *Emulator) hold(phoneNumberID string, d *Delay) {
	e.mu.Lock()
	e.holding[phoneNumberID]++
	release := e.release
	e.broadcastLocked()
	e.mu.Unlock()
	e.count(phoneNumberID, func(c *Counters) { c.Delayed++ })
	t := time.NewTimer(d.For)
	select {
	case <-t.C:
	case <-release:
	case <-e.ctx.Done():
	}
	t.Stop()
	e.mu.Lock()
	if e.holding[phoneNumberID]--; e.holding[phoneNumberID] <= 0 {
		delete(e.holding, phoneNumberID)
	}
	e.broadcastLocked()
	e.mu.Unlock()
}

// Counters count what the emulator saw for one number (or all of them).
type Counters struct {
	// Accepted sends were answered 200 and recorded.
	Accepted int
	// Reads are accepted mark-as-read (and typing indicator) requests.
	Reads int
	// Rejected sends were answered 400 for an invalid request or unknown
	// number; Unauthorized ones 401 for a wrong token.
	Rejected     int
	Unauthorized int
	// Injected sends failed because of FailNext or Inject.
	Injected int
	// Delayed sends had their answer held by DelayNext.
	Delayed int
	// StatusesPosted status webhooks were answered 2xx; StatusesFailed were
	// given up after retries.
	StatusesPosted int
	StatusesFailed int
	// Inbound customer messages were posted; InboundFailed of them were not
	// answered 2xx.
	Inbound       int
	InboundFailed int
}

func (c *Counters) add(o *Counters) {
	c.Accepted += o.Accepted
	c.Reads += o.Reads
	c.Rejected += o.Rejected
	c.Unauthorized += o.Unauthorized
	c.Injected += o.Injected
	c.Delayed += o.Delayed
	c.StatusesPosted += o.StatusesPosted
	c.StatusesFailed += o.StatusesFailed
	c.Inbound += o.Inbound
	c.InboundFailed += o.InboundFailed
}

// Counters returns the counters of phoneNumberID, or the sum over every
// number when it is empty.
func (e *Emulator) Counters(phoneNumberID string) Counters {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out Counters
	for id, c := range e.counters {
		if phoneNumberID == "" || id == phoneNumberID {
			out.add(c)
		}
	}
	return out
}

// count changes the counters of a number.
func (e *Emulator) count(phoneNumberID string, f func(c *Counters)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.counters[phoneNumberID]
	if c == nil {
		c = &Counters{}
		e.counters[phoneNumberID] = c
	}
	f(c)
}

// waID turns a phone number as people write it (+966 50-123 4567, Arabic-
// Indic digits) into a WhatsApp id: digits only. Anything that is not a digit
// or a separator makes it invalid (empty).
func waID(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '٠' && r <= '٩':
			b.WriteRune('0' + (r - '٠'))
		case r >= '۰' && r <= '۹':
			b.WriteRune('0' + (r - '۰'))
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '.':
		default:
			return ""
		}
	}
	return b.String()
}

// validWaID reports whether s is a WhatsApp id: 8 to 15 digits, no leading 0.
func validWaID(s string) bool {
	if len(s) < 8 || len(s) > 15 || s[0] == '0' {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// newWamid returns a message id shaped like Meta's.
func newWamid() string {
	b := make([]byte, 27)
	_, _ = rand.Read(b)
	return "wamid." + base64.StdEncoding.EncodeToString(b)
}

// newDigits returns n random digits, the first not 0 (media ids, wa ids).
func newDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		lo := int64(0)
		if i == 0 {
			lo = 1
		}
		v, _ := rand.Int(rand.Reader, big.NewInt(10-lo))
		b[i] = byte('0' + lo + v.Int64())
	}
	return string(b)
}

// newTraceID returns an fbtrace_id shaped like Meta's.
func newTraceID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return "A" + strings.NewReplacer("+", "", "/", "", "=", "").Replace(base64.StdEncoding.EncodeToString(b))
}
