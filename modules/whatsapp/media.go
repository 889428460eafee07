package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// Media a customer sent (an image with a return request, say) is fetched
// from the Cloud API in two calls, outside any transaction (a job's):
//
//	GET {base}/{version}/{media_id}  (Bearer: the number's token) → {"url", "mime_type", "sha256", "file_size", "id"}
//	GET {url}                        (Bearer: the same token)     → the bytes
//
// The declared size and type are checked before the download, the bytes
// read are bounded whatever the size claimed, and the token goes only to
// the Graph API's host or an https URL (Meta's lookaside CDN).

// MediaConfig is where and what media is fetched.
type MediaConfig struct {
	// BaseURL is the Graph API (cloudapi.DefaultBaseURL; the sandbox's
	// /sandbox/graph in dev), Version its version (cloudapi.DefaultVersion):
	// the Cloud API client's own.
	BaseURL string
	Version string
	// Types are the media types accepted (default image/jpeg, image/png,
	// image/webp).
	Types []string
	// HTTPClient makes the calls (default: a 60-second timeout).
	HTTPClient *http.Client
}

// MediaClient downloads customers' media with the token of the tenant's
// WhatsApp number (the tenant of the context).
type MediaClient struct {
	svc     *Service
	base    *url.URL
	version string
	types   []string
	hc      *http.Client
}

