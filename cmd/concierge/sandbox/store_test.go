package sandbox

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestConversationIsBounded(t *testing.T) {
	t.Parallel()
	e := New(Config{}, nil)
	defer e.Close()
	k := convKey{"1", "966500000000"}
	const n = MaxPerConversation + 25
	e.mu.Lock()
	for i := range n {
		e.addLocked(&entry{key: k, dir: dirOut, id: fmt.Sprintf("wamid.%d", i), typ: "text", at: time.Now(), msg: &Message{Text: &Text{Body: fmt.Sprint(i)}}})
	}
	e.mu.Unlock()
	got := e.Sent("1", "+966500000000")
	if len(got) != MaxPerConversation || got[0].Text() != "25" || got[len(got)-1].Text() != fmt.Sprint(n-1) {
		t.Fatalf("kept %d messages, from %q to %q", len(got), got[0].Text(), got[len(got)-1].Text())
	}
	if _, ok := e.byID["wamid.0"]; ok || len(e.byID) != MaxPerConversation {
		t.Fatalf("index keeps %d ids (evicted one present: %v)", len(e.byID), ok)
	}
	// Wait counts every message sent, forgotten ones included.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if got, err := e.Wait(ctx, "1", "966500000000", n); err != nil || len(got) != MaxPerConversation {
		t.Fatalf("Wait: %d, %v", len(got), err)
	}
}

func TestWaID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+966 50 123 4567":  "966501234567",
		"٩٦٦٥٠١٢٣٤٥٦٧":      "966501234567",
		"(966) 50-123.4567": "966501234567",
		"966+50":            "",
		"9665x":             "",
	} {
		if got := waID(in); got != want {
			t.Errorf("waID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateInternalLimits(t *testing.T) {
	t.Parallel()
	long := func(n int) string {
		b := make([]rune, n)
		for i := range b {
			b[i] = 'ع'
		}
		return string(b)
	}
	tests := []struct {
		name string
		m    Message
		code int
	}{
		{"header too long", Message{MessagingProduct: "whatsapp", To: "966500000000", Type: "interactive", Interactive: &Interactive{Type: "button",
			Header: &Header{Type: "text", Text: long(61)}, Body: &TextBlock{Text: "b"}, Action: &Action{Buttons: []Button{{Type: "reply", Reply: &Reply{ID: "a", Title: "a"}}}}}}, 131009},
		{"list button too long", Message{MessagingProduct: "whatsapp", To: "966500000000", Type: "interactive", Interactive: &Interactive{Type: "list",
			Body: &TextBlock{Text: "b"}, Action: &Action{Button: long(21), Sections: []Section{{Rows: []Row{{ID: "a", Title: "a"}}}}}}}, 131009},
		{"image header on a list", Message{MessagingProduct: "whatsapp", To: "966500000000", Type: "interactive", Interactive: &Interactive{Type: "list",
			Header: &Header{Type: "image", Image: &Media{Link: "https://x.test/a.png"}}, Body: &TextBlock{Text: "b"}, Action: &Action{Button: "x", Sections: []Section{{Rows: []Row{{ID: "a", Title: "a"}}}}}}}, 100},
		{"buttons on a list", Message{MessagingProduct: "whatsapp", To: "966500000000", Type: "interactive", Interactive: &Interactive{Type: "list",
			Body: &TextBlock{Text: "b"}, Action: &Action{Button: "x", Buttons: []Button{{Type: "reply", Reply: &Reply{ID: "a", Title: "a"}}}, Sections: []Section{{Rows: []Row{{ID: "a", Title: "a"}}}}}}}, 100},
		{"caption too long", Message{MessagingProduct: "whatsapp", To: "966500000000", Type: "image", Image: &Media{Link: "https://x.test/a.png", Caption: long(1025)}}, 131009},
		{"text too long", Message{MessagingProduct: "whatsapp", To: "966500000000", Text: &Text{Body: long(4097)}}, 131009},
		{"to with a leading zero", Message{MessagingProduct: "whatsapp", To: "0500000000", Text: &Text{Body: "x"}}, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.validate()
			if err == nil || err.code != tc.code || err.status != 400 {
				t.Fatalf("validate = %v, want code %d", err, tc.code)
			}
		})
	}
}
