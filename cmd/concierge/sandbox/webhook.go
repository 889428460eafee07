package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"concierge/tenants"
)

// Webhooks as Meta posts them: one entry, one change, field "messages",
// signed with the number's app secret.

// Sign returns the X-Hub-Signature-256 header Meta sends with body:
// "sha256=" and the hex HMAC-SHA256 of body keyed with the app secret.
func Sign(appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

type webhook struct {
	Object string         `json:"object"`
	Entry  []webhookEntry `json:"entry"`
}

type webhookEntry struct {
	ID      string          `json:"id"`
	Changes []webhookChange `json:"changes"`
}

type webhookChange struct {
	Value webhookValue `json:"value"`
	Field string       `json:"field"`
}

type webhookValue struct {
	MessagingProduct string           `json:"messaging_product"`
	Metadata         webhookMetadata  `json:"metadata"`
	Contacts         []webhookContact `json:"contacts,omitempty"`
	Messages         []inboundMessage `json:"messages,omitempty"`
	Statuses         []statusUpdate   `json:"statuses,omitempty"`
}

type webhookMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type webhookContact struct {
	Profile webhookProfile `json:"profile"`
	WaID    string         `json:"wa_id"`
}

type webhookProfile struct {
	Name string `json:"name"`
}

type webhookError struct {
	Code      int               `json:"code"`
	Title     string            `json:"title"`
	Message   string            `json:"message"`
	ErrorData *webhookErrorData `json:"error_data,omitempty"`
	Href      string            `json:"href,omitempty"`
}

type webhookErrorData struct {
	Details string `json:"details"`
}

const errorHref = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

type statusUpdate struct {
	ID                    string              `json:"id"`
	Status                string              `json:"status"`
	Timestamp             string              `json:"timestamp"`
	RecipientID           string              `json:"recipient_id"`
	Conversation          *statusConversation `json:"conversation,omitempty"`
	Pricing               *statusPricing      `json:"pricing,omitempty"`
	BizOpaqueCallbackData string              `json:"biz_opaque_callback_data,omitempty"`
	Errors                []webhookError      `json:"errors,omitempty"`
}

type statusConversation struct {
	ID                  string       `json:"id"`
	ExpirationTimestamp string       `json:"expiration_timestamp,omitempty"`
	Origin              statusOrigin `json:"origin"`
}

type statusOrigin struct {
	Type string `json:"type"`
}

type statusPricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Category     string `json:"category"`
}

type inboundMessage struct {
	Context     *inboundContext     `json:"context,omitempty"`
	From        string              `json:"from"`
	ID          string              `json:"id"`
	Timestamp   string              `json:"timestamp"`
	Type        string              `json:"type"`
	Text        *inboundText        `json:"text,omitempty"`
	Interactive *inboundInteractive `json:"interactive,omitempty"`
	Button      *inboundButton      `json:"button,omitempty"`
	Location    *inboundLocation    `json:"location,omitempty"`
	Image       *inboundImage       `json:"image,omitempty"`
	Reaction    *inboundReaction    `json:"reaction,omitempty"`
	Errors      []webhookError      `json:"errors,omitempty"`
}

type inboundContext struct {
	From string `json:"from"`
	ID   string `json:"id"`
}

type inboundText struct {
	Body string `json:"body"`
}

type inboundInteractive struct {
	Type        string        `json:"type"`
	ButtonReply *inboundReply `json:"button_reply,omitempty"`
	ListReply   *inboundReply `json:"list_reply,omitempty"`
}

type inboundReply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type inboundButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type inboundLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

type inboundImage struct {
	Caption  string `json:"caption,omitempty"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	ID       string `json:"id"`
}

type inboundReaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji,omitempty"`
}

// numberInfo is what webhooks need of a business number.
type numberInfo struct {
	pnid    string
	display string // digits, as Meta writes display_phone_number
	waba    string
	secret  string
}

func infoOf(n *tenants.Number) numberInfo {
	waba := n.WABAID
	if waba == "" {
		waba = n.PhoneNumberID
	}
	return numberInfo{pnid: n.PhoneNumberID, display: waID(n.DisplayPhone), waba: waba, secret: n.AppSecret}
}

