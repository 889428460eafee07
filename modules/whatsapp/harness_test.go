package whatsapp_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/modules/moduletest"
	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// The channel's tests run on real Postgres and Redis (modules/moduletest):
// each test has its own database, tenants and jobs table. Jobs are stored,
// not worked: a test drives the pipeline itself, one step at a time —
// Ingest (the webhook), Process (the conversation.process job), Send (the
// conversation.send job) — against a fake Cloud API (fakeSender) and a
// clock it moves. Nothing waits for time to pass.

// fixture is one test's channel with one tenant and its WhatsApp number.
type fixture struct {
	t      *testing.T
	env    *moduletest.Env
	svc    *whatsapp.Service
	cloud  *fakeSender
	clock  *clock
	shop   moduletest.Shop
	number *tenants.Number
	secret string // the number's app secret
}

// config is the channel configuration every fixture starts from.
func config() whatsapp.Config {
	return whatsapp.Config{VerifyToken: "verify-me", PublicBaseURL: "https://concierge.test",
		ReengageTemplate: "concierge_reengage", SendTimeout: 3 * time.Second, SendRescueAfter: 8 * time.Second}
}

func newFixture(t *testing.T, opts ...func(*whatsapp.Config, *whatsapp.Deps)) *fixture {
	t.Helper()
	env := moduletest.New(t)
	f := &fixture{t: t, env: env, cloud: &fakeSender{}, clock: &clock{at: time.Now().UTC()}}
	cfg := config()
	deps := whatsapp.Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs, Sender: f.cloud, Audit: env.Audit,
		Catalog: env.Catalog, Redis: env.Redis, RedisPrefix: env.Prefix, Log: env.Log, Now: f.clock.Now}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	f.svc = whatsapp.New(cfg, deps)
	f.shop, f.number, f.secret = f.addShop("wa")
	return f
}

var seq atomic.Int64

// addShop onboards another tenant with a WhatsApp number of its own.
func (f *fixture) addShop(slug string) (moduletest.Shop, *tenants.Number, string) {
	f.t.Helper()
	shop := f.env.Tenant(f.t, slug)
	n := seq.Add(1)
	secret := "secret-" + shop.Slug
	num, err := f.env.Tenants.AddNumber(context.Background(), "test", shop.Slug, tenants.NumberInput{
		PhoneNumberID: fmt.Sprintf("1%011d", 80000000000+n), DisplayPhone: fmt.Sprintf("+96612%07d", n),
		AccessToken: "token-" + shop.Slug, AppSecret: secret})
	if err != nil {
		f.t.Fatal(err)
	}
	return shop, num, secret
}

// ---- Meta's side ----

// phone returns a new customer's WhatsApp id.
func phone() string { return fmt.Sprintf("9665%08d", 20000000+seq.Add(1)) }

func wamid() string { return "wamid.test" + strconv.FormatInt(seq.Add(1), 10) }

// inbound is one message object of a webhook, as Meta writes it.
func inbound(from string, at time.Time, typ string, obj any) map[string]any {
	return map[string]any{"from": from, "id": wamid(), "timestamp": strconv.FormatInt(at.Unix(), 10), "type": typ, typ: obj}
}

func text(from, body string, at time.Time) map[string]any {
	return inbound(from, at, "text", map[string]any{"body": body})
}

func button(from, id, title string, at time.Time) map[string]any {
	return inbound(from, at, "interactive", map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": id, "title": title}})
}

// body is a webhook delivery for number pnid with these change values merged
// in (messages, contacts, statuses).
func body(pnid string, value map[string]any) []byte {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": "966120000000", "phone_number_id": pnid}
	b, err := json.Marshal(map[string]any{"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": "1", "changes": []any{map[string]any{"field": "messages", "value": value}}}}})
	if err != nil {
		panic(err)
	}
	return b
}

