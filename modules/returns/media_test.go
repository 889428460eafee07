package returns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"concierge/internal/errs"
	"concierge/modules/orders"
	"concierge/modules/whatsapp"
	"concierge/tenants"
)

// graphMedia is one media item the stand-in Graph API serves.
type graphMedia struct {
	mime     string
	declared int64 // file_size as claimed
	data     []byte
}

// graph stands in for the Cloud API's media endpoints: GET
// /v23.0/{media_id} answers the media's URL, type and claimed size, GET
// /dl/{media_id} its bytes, both for the number's token only.
type graph struct {
	*httptest.Server
	token     string
	mu        sync.Mutex
	items     map[string]graphMedia
	downloads []string
}

func newGraph(t *testing.T, token string) *graph {
	t.Helper()
	g := &graph{token: token, items: map[string]graphMedia{}}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+g.token {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"message":"Invalid OAuth access token","code":190}}`))
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/v23.0/"):
			id := strings.TrimPrefix(r.URL.Path, "/v23.0/")
			it, ok := g.items[id]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"error":{"message":"Unsupported get request","code":100}}`))
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp", "url": g.URL + "/dl/" + id,
				"mime_type": it.mime, "sha256": "abc", "file_size": it.declared, "id": id})
		case strings.HasPrefix(r.URL.Path, "/dl/"):
			id := strings.TrimPrefix(r.URL.Path, "/dl/")
			g.downloads = append(g.downloads, id)
			w.Header().Set("Content-Type", g.items[id].mime)
			_, _ = w.Write(g.items[id].data)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *graph) add(id string, m graphMedia) {
	g.mu.Lock()
	g.items[id] = m
	g.mu.Unlock()
}

func (g *graph) downloaded() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.downloads)
}

// pngOf is a PNG of n bytes (its signature, then padding).
func pngOf(n int) []byte {
	b := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, n)...)
	return b[:n]
}

// TestFetchMedia runs the returns.fetch_media job's work against the
// channel's real downloader (whatsapp.MediaClient with the tenant's number
// token) and a stand-in Graph API: a photo kept; too large by the declared
// size (never downloaded); too large by the bytes when the size lied; a type
// refused by its declaration or by its bytes; a download that keeps failing.
// Each refusal tells the customer why.
func TestFetchMedia(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.env.Tenants.AddNumber(context.Background(), "test", f.shop.Slug, tenants.NumberInput{PhoneNumberID: fmt.Sprintf("1%011d", seq.Add(1)),
		DisplayPhone: "+966120000001", AccessToken: "token-shop", AppSecret: "secret"}); err != nil {
		t.Fatal(err)
	}
	g := newGraph(t, "token-shop")
	channel := whatsapp.New(whatsapp.Config{}, whatsapp.Deps{Scope: f.env.Scope, Tenants: f.env.Tenants, Jobs: f.env.Jobs, Catalog: f.env.Catalog, Log: f.env.Log})
	media, err := channel.MediaClient(whatsapp.MediaConfig{BaseURL: g.URL, Version: "v23.0"})
	if err != nil {
		t.Fatal(err)
	}
	svc := f.service(Config{MaxMediaBytes: 1000}, media)
	cust, _ := f.customer(t, f.ctx, "en")
	o := f.order(t, f.ctx, &cust, orders.StatusDelivered, item{f.abaya, 9})
	f.clock.Set(deliveredAt.Add(time.Hour))

	g.add("101", graphMedia{mime: "image/png", declared: 600, data: pngOf(600)})
	g.add("102", graphMedia{mime: "image/jpeg", declared: 5000, data: pngOf(5000)})
	g.add("103", graphMedia{mime: "image/png", declared: 10, data: pngOf(2000)})
	g.add("104", graphMedia{mime: "image/gif", declared: 10, data: []byte("GIF89a....")})
	g.add("105", graphMedia{mime: "image/jpeg", declared: 20, data: []byte("<html><script>x</script>")})
	tests := []struct {
		media, status, reason, notice string
	}{
		{"101", MediaStored, "", ""},
		{"102", MediaRejected, MediaTooLarge, "returns.notify.media_too_large"},
		{"103", MediaRejected, MediaTooLarge, "returns.notify.media_too_large"},
		{"104", MediaRejected, MediaBadType, "returns.notify.media_type"},
		{"105", MediaRejected, MediaBadType, "returns.notify.media_type"},
		{"106", MediaRejected, MediaDownload, "returns.notify.media_download"}, // unknown to the Graph API
	}
	for _, tc := range tests {
		t.Run(tc.media, func(t *testing.T) {
			r, err := svc.Create(f.ctx, Request{OrderID: o.ID, Channel: ChannelWhatsApp, CustomerID: &cust, Reason: ReasonDamaged,
				Lines: []LineRequest{{SKU: f.abaya.SKU, Quantity: 1}}, Media: []MediaRef{{ID: tc.media, MimeType: "image/jpeg"}}})
			if err != nil {
				t.Fatal(err)
			}
			d, err := svc.Get(f.ctx, r.ID)
			if err != nil || len(d.Media) != 1 || d.Media[0].Status != MediaPending {
				t.Fatalf("before the job: %+v %v", d, err)
			}
			m := d.Media[0]
			if jobs := f.jobs(t, "returns.fetch_media", "media_id"); !slices.Contains(jobs, m.ID.String()) {
				t.Fatalf("no fetch job for the photo: %v", jobs)
			}
			if _, _, err := svc.Media(f.ctx, r.ID, m.ID); !errors.Is(err, errs.ErrConflict) {
				t.Fatalf("a pending photo: %v", err)
			}
			before := len(f.notices.texts())
			if tc.reason == MediaDownload {
				// Retried while attempts are left, rejected at the last.
				if err := svc.FetchMedia(f.ctx, m.ID, false); err == nil {
					t.Fatal("an unknown media must make the job retry")
				}
			}
			if err := svc.FetchMedia(f.ctx, m.ID, tc.reason == MediaDownload); err != nil {
				t.Fatal(err)
			}
			d, _ = svc.Get(f.ctx, r.ID)
			got := d.Media[0]
			if got.Status != tc.status || got.Reason != tc.reason {
				t.Fatalf("photo: %+v", got)
			}
			texts := f.notices.texts()[before:]
			switch {
			case tc.notice == "" && len(texts) != 0, tc.notice != "" && !slices.Equal(texts, []string{tc.notice}):
				t.Errorf("notices: %v", texts)
			}
			data, mime, err := svc.Media(f.ctx, r.ID, m.ID)
			if tc.status == MediaStored {
				if err != nil || mime != "image/png" || !bytes.Equal(data, pngOf(600)) || got.SizeBytes == nil || *got.SizeBytes != 600 || len(got.SHA256) != 64 {
					t.Fatalf("stored photo: %q %d bytes %v (%+v)", mime, len(data), err, got)
				}
			} else if !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("a rejected photo is served: %v", err)
			}
			// The job again does nothing.
			if err := svc.FetchMedia(f.ctx, m.ID, true); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Declared too large: never downloaded.
	if dl := g.downloaded(); slices.Contains(dl, "102") || !slices.Contains(dl, "103") {
		t.Errorf("downloads: %v", dl)
	}
}
