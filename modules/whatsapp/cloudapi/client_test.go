package cloudapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"concierge/modules/whatsapp/cloudapi"
)

const token = "EAAGm0PX4ZCpsBAKsecret-token-never-logged"

var creds = cloudapi.Creds{PhoneNumberID: bizNumberID, AccessToken: token}

// recorded is one request the fake Cloud API received.
type recorded struct {
	method, path, auth, contentType string
	body                            []byte
}

// fakeAPI is a local Cloud API: it records requests and answers with
// respond (by default a successful send).
type fakeAPI struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	respond func(w http.ResponseWriter, r *http.Request)
}

func newFakeAPI(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{respond: respond}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), b})
		respond := f.respond
		f.mu.Unlock()
		if respond == nil {
			respond = okSend("wamid.SENT")
		}
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) setRespond(fn func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	f.respond = fn
	f.mu.Unlock()
}

func (f *fakeAPI) hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func (f *fakeAPI) last() recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func okSend(wamid string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"%s","wa_id":"%s"}],"messages":[{"id":"%s"}]}`, customer, customer, wamid)
	}
}

func metaError(status int, code int, retryAfter string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":"(#%d) something","type":"OAuthException","code":%d,"error_subcode":2494010,"error_data":{"messaging_product":"whatsapp","details":"details of %d"},"fbtrace_id":"AbCdEf123"}}`, code, code, code)
	}
}

func TestClientSend(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, okSend("wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSNEW"))
	c := cloudapi.NewClient(api.URL+"/", "v21.0", api.Client())
	for _, tt := range requestCases() {
		if tt.msg.IsReadReceipt() {
			continue
		}
		t.Run(tt.golden, func(t *testing.T) {
			wamid, err := c.Send(context.Background(), creds, customer, tt.msg)
			if err != nil || wamid != "wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSNEW" {
				t.Fatalf("Send = %q, %v", wamid, err)
			}
			r := api.last()
			if r.method != http.MethodPost || r.path != "/v21.0/"+bizNumberID+"/messages" ||
				r.auth != "Bearer "+token || r.contentType != "application/json" {
				t.Errorf("request = %s %s auth=%q type=%q", r.method, r.path, r.auth, r.contentType)
			}
			sameJSON(t, r.body, readFile(t, "requests", tt.golden))
		})
	}
}