// messages is a delivery of msgs, each sender with a profile name.
func messages(pnid string, msgs ...map[string]any) []byte {
	var contacts []any
	for _, m := range msgs {
		contacts = append(contacts, map[string]any{"wa_id": m["from"], "profile": map[string]any{"name": "عميل " + m["from"].(string)[8:]}})
	}
	return body(pnid, map[string]any{"contacts": contacts, "messages": msgs})
}

// status is a delivery of one status for an outbound message: by its
// WhatsApp id, and by ours in the callback data when callback is set.
func status(pnid, wamid, callback, st string, code int) []byte {
	s := map[string]any{"id": wamid, "status": st, "timestamp": strconv.FormatInt(time.Now().Unix(), 10), "recipient_id": "966500000000"}
	if callback != "" {
		s["biz_opaque_callback_data"] = callback
	}
	if st == whatsapp.StatusFailed {
		s["errors"] = []any{map[string]any{"code": code, "title": "Message undeliverable", "error_data": map[string]any{"details": "Undeliverable."}}}
	}
	return body(pnid, map[string]any{"statuses": []any{s}})
}

// deliver posts a delivery signed with the tenant's number's secret.
func (f *fixture) deliver(b []byte) whatsapp.IngestResult {
	f.t.Helper()
	res, err := f.svc.Ingest(context.Background(), b, cloudapi.Sign(b, f.secret))
	if err != nil {
		f.t.Fatalf("ingest: %v", err)
	}
	return res
}

// say delivers customer messages and runs the worker on their conversation.
func (f *fixture) say(msgs ...map[string]any) {
	f.t.Helper()
	f.deliver(messages(f.number.PhoneNumberID, msgs...))
	f.processAll()
}

// onboard takes customer wa through the language choice and consent.
func (f *fixture) onboard(wa, locale string) {
	f.t.Helper()
	at := f.clock.Now()
	title := map[string]string{"ar": "العربية", "en": "English"}[locale]
	f.say(text(wa, "hi", at))
	f.say(button(wa, "lang:"+locale, title, at.Add(time.Second)))
	f.say(button(wa, "consent:agree", "ok", at.Add(2*time.Second)))
	if c := f.customer(wa); c.Consent != whatsapp.ConsentGranted || c.Locale != locale {
		f.t.Fatalf("onboarding left %+v", c)
	}
}

// ---- the worker, step by step ----

// processAll runs a processing job for every conversation with news, as
// the worker would.
func (f *fixture) processAll() {
	f.t.Helper()
	for _, id := range f.jobConversations() {
		if err := f.svc.Process(f.shop.Ctx, id); err != nil {
			f.t.Fatalf("process %s: %v", id, err)
		}
	}
}

// sendAll runs the send job of every queued outbound message, oldest first
// (first attempt of eight), and fails on any outcome but nil.
func (f *fixture) sendAll() {
	f.t.Helper()
	for _, m := range f.outbound(whatsapp.StatusQueued) {
		if err := f.svc.Send(f.shop.Ctx, m.ID, 1, 8); err != nil {
			f.t.Fatalf("send %s: %v", m.ID, err)
		}
	}
}

// ---- the database, through the tenant's scoped transaction ----

func (f *fixture) inTx(fn func(ctx context.Context, tx bun.Tx) error) {
	f.t.Helper()
	if err := f.env.Scope.InTenantTx(f.shop.Ctx, fn); err != nil {
		f.t.Fatalf("tenant transaction: %v", err)
	}
}

// jobConversations lists the conversations with a processing job stored.
func (f *fixture) jobConversations() []uuid.UUID {
	f.t.Helper()
	var ids []uuid.UUID
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT DISTINCT (args->>'conversation_id')::uuid FROM river_job
			WHERE kind = 'conversation.process' AND args->>'tenant_id' = ?`, f.shop.ID.String()).Scan(ctx, &ids)
	})
	return ids
}

// jobs counts the stored jobs of kind for this tenant.
func (f *fixture) jobs(kind string) int {
	f.t.Helper()
	var n int
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = ? AND args->>'tenant_id' = ?`, kind, f.shop.ID.String()).Scan(&n)
	})
	return n
}

