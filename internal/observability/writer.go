package observability

import (
	"io"
	"sync"
	"time"
)

// maxPending bounds what writers may queue while a flush is stuck in a slow
// write (a disk busy writing back); past it they wait for the flush.
const maxPending = 8 << 20

// flushAt is the buffered size that wakes the flusher early.
const flushAt = 64 << 10

// BufferedWriter batches log lines: writes append to a buffer that a
// background flusher hands to the underlying writer every interval, or
// sooner once 64 KiB are pending, and on Close. Under load this turns one
// write system call per log line into one per batch, and a slow write never
// blocks request goroutines (they keep appending to a fresh buffer) until
// 8 MiB are pending. A crash loses at most one interval of lines; Close (on
// shutdown) loses none.
type BufferedWriter struct {
	w        io.Writer
	mu       sync.Mutex
	cond     *sync.Cond
	buf      []byte // lines waiting for the flusher
	spare    []byte // the buffer last flushed, reused
	flushMu  sync.Mutex
	flushing bool
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
}

// NewBufferedWriter wraps w and starts the flusher.
func NewBufferedWriter(w io.Writer, interval time.Duration) *BufferedWriter {
	b := &BufferedWriter{w: w, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		buf: make([]byte, 0, flushAt*2), spare: make([]byte, 0, flushAt*2)}
	b.cond = sync.NewCond(&b.mu)
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-b.wake:
			case <-b.stop:
				return
			}
			_ = b.Flush()
		}
	}()
	return b
}

// Write queues p (one whole log record: records never interleave).
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	for b.flushing && len(b.buf)+len(p) > maxPending {
		b.cond.Wait()
	}
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= flushAt
	b.mu.Unlock()
	if full {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Flush writes out what is queued, outside the lock writers take.
func (b *BufferedWriter) Flush() error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	out := b.buf
	b.buf = b.spare[:0]
	b.flushing = true
	b.mu.Unlock()

	var err error
	if len(out) > 0 {
		_, err = b.w.Write(out)
	}

	b.mu.Lock()
	b.spare = out[:0]
	b.flushing = false
	b.cond.Broadcast()
	b.mu.Unlock()
	return err
}

// Close stops the flusher and flushes the rest.
func (b *BufferedWriter) Close() error {
	select {
	case <-b.stop:
	default:
		close(b.stop)
		<-b.done
	}
	return b.Flush()
}
