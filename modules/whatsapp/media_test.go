package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"concierge/internal/errs"
	"concierge/modules/whatsapp"
	"concierge/tenants"
)

// TestMediaDownload: the media client against a stand-in Graph API — the
// media belongs to the tenant's second number (the first number's token is
// refused, the second's works), the declared size and type are checked
// before the download and the bytes read are bounded whatever the size
// claimed, and the token is never sent to a URL off the Graph API's host
// that is not https.
func TestMediaDownload(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	second := "token-second-" + f.shop.Slug
	if _, err := f.env.Tenants.AddNumber(context.Background(), "test", f.shop.Slug, tenants.NumberInput{
		PhoneNumberID: fmt.Sprintf("1%011d", 90000000000+seq.Add(1)), DisplayPhone: "+966129999999", AccessToken: second, AppSecret: "s"}); err != nil {
		t.Fatal(err)
	}
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write([]byte("\xff\xd8\xff"))
	}))
	defer other.Close()
	type item struct {
		mime string
		size any
		body string
		url  string
	}
	items := map[string]item{
		"1": {mime: "image/jpeg", size: 3, body: "\xff\xd8\xff"},
		"2": {mime: "image/jpeg; charset=binary", size: "5000", body: "never read"},
		"3": {mime: "image/png", size: 1, body: strings.Repeat("x", 300)},
		"4": {mime: "application/pdf", size: 3, body: "%PDF"},
		"5": {mime: "image/jpeg", size: 3, url: other.URL + "/steal"},
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+second {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"message":"not this number's media","code":100}}`))
			return
		}
		if id, ok := strings.CutPrefix(r.URL.Path, "/v23.0/"); ok {
			it, found := items[id]
			if !found {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			u := it.url
			if u == "" {
				u = srv.URL + "/download/" + id
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"url": u, "mime_type": it.mime, "sha256": "x", "file_size": it.size, "id": id})
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/download/")
		_, _ = w.Write([]byte(items[id].body))
	}))
	defer srv.Close()
	mc, err := f.svc.MediaClient(whatsapp.MediaConfig{BaseURL: srv.URL, Version: "v23.0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := f.shop.Ctx
	data, mime, err := mc.DownloadMedia(ctx, "1", 100)
	if err != nil || mime != "image/jpeg" || string(data) != "\xff\xd8\xff" {
		t.Fatalf("download: %q %q %v", data, mime, err)
	}
	refused := func(id, reason string, code errs.Code) {
		t.Helper()
		_, _, err := mc.DownloadMedia(ctx, id, 100)
		var me *whatsapp.MediaError
		if !errors.As(err, &me) || me.Reason != reason || errs.CodeOf(err) != code {
			t.Errorf("media %s: %v (code %s), want %s", id, err, errs.CodeOf(err), reason)
		}
	}
	refused("2", whatsapp.MediaTooLarge, errs.CodeTooLarge)
	refused("3", whatsapp.MediaTooLarge, errs.CodeTooLarge)
	refused("4", whatsapp.MediaBadType, errs.CodeInvalid)
	if _, _, err := mc.DownloadMedia(ctx, "5", 100); err == nil || elsewhere.Load() != 0 {
		t.Errorf("a plain-http URL on another host: %v, %d calls there", err, elsewhere.Load())
	}
	if _, _, err := mc.DownloadMedia(ctx, "404", 100); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown media: %v", err)
	}
	// Another tenant's numbers do not know the media.
	otherShop, _, _ := f.addShop("other")
	if _, _, err := mc.DownloadMedia(otherShop.Ctx, "1", 100); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("another tenant's download: %v", err)
	}
	if _, _, err := mc.DownloadMedia(context.Background(), "1", 100); err == nil {
		t.Error("a download without a tenant")
	}
}
