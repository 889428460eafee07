package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/internal/secrets"
	"concierge/internal/testenv"
	"concierge/tenants"
)

// numberFor onboards a tenant with its own WhatsApp number.
func numberFor(t *testing.T, ta *testApp, slug, pnid string) *tenants.Tenant {
	t.Helper()
	tn := ta.tenant(slug)
	if _, err := ta.app.deps.tenants.AddNumber(context.Background(), "test", slug, tenants.NumberInput{
		PhoneNumberID: pnid, DisplayPhone: "+966500000099", WABAID: "9" + pnid, AccessToken: "tok-" + slug, AppSecret: "secret-" + slug}); err != nil {
		t.Fatal(err)
	}
	return tn
}

// settled waits until the tenant has no inbound message left unprocessed and
// no outbound message left queued or in flight ("sending": an attempt that
// died mid-call waits for its status webhook), and returns the counts.
func settled(t *testing.T, ta *testApp, tn *tenants.Tenant, timeout time.Duration) (in, out int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var pending int
		err := ta.app.deps.scope.InTenantTx(tenants.WithTenant(context.Background(), tn), func(ctx context.Context, tx bun.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE direction='in'), count(*) FILTER (WHERE direction='out'),
				count(*) FILTER (WHERE (direction='in' AND status='received') OR (direction='out' AND status IN ('queued', 'sending'))) FROM messages`).Scan(&in, &out, &pending); err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return in, out
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled after %s: %d messages still pending", timeout, pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exactlyOnce checks every outbound message reached the emulator once and
// every inbound message is processed.
func exactlyOnce(t *testing.T, ta *testApp, tn *tenants.Tenant, emu *sandbox.Emulator, pnid string, customers ...string) {
	t.Helper()
	var notProcessed, notSent, outRows int
	err := ta.app.deps.scope.InTenantTx(tenants.WithTenant(context.Background(), tn), func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE direction='in' AND status <> 'processed'),
			count(*) FILTER (WHERE direction='out' AND wa_message_id IS NULL), count(*) FILTER (WHERE direction='out') FROM messages`).
			Scan(&notProcessed, &notSent, &outRows)
	})
	if err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, c := range customers {
		for _, r := range emu.Sent(pnid, c) {
			if r.Type != "read" {
				recorded++
			}
		}
	}
	if notProcessed != 0 || notSent != 0 || recorded != outRows {
		t.Fatalf("exactly once broken: %d inbound not processed, %d outbound without a WhatsApp id, %d outbound rows vs %d received by the emulator",
			notProcessed, notSent, outRows, recorded)
	}
}

