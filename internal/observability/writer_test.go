package observability_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"concierge/internal/observability"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestBufferedWriterKeepsWholeLinesAndFlushesOnClose(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	w := observability.NewBufferedWriter(&out, time.Hour) // only Close flushes here
	log := observability.NewLogger("info", w)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				log.Info("line", "n", i)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1600 {
		t.Fatalf("got %d lines after Close, want 1600", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
			t.Fatalf("interleaved or torn line: %q", l)
		}
	}
}

// slowWriter blocks every write until released.
type slowWriter struct {
	release chan struct{}
	lockedBuffer
}

func (s *slowWriter) Write(p []byte) (int, error) {
	<-s.release
	return s.lockedBuffer.Write(p)
}

func TestBufferedWriterDoesNotBlockWritersDuringASlowFlush(t *testing.T) {
	t.Parallel()
	out := &slowWriter{release: make(chan struct{})}
	w := observability.NewBufferedWriter(out, time.Hour)
	if _, err := w.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- w.Flush() }() // stuck in the slow write
	// While that flush is stuck, writers still get through.
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			_, _ = w.Write([]byte("more\n"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("writers blocked behind a slow flush")
	}
	close(out.release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != 101 {
		t.Fatalf("%d lines written, want 101", got)
	}
}