// MediaClient returns the channel's media downloader.
func (s *Service) MediaClient(cfg MediaConfig) (*MediaClient, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = cloudapi.DefaultBaseURL
	}
	if cfg.Version == "" {
		cfg.Version = cloudapi.DefaultVersion
	}
	if len(cfg.Types) == 0 {
		cfg.Types = []string{"image/jpeg", "image/png", "image/webp"}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("whatsapp: media base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	types := make([]string, len(cfg.Types))
	for i, t := range cfg.Types {
		types[i] = mediaType(t)
	}
	return &MediaClient{svc: s, base: base, version: strings.Trim(cfg.Version, "/"), types: types, hc: cfg.HTTPClient}, nil
}

// MediaError is media refused by its size or type.
type MediaError struct {
	Reason   string // MediaTooLarge or MediaBadType
	Size     int64  // the size declared or read (MediaTooLarge)
	Limit    int64
	MimeType string
}

// Reasons of a MediaError.
const (
	MediaTooLarge = "too_large"
	MediaBadType  = "type"
)

func (e *MediaError) Error() string {
	if e.Reason == MediaTooLarge {
		return fmt.Sprintf("whatsapp: media of %d bytes is over the limit of %d", e.Size, e.Limit)
	}
	return fmt.Sprintf("whatsapp: media of type %q is not accepted", e.MimeType)
}

// Unwrap makes a too-large media a too_large error and a refused type an
// invalid one, in the shared vocabulary.
func (e *MediaError) Unwrap() error {
	if e.Reason == MediaTooLarge {
		return &errs.Error{Code: errs.CodeTooLarge}
	}
	return &errs.Error{Code: errs.CodeInvalid}
}

// mediaInfo is the Graph API's answer about a media id.
type mediaInfo struct {
	URL      string          `json:"url"`
	MimeType string          `json:"mime_type"`
	SHA256   string          `json:"sha256"`
	FileSize json.RawMessage `json:"file_size"` // a number (Meta) or a string
	ID       string          `json:"id"`
}

// DownloadMedia fetches the media mediaID with the token of the WhatsApp
// number of the context's tenant (each of its active numbers in turn when
// it has several: media belongs to the number it was sent to), and returns
// its bytes and media type. Errors: *MediaError (too_large: declared or
// read over maxBytes; invalid: a type not accepted), not_found (the
// tenant has no active number, or no number of it knows the media),
// anything else is transient (retry).
func (m *MediaClient) DownloadMedia(ctx context.Context, mediaID string, maxBytes int64) ([]byte, string, error) {
	if mediaID == "" || strings.ContainsAny(mediaID, "/?#%") {
		return nil, "", errs.New(errs.CodeNotFound, "error.not_found")
	}
	numbers, err := m.numbers(ctx)
	if err != nil {
		return nil, "", err
	}
	var last error
	for _, creds := range numbers {
		data, mime, err := m.download(ctx, creds, mediaID, maxBytes)
		var ae *cloudapi.APIError
		if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusTooManyRequests {
			last = err // another number's media, or gone: try the next number
			continue
		}
		return data, mime, err
	}
	if last == nil {
		last = errors.New("the tenant has no active WhatsApp number")
	}
	return nil, "", errs.Wrap(errs.CodeNotFound, last, "error.not_found")
}

// numbers are the credentials of the context's tenant's active numbers,
// oldest first.
func (m *MediaClient) numbers(ctx context.Context) ([]cloudapi.Creds, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = m.svc.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT phone_number_id FROM whatsapp_numbers WHERE status = 'active' ORDER BY created_at, id`).Scan(ctx, &ids)
	})
	if err != nil {
		return nil, err
	}
	var out []cloudapi.Creds
	for _, id := range ids {
		owner, n, err := m.svc.tenants.ResolveNumber(ctx, id)
		if err != nil {
			if errors.Is(err, errs.ErrNotFound) || errors.Is(err, errs.ErrForbidden) {
				continue
			}
			return nil, err
		}
		if owner == nil || owner.ID != t.ID {
			continue
		}
		out = append(out, cloudapi.Creds{PhoneNumberID: n.PhoneNumberID, AccessToken: n.AccessToken})
	}
	return out, nil
}

// download makes the two calls with one number's token.
func (m *MediaClient) download(ctx context.Context, creds cloudapi.Creds, mediaID string, maxBytes int64) ([]byte, string, error) {
	info, err := m.info(ctx, creds, mediaID)
	if err != nil {
		return nil, "", err
	}
	mime := mediaType(info.MimeType)
	if !slices.Contains(m.types, mime) {
		return nil, "", &MediaError{Reason: MediaBadType, MimeType: mime}
	}
	if size, ok := parseSize(info.FileSize); ok && size > maxBytes {
		return nil, "", &MediaError{Reason: MediaTooLarge, Size: size, Limit: maxBytes}
	}
	u, err := m.downloadURL(info.URL)
	if err != nil {
		return nil, "", err
	}
	res, err := m.get(ctx, creds, u.String(), "*/*")
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	if res.ContentLength > maxBytes {
		return nil, "", &MediaError{Reason: MediaTooLarge, Size: res.ContentLength, Limit: maxBytes}
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBytes+1))
	if err != nil {
		return nil, "", &cloudapi.APIError{Status: res.StatusCode, Message: "read media: " + err.Error(), Err: err}
	}
	if int64(len(data)) > maxBytes {
		return nil, "", &MediaError{Reason: MediaTooLarge, Size: int64(len(data)), Limit: maxBytes}
	}
	return data, mime, nil
}

// info asks the Graph API about a media id.
func (m *MediaClient) info(ctx context.Context, creds cloudapi.Creds, mediaID string) (*mediaInfo, error) {
	res, err := m.get(ctx, creds, m.base.String()+"/"+m.version+"/"+url.PathEscape(mediaID), "application/json")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return nil, &cloudapi.APIError{Status: res.StatusCode, Message: "read media info: " + err.Error(), Err: err}
	}
	var out mediaInfo
	if err := json.Unmarshal(raw, &out); err != nil || out.URL == "" {
		return nil, &cloudapi.APIError{Status: res.StatusCode, Message: "the media info is not the Graph API's", Err: err}
	}
	return &out, nil
}

// get makes one authorised call; an answer other than 2xx is an
// *cloudapi.APIError.
func (m *MediaClient) get(ctx context.Context, creds cloudapi.Creds, target, accept string) (*http.Response, error) {
	if creds.AccessToken == "" {
		return nil, cloudapi.ErrNoCredentials
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: media request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+creds.AccessToken)
	req.Header.Set("Accept", accept)
	res, err := m.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // never the URL: it may carry a signed query
		}
		return nil, &cloudapi.APIError{Message: "media: " + err.Error(), Err: err}
	}
	if res.StatusCode/100 != 2 {
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return nil, &cloudapi.APIError{Status: res.StatusCode, Message: "media: " + http.StatusText(res.StatusCode),
			Permanent: res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != http.StatusTooManyRequests}
	}
	return res, nil
}

// downloadURL checks the media's URL before the token is sent to it: https,
// or the Graph API's own scheme and host (the sandbox's, in dev).
func (m *MediaClient) downloadURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, &cloudapi.APIError{Message: "the media URL is not a URL", Permanent: true, Err: err}
	}
	if u.Scheme == "https" || (u.Scheme == m.base.Scheme && u.Host == m.base.Host) {
		return u, nil
	}
	return nil, &cloudapi.APIError{Message: "the media URL is neither https nor the Graph API's host", Permanent: true}
}

// parseSize reads file_size, a number or a string of digits.
func parseSize(raw json.RawMessage) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// mediaType is a media type without parameters, in lower case.
func mediaType(s string) string {
	s, _, _ = strings.Cut(s, ";")
	return strings.ToLower(strings.TrimSpace(s))
}