// TestRedisDownLosesNothing: with Redis stopped, webhooks are still accepted,
// stored and processed; replies wait (the per-number send limit lives in
// Redis) and go out once it is back; every message is answered exactly once.
func TestRedisDownLosesNothing(t *testing.T) {
	t.Parallel()
	rds := testenv.StartRedis(t)
	ta := startApp(t, modeDev, map[string]string{"REDIS_URL": rds.URL()})
	tn := numberFor(t, ta, "redisfault", "300000000000001")
	emu := ta.app.sandbox
	ctx := context.Background()
	cust := "966511110001"
	send := func(m sandbox.CustomerMessage) {
		t.Helper()
		m.PhoneNumberID, m.From = "300000000000001", cust
		res, err := emu.SendAsCustomer(ctx, m)
		if err != nil || res.WebhookStatus != 200 {
			t.Fatalf("webhook: %v %d %s", err, res.WebhookStatus, res.WebhookAnswer)
		}
	}
	wait := func(n int) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if _, err := emu.Wait(wctx, "300000000000001", cust, n); err != nil {
			t.Fatalf("waiting for %d bot messages: %v", n, err)
		}
	}
	send(sandbox.CustomerMessage{Text: "hello"})
	wait(1)
	_, out := settled(t, ta, tn, 30*time.Second)

	rds.Stop()
	send(sandbox.CustomerMessage{ButtonReply: &sandbox.ReplyChoice{ID: "lang:en", Title: "English"}})
	send(sandbox.CustomerMessage{ButtonReply: &sandbox.ReplyChoice{ID: "consent:agree", Title: "I agree"}})
	send(sandbox.CustomerMessage{Text: "help"})
	// Processed while Redis is down: replies are written and queued, not sent.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var received, queued int
		_ = ta.app.deps.scope.InTenantTx(tenants.WithTenant(ctx, tn), func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE direction='in' AND status='received'),
				count(*) FILTER (WHERE direction='out' AND status='queued') FROM messages`).Scan(&received, &queued)
		})
		if received == 0 && queued > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with Redis down: %d inbound still unprocessed, %d replies queued", received, queued)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(emu.Sent("300000000000001", cust)); n != out {
		t.Fatalf("replies went out while the send limit was unavailable: %d recorded, %d before", n, out)
	}

	rds.Start()
	settled(t, ta, tn, 60*time.Second)
	exactlyOnce(t, ta, tn, emu, "300000000000001", cust)
}

// buildConcierge builds the binary into the test's temporary directory.
func buildConcierge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "concierge")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startWorker runs `concierge worker` as a separate process against ta's
// database, Redis and Cloud API emulator, with env added (later values win).
func startWorker(t *testing.T, bin string, ta *testApp, master string, env ...string) *exec.Cmd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(append(os.Environ(),
		"DATABASE_URL="+ta.env["DATABASE_URL"], "REDIS_URL="+ta.env["REDIS_URL"], "REDIS_PREFIX="+ta.env["REDIS_PREFIX"],
		"MASTER_KEY="+master, "ENV=test", "LOG_LEVEL=warn", "HTTP_ADDR="+addr, "JOB_WORKERS=2", "DB_MAX_CONNS=12",
		"WHATSAPP_API_BASE_URL="+ta.base+"/sandbox/graph", "PLATFORM_DOMAIN=shop.test", "METRICS_ADDR=127.0.0.1:0"), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// kill ends a worker process with SIGKILL: no drain, no cleanup.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// TestWorkerKilledMidConversation runs the worker as a separate process,
// kills it with SIGKILL while a conversation is being answered, and checks
// that a second worker finishes it: every message answered exactly once.
func TestWorkerKilledMidConversation(t *testing.T) {
	t.Parallel()
	bin := buildConcierge(t)
	master := secrets.GenerateKey()
	ta := startApp(t, modeServe, map[string]string{"MASTER_KEY": master})
	tn := numberFor(t, ta, "killfault", "400000000000001")
	emu := ta.app.sandbox
	ctx := context.Background()

	worker := func() *exec.Cmd {
		t.Helper()
		return startWorker(t, bin, ta, master, "JOB_TIMEOUT=10s", "JOB_RESCUE_AFTER=12s", "WHATSAPP_SWEEP_AFTER=2s",
			"WHATSAPP_SEND_TIMEOUT=5s", "WHATSAPP_SEND_RESCUE_AFTER=8s")
	}

	customers := make([]string, 6)
	for i := range customers {
		customers[i] = fmt.Sprintf("96652222%04d", i)
	}
	first := worker()
	// Several customers write at once; kill the worker as soon as the first
	// reply is out, while the rest are being processed or queued.
	for _, c := range customers {
		for _, text := range []string{"hello", "menu", "help"} {
			res, err := emu.SendAsCustomer(ctx, sandbox.CustomerMessage{PhoneNumberID: "400000000000001", From: c, Text: text})
			if err != nil || res.WebhookStatus != 200 {
				t.Fatalf("webhook: %v %d", err, res.WebhookStatus)
			}
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := emu.Wait(wctx, "400000000000001", customers[0], 1); err != nil {
		t.Fatalf("the first worker answered nothing: %v", err)
	}
	kill(t, first)

	worker()
	in, out := settled(t, ta, tn, 90*time.Second)
	if in != len(customers)*3 {
		t.Fatalf("%d inbound messages stored, want %d", in, len(customers)*3)
	}
	if out == 0 {
		t.Fatal("no replies")
	}
	exactlyOnce(t, ta, tn, emu, "400000000000001", customers...)
}

// TestWorkerKilledMidSend is issue 8's crash: kill -9 of a worker whose
// Cloud API calls are in flight, against an emulator that holds its
// answers, then a new worker. Of the four replies in flight, two had been
// taken by "Meta" (recorded, their status webhooks accepted by the product)
// and two never were. The stuck send jobs are rescued within seconds
// (WHATSAPP_SEND_RESCUE_AFTER, while JOB_RESCUE_AFTER is ten minutes); the
// replies a status webhook proved are not sent again and the others are
// sent once: nothing lost, nothing twice.
func TestWorkerKilledMidSend(t *testing.T) {
	t.Parallel()
	bin := buildConcierge(t)
	master := secrets.GenerateKey()
	ta := startApp(t, modeServe, map[string]string{"MASTER_KEY": master})
	const pnid = "500000000000001"
	tn := numberFor(t, ta, "sendkill", pnid)
	emu := ta.app.sandbox
	t.Cleanup(emu.ReleaseDelays) // before the app stops: no answer stays held
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inTenant := func(fn func(ctx context.Context, tx bun.Tx) error) {
		t.Helper()
		if err := ta.app.deps.scope.InTenantTx(tenants.WithTenant(ctx, tn), fn); err != nil {
			t.Fatal(err)
		}
	}

	// The first two sends are taken (recorded, status webhooks posted) but
	// their answers held; the next two are held and never taken. The send
	// timeout is long enough that the kill, not a timeout, ends the calls.
	emu.DelayNext(pnid, sandbox.Delay{Count: 2, For: time.Hour, Accept: true})
	emu.DelayNext(pnid, sandbox.Delay{Count: 2, For: time.Hour})
	env := []string{"JOB_WORKERS=4", "JOB_TIMEOUT=1m", "JOB_RESCUE_AFTER=10m",
		"WHATSAPP_SEND_TIMEOUT=10s", "WHATSAPP_SEND_RESCUE_AFTER=12s"}
	first := startWorker(t, bin, ta, master, env...)

	customers := make([]string, 4)
	for i := range customers {
		customers[i] = fmt.Sprintf("96653333%04d", i)
		res, err := emu.SendAsCustomer(ctx, sandbox.CustomerMessage{PhoneNumberID: pnid, From: customers[i], Text: "hello"})
		if err != nil || res.WebhookStatus != 200 {
			t.Fatalf("webhook: %v %d", err, res.WebhookStatus)
		}
	}
	// Four calls in flight; the two taken ones proven sent by their status
	// webhooks, the two others still "sending".
	if err := emu.WaitHolding(ctx, pnid, len(customers)); err != nil {
		t.Fatal(err)
	}
	proven := map[string]bool{}
	for {
		var sending int
		clear(proven)
		inTenant(func(ctx context.Context, tx bun.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id::text, status FROM messages WHERE direction = 'out'`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, status string
				if err := rows.Scan(&id, &status); err != nil {
					return err
				}
				switch status {
				case "sent", "delivered", "read":
					proven[id] = true
				case "sending":
					sending++
				}
			}
			return rows.Err()
		})
		if len(proven) == 2 && sending == 2 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("before the kill: %d replies proven sent, %d sending; want 2 and 2", len(proven), sending)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
	kill(t, first)
	killed := time.Now()
	emu.ReleaseDelays() // the dead worker's calls get their answers into closed sockets

	// The send jobs the dead worker left running.
	var stuck []int64
	rows, err := ta.app.deps.db.SQL.QueryContext(ctx, `SELECT id FROM river_job WHERE kind = 'conversation.send' AND state = 'running' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stuck = append(stuck, id)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(stuck) == 0 {
		t.Fatal("no send job was running when the worker was killed")
	}

	startWorker(t, bin, ta, master, env...)
	in, out := settled(t, ta, tn, 90*time.Second)
	t.Logf("settled %s after the kill (%d send jobs were stuck)", time.Since(killed).Round(100*time.Millisecond), len(stuck))
	if in != len(customers) || out != len(customers) {
		t.Fatalf("%d inbound and %d outbound messages, want %d of each", in, out, len(customers))
	}

	// Every reply reached the emulator exactly once (by the id it carries
	// as callback data), and the row follows that copy.
	copies := map[string][]string{}
	for _, c := range customers {
		for _, r := range emu.Sent(pnid, c) {
			copies[r.Message.BizOpaqueCallbackData] = append(copies[r.Message.BizOpaqueCallbackData], r.ID)
		}
	}
	inTenant(func(ctx context.Context, tx bun.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id::text, status, COALESCE(wa_message_id, '') FROM messages WHERE direction = 'out'`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, status, wamid string
			if err := rows.Scan(&id, &status, &wamid); err != nil {
				return err
			}
			switch got := copies[id]; {
			case len(got) == 0:
				t.Errorf("reply %s (%s) never reached the emulator: lost", id, status)
			case len(got) > 1 && proven[id]:
				t.Errorf("reply %s went out %d times although a status webhook had proved the first", id, len(got))
			case len(got) > 1:
				t.Errorf("reply %s went out %d times", id, len(got))
			case wamid != got[0] || (status != "sent" && status != "delivered" && status != "read"):
				t.Errorf("reply %s is %s as %q, want sent as %s", id, status, wamid, got[0])
			}
			delete(copies, id)
		}
		return rows.Err()
	})
	if len(copies) != 0 {
		t.Errorf("the emulator recorded messages no reply row accounts for: %v", copies)
	}
	if c := emu.Counters(pnid); c.Accepted != len(customers) || c.Delayed != len(customers) {
		t.Errorf("emulator counters %+v: want %d accepted (2 taken before the kill, 2 sent again) and %d delayed", c, len(customers), len(customers))
	}

	// The stuck jobs were taken back by the send rescue (not River's, ten
	// minutes away) and then completed.
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range stuck {
		for {
			var state string
			var rescued bool
			err := ta.app.deps.db.SQL.QueryRowContext(ctx, `SELECT state::text, EXISTS (SELECT 1 FROM unnest(errors) e WHERE e->>'error' LIKE '%conversation.send rescue%')
				FROM river_job WHERE id = $1`, id).Scan(&state, &rescued)
			if err != nil {
				t.Fatal(err)
			}
			if !rescued {
				t.Fatalf("stuck send job %d was not rescued by the send rescue (state %s)", id, state)
			}
			if state == "completed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("rescued send job %d is %s, want completed", id, state)
			}
			time.Sleep(50 * time.Millisecond) // polling interval
		}
	}
}