func (n numberInfo) envelope(v webhookValue) webhook {
	v.MessagingProduct = "whatsapp"
	v.Metadata = webhookMetadata{DisplayPhoneNumber: n.display, PhoneNumberID: n.pnid}
	return webhook{Object: "whatsapp_business_account", Entry: []webhookEntry{{ID: n.waba, Changes: []webhookChange{{Value: v, Field: "messages"}}}}}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// postWebhook signs body and posts it to the product. It returns the
// product's status and the start of its answer.
func (e *Emulator) postWebhook(ctx context.Context, secret string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set("X-Hub-Signature-256", Sign(secret, body))
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, answer, nil
}

// statusJob is the status webhooks of one bot message.
type statusJob struct {
	num       numberInfo
	key       convKey
	id        string
	category  string // service, or utility for templates
	bizOpaque string
	fault     *Fault // fail asynchronously with this
	readOnly  bool   // post only read (the page opened the chat)
}

// viewWindow is how long after its last poll the page counts as showing a
// chat.
const viewWindow = 3 * time.Second

// Status webhook retries: Meta retries for days; the sandbox tries three
// times, 250 ms then 500 ms apart.
const (
	statusAttempts = 3
	statusBackoff  = 250 * time.Millisecond
)

// queueStatuses posts a message's status webhooks in the background. Jobs of
// one conversation run one after the other, in the order queued, so a
// conversation's statuses arrive in order; conversations do not wait for each
// other.
func (e *Emulator) queueStatuses(j statusJob) {
	e.mu.Lock()
	if e.ctx.Err() != nil {
		e.mu.Unlock()
		return
	}
	c := e.convLocked(j.key)
	prev, done := c.tail, make(chan struct{})
	c.tail = done
	e.pending++
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		defer func() {
			e.mu.Lock()
			e.pending--
			e.broadcastLocked()
			e.mu.Unlock()
		}()
		defer close(done)
		if prev != nil {
			select {
			case <-prev:
			case <-e.ctx.Done():
				return
			}
		}
		e.runStatuses(j)
	}()
}

func (e *Emulator) runStatuses(j statusJob) {
	if j.readOnly {
		e.postStatus(j, StatusRead)
		return
	}
	if d := e.cfg.StatusDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-e.ctx.Done():
			t.Stop()
			return
		}
	}
	if j.fault != nil {
		e.postStatus(j, StatusFailed)
		return
	}
	e.postStatus(j, StatusSent)
	e.postStatus(j, StatusDelivered)
	e.mu.Lock()
	read := false
	if x := e.byID[j.id]; x != nil && !x.readQueue && (e.cfg.AutoRead || e.watchedLocked(j.key)) {
		x.readQueue, read = true, true
	}
	e.mu.Unlock()
	if read {
		e.postStatus(j, StatusRead)
	}
}

func (e *Emulator) watchedLocked(k convKey) bool {
	c := e.convs[k]
	return c != nil && !c.viewedAt.IsZero() && time.Since(c.viewedAt) < viewWindow
}

