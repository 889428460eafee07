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

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"concierge/internal/secrets"
	"concierge/modules/sandbox"
	"concierge/tenants"
)

// privateRedis runs a redis-server of the test's own on a free port, so the
// test can stop and restart it without touching the shared one.
type privateRedis struct {
	t    *testing.T
	port string
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	r := &privateRedis{t: t, port: port}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *privateRedis) url() string { return "redis://127.0.0.1:" + r.port + "/0" }

func (r *privateRedis) start() {
	r.t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		bin = "/usr/bin/redis-server"
	}
	r.cmd = exec.Command(bin, "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + r.port})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatal("private redis-server did not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *privateRedis) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// numberFor onboards a tenant with its own WhatsApp number.
func numberFor(t *testing.T, ta *testApp, slug, pnid string) *tenants.Tenant {
	t.Helper()
	tn := ta.tenant(slug)
	if _, err := ta.app.deps.tenants.AddNumber(context.Background(), "test", slug, tenants.NumberInput{
		PhoneNumberID: pnid, DisplayPhone: "+966500000099", AccessToken: "tok-" + slug, AppSecret: "secret-" + slug}); err != nil {
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
	rds := startPrivateRedis(t)
	ta := startApp(t, modeDev, map[string]string{"REDIS_URL": rds.url()})
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

	rds.stop()
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

	rds.start()
	settled(t, ta, tn, 60*time.Second)
	exactlyOnce(t, ta, tn, emu, "300000000000001", cust)
}

// TestWorkerKilledMidConversation runs the worker as a separate process,
// kills it with SIGKILL while a conversation is being answered, and checks
// that a second worker finishes it: every message answered exactly once.
func TestWorkerKilledMidConversation(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "concierge")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	master := secrets.GenerateKey()
	ta := startApp(t, modeServe, map[string]string{"MASTER_KEY": master})
	tn := numberFor(t, ta, "killfault", "400000000000001")
	emu := ta.app.sandbox
	ctx := context.Background()

	worker := func() *exec.Cmd {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "worker")
		cmd.Env = append(os.Environ(),
			"DATABASE_URL="+ta.env["DATABASE_URL"], "REDIS_URL="+ta.env["REDIS_URL"], "REDIS_PREFIX="+ta.env["REDIS_PREFIX"],
			"MASTER_KEY="+master, "ENV=test", "LOG_LEVEL=warn", "HTTP_ADDR="+addr, "JOB_WORKERS=2", "DB_MAX_CONNS=12",
			"WHATSAPP_API_BASE_URL="+ta.base+"/sandbox/graph", "PLATFORM_DOMAIN=shop.test",
			"JOB_TIMEOUT=10s", "JOB_RESCUE_AFTER=12s", "WHATSAPP_SWEEP_AFTER=2s")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
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
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

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
