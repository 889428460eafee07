package whatsapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/identity"
	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
)

// shipped is the notification an orders module would send when order 1042
// ships: the bot text "welcome" stands in for an orders text (a test
// override gives it the order's placeholders), the template
// "order_shipped" for its approved template.
func shipped(key string) whatsapp.Notification {
	return whatsapp.Notification{
		Key: key, Author: identity.SystemActor("orders"),
		Text: "welcome", Vars: []string{"{order}", "1042"},
		Template: whatsapp.Template{Name: "order_shipped", Params: []string{"1042\n  ready"}},
	}
}

// notifiedFixture is a fixture with one onboarded customer whose onboarding
// replies have gone out, and the override that makes "welcome" an order
// update.
func notifiedFixture(t *testing.T, locale string) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	wa := phone()
	f.onboard(wa, locale)
	f.sendAll()
	f.exec(`INSERT INTO bot_texts (tenant_id, key, locale, body) VALUES (?, 'welcome', 'ar', 'طلبك {order} في الطريق يا {name} — {store}'),
		(?, 'welcome', 'en', 'Your order {order} is on its way, {name} — {store}')`, f.shop.ID, f.shop.ID)
	return f, wa
}

func TestNotifyInsideTheWindowSendsTheSessionText(t *testing.T) {
	t.Parallel()
	f, wa := notifiedFixture(t, "ar")
	before := f.conversation(wa)
	sendJobs := f.jobs("conversation.send")

	m, err := f.svc.Notify(f.shop.Ctx, whatsapp.Recipient{WAID: "+" + wa}, shipped("order:1042:shipped"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Author != "system:orders" || m.Direction != whatsapp.Out || m.Status != whatsapp.StatusQueued || m.Kind != "text" {
		t.Fatalf("notification stored as %+v", m)
	}
	if n := f.jobs("conversation.send"); n != sendJobs+1 {
		t.Fatalf("%d send jobs, want %d: the notification's, in its transaction", n, sendJobs+1)
	}
	f.sendAll()
	got := f.cloud.taken()
	last := got[len(got)-1]
	want := "طلبك 1042 في الطريق يا " + f.customer(wa).ProfileName + " — " + f.shop.NameAR
	if last.Msg.Type != cloudapi.OutText || last.Msg.Text.Body != want || last.To != wa || last.Msg.BizOpaqueCallbackData != m.ID.String() {
		t.Fatalf("the Cloud API got %+v, want the session text %q", last.Msg, want)
	}
	after := f.conversation(wa)
	if after.Conversation.Handoff != whatsapp.HandoffBot || string(after.Conversation.StateJSON) != string(before.Conversation.StateJSON) {
		t.Fatalf("the notification moved the conversation: %s %s → %s %s", before.Conversation.Handoff, before.Conversation.StateJSON,
			after.Conversation.Handoff, after.Conversation.StateJSON)
	}
}

func TestNotifyOutsideTheWindowSendsTheTemplate(t *testing.T) {
	t.Parallel()
	f, wa := notifiedFixture(t, "en")
	f.clock.advance(25 * time.Hour)
	m, err := f.svc.Notify(f.shop.Ctx, whatsapp.Recipient{CustomerID: f.customer(wa).ID}, shipped("order:1042:shipped"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != "template" {
		t.Fatalf("outside the window the notification is a %s, want the template", m.Kind)
	}
	f.sendAll()
	got := f.cloud.taken()
	tpl := got[len(got)-1].Msg.Template
	if tpl == nil || tpl.Name != "order_shipped" || tpl.Language.Code != "en" || len(tpl.Components) != 1 ||
		tpl.Components[0].Parameters[0].Text != "1042 ready" {
		t.Fatalf("the Cloud API got %+v, want template order_shipped in en with the parameter on one line", got[len(got)-1].Msg)
	}
	if r := f.outbound(whatsapp.StatusSent); r[len(r)-1].ID != m.ID || r[len(r)-1].ErrorCode.Valid {
		t.Fatalf("the notification is not sent: %+v", f.rows(whatsapp.Out))
	}
}

// TestNotifyWindowClosedBeforeTheSend: a session text queued inside the
// window that finds it closed when its job runs goes as the notification's
// own template, not the generic re-engagement one and never as a text Meta
// would refuse (131047).
func TestNotifyWindowClosedBeforeTheSend(t *testing.T) {
	t.Parallel()
	f, wa := notifiedFixture(t, "ar")
	if _, err := f.svc.Notify(f.shop.Ctx, whatsapp.Recipient{WAID: wa}, shipped("order:1042:shipped")); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(25 * time.Hour)
	f.sendAll()
	got := f.cloud.taken()
	if tpl := got[len(got)-1].Msg.Template; tpl == nil || tpl.Name != "order_shipped" || tpl.Language.Code != "ar" {
		t.Fatalf("the Cloud API got %+v, want template order_shipped", got[len(got)-1].Msg)
	}
}

// TestNotifyOncePerKey: a retried transition notifies once; another key
// notifies again.
func TestNotifyOncePerKey(t *testing.T) {
	t.Parallel()
	f, wa := notifiedFixture(t, "ar")
	to := whatsapp.Recipient{WAID: wa}
	first, err := f.svc.Notify(f.shop.Ctx, to, shipped("order:1042:shipped"))
	if err != nil {
		t.Fatal(err)
	}
	sendJobs := f.jobs("conversation.send")
	again, err := f.svc.Notify(f.shop.Ctx, to, shipped("order:1042:shipped"))
	if err != nil || again.ID != first.ID {
		t.Fatalf("the retry returned %+v, %v; want the first message %s", again, err, first.ID)
	}
	if n := f.jobs("conversation.send"); n != sendJobs {
		t.Fatalf("the retry queued another send (%d jobs, want %d)", n, sendJobs)
	}
	other, err := f.svc.Notify(f.shop.Ctx, to, shipped("order:1042:delivered"))
	if err != nil || other.ID == first.ID {
		t.Fatalf("another key: %+v, %v", other, err)
	}
	f.sendAll()
	n := 0
	for _, r := range f.rows(whatsapp.Out) {
		if r.Author == "system:orders" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d notifications stored, want 2 (one per key)", n)
	}
}

// TestNotifyRolledBack: a notification queued in a transaction that rolls
// back is never sent, and its key stays free.
func TestNotifyRolledBack(t *testing.T) {
	t.Parallel()
	f, wa := notifiedFixture(t, "ar")
	sendJobs, taken := f.jobs("conversation.send"), len(f.cloud.taken())
	boom := errors.New("the order transition failed")
	err := f.env.Scope.InTenantTx(f.shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := f.svc.NotifyTx(ctx, tx, whatsapp.Recipient{WAID: wa}, shipped("order:1042:shipped")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("transaction: %v", err)
	}
	f.sendAll()
	if n := f.jobs("conversation.send"); n != sendJobs || len(f.cloud.taken()) != taken {
		t.Fatalf("after the rollback: %d send jobs (want %d), %d sends (want %d)", n, sendJobs, len(f.cloud.taken()), taken)
	}
	for _, r := range f.rows(whatsapp.Out) {
		if r.Author == "system:orders" {
			t.Fatalf("a rolled-back notification is stored: %+v", r)
		}
	}
	if _, err := f.svc.Notify(f.shop.Ctx, whatsapp.Recipient{WAID: wa}, shipped("order:1042:shipped")); err != nil {
		t.Fatalf("the key of a rolled-back notification: %v", err)
	}
	f.sendAll()
	if len(f.cloud.taken()) != taken+1 {
		t.Fatalf("%d sends, want %d", len(f.cloud.taken()), taken+1)
	}
}

// TestNotifyConcurrentSameKey: two transactions notify under the same key
// at once; the second waits for the first and, once it commits, returns its
// message instead of queuing another.
func TestNotifyConcurrentSameKey(t *testing.T) {
	t.Parallel()
	f, wa := notifiedFixture(t, "ar")
	to := whatsapp.Recipient{WAID: wa}
	commit := make(chan struct{})
	firstDone := make(chan error, 1)
	var first *whatsapp.Message
	var notified sync.WaitGroup
	notified.Add(1)
	go func() {
		firstDone <- f.env.Scope.InTenantTx(f.shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			first, err = f.svc.NotifyTx(ctx, tx, to, shipped("order:1042:shipped"))
			notified.Done()
			<-commit
			return err
		})
	}()
	notified.Wait() // the first holds the key, uncommitted
	secondDone := make(chan *whatsapp.Message, 1)
	go func() {
		m, err := f.svc.Notify(f.shop.Ctx, to, shipped("order:1042:shipped"))
		if err != nil {
			t.Error(err)
		}
		secondDone <- m
	}()
	// The second is blocked on the first's key (nothing signals that: poll
	// the server's view of waiting backends, bounded).
	deadline := time.Now().Add(15 * time.Second)
	for {
		var waiting int
		if err := f.env.DB.Bun.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).
			Scan(context.Background(), &waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second notification never waited for the first")
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
	close(commit)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if second := <-secondDone; second == nil || second.ID != first.ID {
		t.Fatalf("the second notification returned %+v, want the first's message %s", second, first.ID)
	}
	n := 0
	for _, r := range f.rows(whatsapp.Out) {
		if r.Author == "system:orders" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d notifications stored, want 1", n)
	}
}

func TestNotifyRefuses(t *testing.T) {
	t.Parallel()
	f, wa := notifiedFixture(t, "ar")
	other, _, _ := f.addShop("other")
	hello := phone() // wrote, never agreed
	f.say(text(hello, "hi", f.clock.Now()))
	stopped := phone() // agreed, then sent STOP
	f.onboard(stopped, "ar")
	f.say(text(stopped, "STOP", f.clock.Now().Add(time.Minute)))
	outbound := len(f.rows(whatsapp.Out))

	bad := func(mod func(*whatsapp.Notification)) whatsapp.Notification {
		n := shipped("order:1042:shipped")
		mod(&n)
		return n
	}
	tests := []struct {
		name   string
		ctx    context.Context
		to     whatsapp.Recipient
		n      whatsapp.Notification
		code   errs.Code
		fields []string
	}{
		{"another tenant's customer by id", other.Ctx, whatsapp.Recipient{CustomerID: f.customer(wa).ID}, shipped("x:1"), errs.CodeNotFound, nil},
		{"another tenant's customer by WhatsApp id", other.Ctx, whatsapp.Recipient{WAID: wa}, shipped("x:2"), errs.CodeNotFound, nil},
		{"nobody", f.shop.Ctx, whatsapp.Recipient{WAID: phone()}, shipped("x:3"), errs.CodeNotFound, nil},
		{"no consent yet", f.shop.Ctx, whatsapp.Recipient{WAID: hello}, shipped("x:4"), errs.CodeConflict, nil},
		{"consent withdrawn", f.shop.Ctx, whatsapp.Recipient{WAID: stopped}, shipped("x:5"), errs.CodeConflict, nil},
		{"no key", f.shop.Ctx, whatsapp.Recipient{WAID: wa}, bad(func(n *whatsapp.Notification) { n.Key = " " }), errs.CodeInvalid, []string{"key"}},
		{"key on two lines", f.shop.Ctx, whatsapp.Recipient{WAID: wa}, bad(func(n *whatsapp.Notification) { n.Key = "a\nb" }), errs.CodeInvalid, []string{"key"}},
		{"unknown text", f.shop.Ctx, whatsapp.Recipient{WAID: wa}, bad(func(n *whatsapp.Notification) { n.Text = "orders.nope" }), errs.CodeInvalid, []string{"text"}},
		{"no template", f.shop.Ctx, whatsapp.Recipient{WAID: wa}, bad(func(n *whatsapp.Notification) { n.Template = whatsapp.Template{} }), errs.CodeInvalid, []string{"template.name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := f.svc.Notify(tc.ctx, tc.to, tc.n)
			if err == nil || errs.CodeOf(err) != tc.code {
				t.Fatalf("Notify = %+v, %v; want %s", m, err, tc.code)
			}
			var fields []string
			for _, fe := range errs.FieldsOf(err) {
				fields = append(fields, fe.Field)
				if !f.env.Catalog.Has(fe.Msg.ID) {
					t.Errorf("field %s: message %q is not in the catalog", fe.Field, fe.Msg.ID)
				}
			}
			if len(fields) != len(tc.fields) || (len(fields) > 0 && fields[0] != tc.fields[0]) {
				t.Fatalf("fields %v, want %v", fields, tc.fields)
			}
		})
	}
	if n := len(f.rows(whatsapp.Out)); n != outbound {
		t.Fatalf("refused notifications stored messages: %d outbound, want %d", n, outbound)
	}
	var otherRows int
	if err := f.env.Scope.InTenantTx(other.Ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM whatsapp_notifications)`).Scan(&otherRows)
	}); err != nil || otherRows != 0 {
		t.Fatalf("the other tenant has %d rows (%v)", otherRows, err)
	}
}