// postStatus records a status and posts its webhook.
func (e *Emulator) postStatus(j statusJob, status string) {
	now := time.Now()
	st := statusUpdate{ID: j.id, Status: status, Timestamp: unix(now), RecipientID: j.key.wa, BizOpaqueCallbackData: j.bizOpaque}
	errCode, errTitle := 0, ""
	switch status {
	case StatusSent, StatusDelivered:
		e.mu.Lock()
		c := e.convLocked(j.key)
		if c.convID == "" || now.After(c.convExp) {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			c.convID, c.convExp = hex.EncodeToString(b), now.Add(24*time.Hour)
		}
		conv := &statusConversation{ID: c.convID, Origin: statusOrigin{Type: j.category}}
		if status == StatusSent {
			conv.ExpirationTimestamp = unix(c.convExp)
		}
		e.mu.Unlock()
		st.Conversation = conv
		st.Pricing = &statusPricing{Billable: j.category != "service", PricingModel: "PMP", Category: j.category}
	case StatusFailed:
		f := j.fault
		title, details := errorText(f.Code)
		if f.Details != "" {
			details = f.Details
		}
		errCode, errTitle = f.Code, title
		st.Errors = []webhookError{{Code: f.Code, Title: title, Message: title, ErrorData: &webhookErrorData{Details: details}, Href: errorHref}}
	}
	e.setStatus(j.id, status, errCode, errTitle)
	body, err := json.Marshal(j.num.envelope(webhookValue{Statuses: []statusUpdate{st}}))
	if err != nil {
		e.log.Error("encode status webhook", "err", err)
		return
	}
	var last string
	for attempt := range statusAttempts {
		if attempt > 0 {
			t := time.NewTimer(statusBackoff << (attempt - 1))
			select {
			case <-t.C:
			case <-e.ctx.Done():
				t.Stop()
				return
			}
		}
		code, answer, err := e.postWebhook(e.ctx, j.num.secret, body)
		if err == nil && code >= 200 && code < 300 {
			e.count(j.num.pnid, func(c *Counters) { c.StatusesPosted++ })
			return
		}
		if e.ctx.Err() != nil {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("HTTP %d: %.200s", code, answer)
		}
	}
	e.count(j.num.pnid, func(c *Counters) { c.StatusesFailed++ })
	e.log.Warn("status webhook not accepted", "phone_number_id", j.num.pnid, "wamid", j.id, "status", status, "answer", last)
}

// metaErrors are Meta's titles and default details for the codes tests
// inject most.
var metaErrors = map[int][2]string{
	0:      {"AuthException", "We were unable to authenticate the app user."},
	1:      {"API Unknown", "An unknown error has occurred."},
	2:      {"API Service", "Service temporarily unavailable due to downtime or due to being overloaded."},
	4:      {"API Too Many Calls", "The app has reached its API call rate limit."},
	100:    {"Invalid parameter", "The request included one or more unsupported or misspelled parameters."},
	190:    {"Access token has expired", "Your access token has expired."},
	80007:  {"Rate limit issues", "The WhatsApp Business Account has reached its rate limit."},
	130429: {"Rate limit hit", "Cloud API message throughput has been reached."},
	131000: {"Something went wrong", "Message failed to send due to an unknown error."},
	131005: {"Access denied", "Permission is either not granted or has been removed."},
	131008: {"Required parameter is missing", "The request is missing a required parameter."},
	131009: {"Parameter value is not valid", "One or more parameter values are invalid."},
	131016: {"Service unavailable", "A service is temporarily unavailable."},
	131021: {"Recipient cannot be sender", "Sender and recipient phone number is the same."},
	131026: {"Message undeliverable", "Unable to deliver message."},
	131031: {"Account has been locked", "The WhatsApp Business Account associated with the app has been restricted or disabled."},
	131042: {"Business eligibility payment issue", "There was an error related to your payment method."},
	131047: {"Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
	131049: {"Meta chose not to deliver", "This message was not delivered to maintain healthy ecosystem engagement."},
	131051: {"Unsupported message type", "Message type is not currently supported."},
	131052: {"Media download error", "Unable to download the media sent by the user."},
	131056: {"(Business Account, Consumer Account) pair rate limit hit", "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time."},
	132000: {"Template Param Count Mismatch", "The number of variable parameter values included in the request did not match the number of variable parameters defined in the template."},
	132001: {"Template does not exist", "The template does not exist in the specified language or the template has not been approved."},
	133010: {"Phone number not registered", "The phone number is not registered on the WhatsApp Business Platform."},
}

func errorText(code int) (title, details string) {
	if t, ok := metaErrors[code]; ok {
		return t[0], t[1]
	}
	return "Injected failure", fmt.Sprintf("The sandbox failed this send with code %d on request.", code)
}

// faultError is the synchronous answer of an injected fault.
func faultError(f *Fault) *metaError {
	title, details := errorText(f.Code)
	if f.Details != "" {
		details = f.Details
	}
	m := &metaError{status: f.Status, code: f.Code, message: fmt.Sprintf("(#%d) %s", f.Code, title), details: details}
	if f.Code == 190 {
		m.message = "Error validating access token: " + details
	}
	if f.RetryAfter > 0 {
		m.retryAft = max(1, int((f.RetryAfter+time.Second-1)/time.Second))
	}
	return m
}
