package testenv

import (
	"context"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// PrivateRedis is a redis-server of the test's own on a free port, without
// persistence, which the test may stop and start again: a restart loses
// every key, as a production Redis without persistence does. Fault tests use
// it to take Redis away without touching the shared server.
type PrivateRedis struct {
	t    testing.TB
	port string
	cmd  *exec.Cmd
}

// StartRedis starts a private redis-server, stopped when the test ends.
func StartRedis(t testing.TB) *PrivateRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	r := &PrivateRedis{t: t, port: port}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the server's redis:// URL.
func (r *PrivateRedis) URL() string { return "redis://127.0.0.1:" + r.port + "/0" }

// Start starts the server (empty) and waits until it answers.
func (r *PrivateRedis) Start() {
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
		time.Sleep(20 * time.Millisecond) // polling the server's start, not synchronising the code under test
	}
}

// Stop kills the server (as a crash would).
func (r *PrivateRedis) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// Restart kills the server and starts it again, empty.
func (r *PrivateRedis) Restart() {
	r.t.Helper()
	r.Stop()
	r.Start()
}
