package testenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// StripeMockVersion is the stripe-mock StripeMock installs when none is
// found (deploy/test.sh installs the same one).
const StripeMockVersion = "v0.203.0"

// stripeMock is the one stripe-mock of this test binary: started by the
// first test that asks for it, shared by every test that runs while it is
// up, and stopped when the last user (a test, or StripeMockMain) is done.
var stripeMock struct {
	mu    sync.Mutex
	users int
	url   string
	cmd   *exec.Cmd
	done  chan struct{} // closed when cmd has exited
}

// StripeMock returns the base URL ("http://127.0.0.1:N") of a stripe-mock
// server: Stripe's API answered from its OpenAPI spec and fixtures, each
// request's parameters checked against the spec. It is stateless: it answers
// fixtures, echoing some of the parameters, and keeps nothing between
// requests. The binary is looked up in PATH, then GOBIN or GOPATH/bin, and
// installed with `go install` (StripeMockVersion) when missing.
//
// The server is shared by the tests of the binary that use it at the same
// time and killed when the last of them ends; a package whose TestMain runs
// its tests through StripeMockMain keeps one server for the whole run.
func StripeMock(t testing.TB) string {
	t.Helper()
	stripeMock.mu.Lock()
	defer stripeMock.mu.Unlock()
	if stripeMock.cmd == nil {
		if err := startStripeMock(); err != nil {
			t.Fatalf("stripe-mock: %v", err)
		}
	}
	stripeMock.users++
	t.Cleanup(releaseStripeMock)
	return stripeMock.url
}

// StripeMockMain runs a package's tests (m.Run) keeping the stripe-mock
// that the first StripeMock starts up until they have all ended, instead of
// one per stretch of tests that overlap; it returns m.Run's code:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.StripeMockMain(m)) }
func StripeMockMain(m *testing.M) int {
	stripeMock.mu.Lock()
	stripeMock.users++
	stripeMock.mu.Unlock()
	defer releaseStripeMock()
	return m.Run()
}

// releaseStripeMock drops one user of the server and kills it after the last.
func releaseStripeMock() {
	stripeMock.mu.Lock()
	defer stripeMock.mu.Unlock()
	stripeMock.users--
	if stripeMock.users == 0 && stripeMock.cmd != nil {
		_ = stripeMock.cmd.Process.Kill()
		<-stripeMock.done
		stripeMock.cmd, stripeMock.url = nil, ""
	}
}

// startStripeMock starts stripe-mock on ports the system picks, reads the
// HTTP address it prints and waits until it answers. Called with
// stripeMock.mu held.
func startStripeMock() error {
	bin, err := stripeMockBinary()
	if err != nil {
		return err
	}
	// Both listeners on loopback with system-chosen ports: with -http-addr
	// alone stripe-mock still opens HTTPS on :12112, which a second test
	// binary could not.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	done := make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		// "Listening for HTTP at address: 127.0.0.1:41234"; the rest of the
		// output (a line per request) is drained so the server never blocks
		// on a full pipe.
		sc := bufio.NewScanner(stdout)
		const prefix = "Listening for HTTP at address: "
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				addr <- strings.TrimSpace(a)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(done)
	}()
	kill := func() { _ = cmd.Process.Kill(); <-done }

	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case <-done:
		return fmt.Errorf("exited before listening: %s", strings.TrimSpace(stderr.String()))
	case <-time.After(60 * time.Second):
		kill()
		return errors.New("did not say where it listens within 60s")
	}
	if err := waitAnswers(url); err != nil {
		kill()
		return err
	}
	stripeMock.cmd, stripeMock.url, stripeMock.done = cmd, url, done
	return nil
}

// waitAnswers polls url until stripe-mock answers an API request.
func waitAnswers(url string) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer sk_test_readiness")
		res, err := c.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", res.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("did not answer at %s: %w", url, err)
		}
		time.Sleep(20 * time.Millisecond) // polling the server's start, not synchronising the code under test
	}
}

// stripeMockInstall serialises lookups and installs within the test binary.
var stripeMockInstall sync.Mutex

// stripeMockBinary finds stripe-mock (PATH, then GOBIN or GOPATH/bin) or
// installs it. Test binaries running at once may each install it: each
// builds into its own directory beside the target and renames the binary
// into place, so none ever runs a half-written file.
func stripeMockBinary() (string, error) {
	stripeMockInstall.Lock()
	defer stripeMockInstall.Unlock()
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("not in PATH, and no go command to install it with")
	}
	out, err := exec.Command(goBin, "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(string(out), "\n")
	binDir := strings.TrimSpace(lines[0])
	if binDir == "" && len(lines) > 1 {
		gopath := filepath.SplitList(strings.TrimSpace(lines[1]))
		if len(gopath) == 0 {
			return "", errors.New("go env GOPATH is empty")
		}
		binDir = filepath.Join(gopath[0], "bin")
	}
	target := filepath.Join(binDir, "stripe-mock")
	if fi, err := os.Stat(target); err == nil && fi.Mode().IsRegular() {
		return target, nil
	}

	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(binDir, ".stripe-mock-install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	install := exec.Command(goBin, "install", "github.com/stripe/stripe-mock@"+StripeMockVersion)
	install.Dir = tmp
	install.Env = append(os.Environ(), "GOBIN="+tmp)
	if out, err := install.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install github.com/stripe/stripe-mock@%s: %w\n%s", StripeMockVersion, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "stripe-mock"), target); err != nil {
		return "", err
	}
	return target, nil
}
