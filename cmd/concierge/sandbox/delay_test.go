package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"concierge/cmd/concierge/sandbox"
)

// sendAsync posts a send in the background (it may be held) and delivers
// the answer on the returned channel; it never touches t.
func (f *fixture) sendAsync(body string) <-chan response {
	out := make(chan response, 1)
	go func() {
		req := httptest.NewRequest(http.MethodPost, sendPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+f.num.AccessToken)
		resp, err := f.app.Test(req, -1)
		if err != nil {
			out <- response{body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out <- response{status: resp.StatusCode, header: resp.Header, body: b}
	}()
	return out
}

func answer(t *testing.T, ch <-chan response) response {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(wait):
		t.Fatalf("no answer within %s", wait)
		return response{}
	}
}

// A delayed answer: with Accept, the message is recorded and its status
// webhooks arrive while the caller still waits (Meta took it); without, it
// is not recorded and the caller, if it waits, gets 503. ReleaseDelays
// answers the held sends at once; a delay also ends by itself.
func TestDelayNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	const to = "966505550000"
	text := `{"messaging_product":"whatsapp","to":"` + to + `","text":{"body":"hi"},"biz_opaque_callback_data":"msg-1"}`

	f.emu.DelayNext(pnid, sandbox.Delay{Count: 1, For: time.Hour, Accept: true})
	f.emu.DelayNext(pnid, sandbox.Delay{Count: 1, For: time.Hour})
	taken := f.sendAsync(text)
	if err := f.emu.WaitHolding(ctx, pnid, 1); err != nil {
		t.Fatal(err)
	}
	got, err := f.emu.Wait(ctx, pnid, to, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := f.hooks.waitFor(t, 0, "sent status of the held send", isStatus(got[0].ID, "sent"))
	if !strings.Contains(string(d.body), `"biz_opaque_callback_data":"msg-1"`) {
		t.Fatalf("status without the callback data: %s", d.body)
	}
	select {
	case r := <-taken:
		t.Fatalf("the held send was answered (%d %s)", r.status, r.body)
	default:
	}

	refused := f.sendAsync(text)
	if err := f.emu.WaitHolding(ctx, pnid, 2); err != nil {
		t.Fatal(err)
	}
	if n := len(f.emu.Sent(pnid, to)); n != 1 {
		t.Fatalf("%d messages recorded: a send held without Accept was taken", n)
	}

	f.emu.ReleaseDelays()
	r := answer(t, taken)
	var ok sendOK
	if r.status != http.StatusOK || json.Unmarshal(r.body, &ok) != nil || len(ok.Messages) != 1 || ok.Messages[0].ID != got[0].ID {
		t.Fatalf("released accepted send: %d %s, want 200 naming %s", r.status, r.body, got[0].ID)
	}
	r = answer(t, refused)
	var e metaErrorBody
	if r.status != http.StatusServiceUnavailable || json.Unmarshal(r.body, &e) != nil || e.Error.Code != 131016 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("released refused send: %d %s", r.status, r.body)
	}
	if h := f.emu.Holding(""); h != 0 {
		t.Fatalf("%d sends still held after ReleaseDelays", h)
	}

	// A short delay ends by itself; the next send is not delayed.
	f.emu.DelayNext(pnid, sandbox.Delay{Count: 1, For: time.Millisecond, Accept: true})
	f.send(t, text)
	f.send(t, text)
	if c := f.emu.Counters(pnid); c.Delayed != 3 || c.Accepted != 3 || c.Injected != 0 {
		t.Fatalf("counters %+v, want 3 delayed and 3 accepted", c)
	}
	if n := len(f.emu.Sent(pnid, to)); n != 3 {
		t.Fatalf("%d messages recorded, want 3", n)
	}
}
