// Package cloudapi is the WhatsApp Cloud API wire client: the webhook wire types
// and their signature check, a normalised inbound message, outgoing message
// builders that respect WhatsApp's limits by construction, an HTTP client for
// the Messages API with Meta's error classification, and a Sender that adds a
// per-number rate limit (Redis, GCRA) and a per-number circuit breaker.
//
// The package has no database access and no tenant knowledge: the
// WhatsApp channel (package whatsapp, one folder up) owns storage, resolves the tenant from the business
// number (Inbound.PhoneNumberID) and calls this package.
//
// # Inbound
//
//	if !cloudapi.VerifySignature(body, r.Header.Get(cloudapi.SignatureHeader), appSecret) { 401 }
//	p, err := cloudapi.ParseWebhook(body)   // malformed → httpx code "malformed"
//	for _, in := range p.Inbound() { ... }  // flat messages, with PhoneNumberID and ProfileName
//	for _, st := range p.StatusUpdates() { ... }
//
// # Outbound
//
// Builders return Outgoing values (or pages of them) that already fit every
// limit: texts are cut on a rune boundary with "…", more than three choices
// become a list, more than ten rows are paged (see ListPages). Outgoing is a
// plain struct whose JSON is the Cloud API message object without the
// envelope (messaging_product, recipient_type, to); it round-trips through
// JSON, so the conversation module stores it as-is (jsonb) and a job sends it
// later:
//
//	o := cloudapi.Choices("اختر القسم", "الأقسام", rows, func(p int) string { return "cat:page:" + strconv.Itoa(p) })[0]
//	stored, _ := json.Marshal(o)          // into the outbound row
//	...
//	var o cloudapi.Outgoing; json.Unmarshal(stored, &o)
//	wamid, err := sender.Send(ctx, creds, to, o)
//	switch {
//	case err == nil:                       // record wamid; statuses arrive by webhook
//	case cloudapi.IsPermanent(err):        // dead-letter, do not retry
//	default:                               // retry after max(cloudapi.RetryAfter(err), backoff)
//	}
//
// Creds carry the number's access token; it is never logged (Creds implements
// fmt.Stringer and slog.LogValuer with the token redacted) and never appears
// in an error.
package cloudapi

import (
	"fmt"
	"log/slog"
)

// Creds are what a send needs from a business number: its Cloud API phone
// number id and access token.
type Creds struct {
	PhoneNumberID string
	AccessToken   string
}

// String renders the credentials with the token redacted.
func (c Creds) String() string {
	return fmt.Sprintf("cloudapi.Creds{PhoneNumberID: %s, AccessToken: [redacted]}", c.PhoneNumberID)
}

// GoString renders the credentials for %#v with the token redacted.
func (c Creds) GoString() string { return c.String() }

// LogValue keeps the token out of structured logs.
func (c Creds) LogValue() slog.Value {
	return slog.GroupValue(slog.String("phone_number_id", c.PhoneNumberID))
}
