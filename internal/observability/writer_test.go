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