func TestClientMarkRead(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"success":true}`) })
	c := cloudapi.NewClient(api.URL, "", api.Client())
	if err := c.MarkRead(context.Background(), creds, quoted); err != nil {
		t.Fatal(err)
	}
	r := api.last()
	if r.path != "/"+cloudapi.DefaultVersion+"/"+bizNumberID+"/messages" || r.auth != "Bearer "+token {
		t.Errorf("request = %s auth=%q", r.path, r.auth)
	}
	sameJSON(t, r.body, readFile(t, "requests", "mark_read.json"))
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		respond    func(w http.ResponseWriter, r *http.Request)
		status     int
		code       int
		permanent  bool
		retryAfter time.Duration // checked within ±2s
	}{
		{"429 with Retry-After seconds", metaError(429, cloudapi.CodeThroughput, "7"), 429, 130429, false, 7 * time.Second},
		{"429 with Retry-After date", metaError(429, cloudapi.CodeRateLimitApp, httpDate), 429, 4, false, 90 * time.Second},
		{"500 without a body", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }, 500, 0, false, 0},
		{"502 html", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>bad gateway</html>")
		}, 502, 0, false, 0},
		{"500 code 131000", metaError(500, cloudapi.CodeGeneric, ""), 500, 131000, false, 0},
		{"400 code 131056 pair rate limit", metaError(400, cloudapi.CodePairRateLimit, ""), 400, 131056, false, 0},
		{"400 code 80007", metaError(400, cloudapi.CodeRateLimitAccount, ""), 400, 80007, false, 0},
		{"400 code 131047 re-engagement", metaError(400, cloudapi.CodeReengagement, ""), 400, 131047, true, 0},
		{"400 code 131026 undeliverable", metaError(400, cloudapi.CodeUndeliverable, ""), 400, 131026, true, 0},
		{"401 code 190 token expired", metaError(401, cloudapi.CodeAccessTokenExpired, ""), 401, 190, true, 0},
		{"400 code 100 invalid parameter", metaError(400, cloudapi.CodeInvalidParameter, ""), 400, 100, true, 0},
		{"400 code 131008", metaError(400, cloudapi.CodeRequiredParamMissing, ""), 400, 131008, true, 0},
		{"400 code 131009", metaError(400, cloudapi.CodeParamInvalid, ""), 400, 131009, true, 0},
		{"400 code 131021 recipient is sender", metaError(400, cloudapi.CodeRecipientIsSender, ""), 400, 131021, true, 0},
		{"400 code 131051", metaError(400, cloudapi.CodeUnsupportedType, ""), 400, 131051, true, 0},
		{"400 code 131052 media", metaError(400, cloudapi.CodeMediaDownload, ""), 400, 131052, true, 0},
		{"400 code 131053 media", metaError(400, cloudapi.CodeMediaUpload, ""), 400, 131053, true, 0},
		{"400 code 132001 template", metaError(400, 132001, ""), 400, 132001, true, 0},
		{"400 code 132069 template", metaError(400, 132069, ""), 400, 132069, true, 0},
		{"404 unknown code", metaError(404, 999999, ""), 404, 999999, true, 0},
		{"503 unknown code", metaError(503, 999999, ""), 503, 999999, false, 0},
		{"200 without a message id", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"messaging_product":"whatsapp"}`) }, 200, 0, true, 0},
		{"200 not json", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `ok`) }, 200, 0, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, tt.respond)
			c := cloudapi.NewClient(api.URL, "v21.0", api.Client())
			wamid, err := c.Send(context.Background(), creds, customer, cloudapi.TextMessage("hi"))
			var ae *cloudapi.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("Send = %q, %v; want an *APIError", wamid, err)
			}
			if ae.Status != tt.status || ae.Code != tt.code || ae.Permanent != tt.permanent || cloudapi.IsPermanent(err) != tt.permanent {
				t.Errorf("APIError = %+v; want status %d code %d permanent %v", ae, tt.status, tt.code, tt.permanent)
			}
			if d := cloudapi.RetryAfter(err) - tt.retryAfter; d < -2*time.Second || d > 2*time.Second {
				t.Errorf("RetryAfter = %s, want %s", cloudapi.RetryAfter(err), tt.retryAfter)
			}
			if tt.code != 0 && tt.code != 999999 {
				if ae.Subcode != 2494010 || ae.Details != fmt.Sprint("details of ", tt.code) || ae.FBTraceID != "AbCdEf123" || ae.Type != "OAuthException" {
					t.Errorf("APIError fields = %+v", ae)
				}
			}
			if strings.Contains(err.Error(), token) || strings.Contains(fmt.Sprintf("%+v", ae), token) {
				t.Errorf("the error shows the access token: %v", err)
			}
		})
	}
}

func TestClientTransportErrors(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		api := newFakeAPI(t, func(_ http.ResponseWriter, r *http.Request) {
			select { // blocks until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
		})
		t.Cleanup(func() { close(release) }) // runs before api.Close
		c := cloudapi.NewClient(api.URL, "v21.0", api.Client())
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, creds, customer, cloudapi.TextMessage("hi"))
		var ae *cloudapi.APIError
		if !errors.As(err, &ae) || ae.Status != 0 || cloudapi.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send = %v; want a retryable transport error wrapping DeadlineExceeded", err)
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), api.URL) {
			t.Errorf("error shows the token or URL: %v", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, nil)
		url := api.URL
		api.Close()
		c := cloudapi.NewClient(url, "v21.0", nil)
		_, err := c.Send(context.Background(), creds, customer, cloudapi.TextMessage("hi"))
		var ae *cloudapi.APIError
		if !errors.As(err, &ae) || cloudapi.IsPermanent(err) {
			t.Fatalf("Send = %v; want a retryable transport error", err)
		}
	})
	t.Run("missing credentials", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, nil)
		c := cloudapi.NewClient(api.URL, "v21.0", api.Client())
		_, err := c.Send(context.Background(), cloudapi.Creds{PhoneNumberID: bizNumberID}, customer, cloudapi.TextMessage("hi"))
		if !cloudapi.IsPermanent(err) || api.hits() != 0 {
			t.Fatalf("Send without a token = %v (hits %d); want a permanent error and no call", err, api.hits())
		}
	})
}

func TestCredsNeverShowToken(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("send", "creds", creds)
	for _, s := range []string{fmt.Sprint(creds), fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, creds), buf.String()} {
		if strings.Contains(s, token) || !strings.Contains(s, bizNumberID) {
			t.Errorf("rendered creds = %s", s)
		}
	}
}
