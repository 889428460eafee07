package analytics

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"concierge/tenants"
)

// FuzzRecord: whatever texts and amounts a caller passes, Record never
// panics and what it queues is what the table accepts: valid UTF-8 without
// NUL or control characters, within the caps, a known name and channel,
// an amount and currency both or neither, a time within the backdate.
func FuzzRecord(f *testing.F) {
	for _, seed := range []struct {
		name, channel, session, query, currency string
		amount                                  int64
	}{
		{"search", "web", "abc", "عباية سوداء", "", 0},
		{"search", "web", "a\x00b", "x\x00y\xff\xfe", "", 0},
		{"paid", "whatsapp", strings.Repeat("s", 100), strings.Repeat("٣", 1000), "SAR", 14950},
		{"paid", "web", "", "+966 55 123 4567 sara@example.com", "sar", -5},
		{"cart_added", "email", "\n", "\r\n\t", "KWD", 1 << 62},
		{"", "", "", strings.Repeat("\xc3", 900), "", 0},
	} {
		f.Add(seed.name, seed.channel, seed.session, seed.query, seed.currency, seed.amount, int64(0))
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, name, channel, session, query, currency string, amount, atOffset int64) {
		s := New(Config{QueueSize: 1}, Deps{Now: func() time.Time { return now }})
		ctx := tenants.WithTenantID(context.Background(), uuid.New())
		s.Record(ctx, Event{Name: name, Channel: channel, SessionID: session, Query: query, Currency: currency, Amount: amount,
			At: now.Add(time.Duration(atOffset))})
		if len(s.queue) == 0 {
			return // dropped (invalid)
		}
		r := <-s.queue
		if !validName(r.Name) || !validChannel(r.Channel) {
			t.Fatalf("queued %q on %q", r.Name, r.Channel)
		}
		for field, v := range map[string]string{"session": r.SessionID, "query": r.Query} {
			if !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
				t.Fatalf("%s %q is not safe text", field, v)
			}
			if v != strings.TrimSpace(v) {
				t.Fatalf("%s %q has surrounding space", field, v)
			}
		}
		if len(r.SessionID) > MaxSessionID || utf8.RuneCountInString(r.Query) > MaxQuery {
			t.Fatalf("too long: session %d bytes, query %d characters", len(r.SessionID), utf8.RuneCountInString(r.Query))
		}
		if (r.Amount == nil) != (r.Currency == "") || (r.Amount != nil && (*r.Amount < 0 || *r.Amount > 1_000_000_000_000)) {
			t.Fatalf("amount %v %q", r.Amount, r.Currency)
		}
		if r.OccurredAt.After(now) || r.OccurredAt.Before(now.Add(-MaxBackdate)) || r.ID.Version() != 7 {
			t.Fatalf("stamped %s %s", r.OccurredAt, r.ID)
		}
	})
}

func TestScrubQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  abaya  ", "abaya"},
		{"order 1234567", "order"},
		{"order 123456", "order 123456"},
		{"(055) 123-4567", ""},
		{"size 42/44", "size 42/44"},
		{"x@y", ""},
		{"a\u200bb", "a\u200bb"},
		{strings.Repeat("ab ", 60), strings.TrimSpace(strings.Repeat("ab ", 34))[:100]},
	} {
		if got := scrubQuery(tc.in); got != tc.want {
			t.Errorf("scrubQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