type row struct {
	ID                                                 uuid.UUID
	Direction, Kind, Status, WAMessageID, Body, Author string
	ErrorCode                                          sql.NullInt64
	Payload                                            json.RawMessage
	ConversationID                                     uuid.UUID
	ErrorDetail                                        string
}

// rows returns the tenant's messages in the order they were stored; only
// those of direction dir unless it is "".
func (f *fixture) rows(dir string) []row {
	f.t.Helper()
	var out []row
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		rs, err := tx.QueryContext(ctx, `SELECT id, direction, kind, status, COALESCE(wa_message_id, ''), body, author, error_code, payload, conversation_id, error_detail
			FROM messages WHERE ? = '' OR direction = ? ORDER BY created_at, id`, dir, dir)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.ID, &r.Direction, &r.Kind, &r.Status, &r.WAMessageID, &r.Body, &r.Author, &r.ErrorCode, &r.Payload, &r.ConversationID, &r.ErrorDetail); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rs.Err()
	})
	return out
}

// outbound returns the outbound messages with status st, oldest first.
func (f *fixture) outbound(st string) []row {
	var out []row
	for _, r := range f.rows(whatsapp.Out) {
		if r.Status == st {
			out = append(out, r)
		}
	}
	return out
}

// customer reads the customer with WhatsApp id wa.
func (f *fixture) customer(wa string) whatsapp.Customer {
	f.t.Helper()
	var c whatsapp.Customer
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id, wa_id, profile_name, locale, consent FROM customers WHERE wa_id = ?`, wa).
			Scan(&c.ID, &c.WAID, &c.ProfileName, &c.Locale, &c.Consent)
	})
	return c
}

// conversation reads customer wa's conversation.
func (f *fixture) conversation(wa string) whatsapp.ConversationView {
	f.t.Helper()
	var id uuid.UUID
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT c.id FROM conversations c JOIN customers cu ON cu.tenant_id = c.tenant_id AND cu.id = c.customer_id
			WHERE cu.wa_id = ?`, wa).Scan(&id)
	})
	v, err := f.svc.Get(f.shop.Ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return *v
}

// exec runs a statement in the tenant's transaction (to age a conversation,
// override a text).
func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
}

// ---- the Cloud API and the clock ----

// fakeSender is the Cloud API: it records every message it takes and
// answers with a new WhatsApp id, or with the error queued for the next
// call.
type fakeSender struct {
	mu   sync.Mutex
	sent []sent
	errs []error
}

type sent struct {
	Creds cloudapi.Creds
	To    string
	Msg   cloudapi.Outgoing
	WAMID string
}

func (s *fakeSender) Send(_ context.Context, creds cloudapi.Creds, to string, o cloudapi.Outgoing) (string, error) {
	if _, err := o.Request(to); err != nil {
		return "", err // what Meta would refuse, the client refuses first
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		if err != nil {
			return "", err
		}
	}
	id := wamid()
	s.sent = append(s.sent, sent{Creds: creds, To: to, Msg: o, WAMID: id})
	return id, nil
}

// failNext queues errors for the next calls (nil: that call succeeds).
func (s *fakeSender) failNext(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, errs...)
}

// taken returns what the Cloud API took so far.
func (s *fakeSender) taken() []sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sent(nil), s.sent...)
}

// clock is the channel's clock, moved by the test.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// snoozed reports whether a job's outcome is River's snooze, and for how
// long.
func snoozed(err error) (time.Duration, bool) {
	var s *river.JobSnoozeError
	if errors.As(err, &s) {
		return s.Duration, true
	}
	return 0, false
}

// cancelled reports whether a job's outcome is River's cancel (no retry).
func cancelled(err error) bool { return errors.Is(err, &river.JobCancelError{}) }
