package cms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"concierge/modules/whatsapp/cloudapi"
)

// graph reads message templates from Meta's Graph API:
//
//	GET {base}/{version}/{waba_id}/message_templates?fields=…&limit=100[&after=…]
//	Authorization: Bearer {the number's access token}
//
// It follows the pages by the "after" cursor while Meta names a next page;
// it never follows the next link itself, so the token goes to the
// configured host only.
type graph struct {
	base    string
	version string
	hc      *http.Client
}

// templateFields are the fields asked of each template.
const templateFields = "name,language,status,category,components,id,rejected_reason"

// pageSize is the templates asked per page; maxPages bounds one account's
// read (Meta allows a few hundred templates per account).
const (
	pageSize = 100
	maxPages = 100
)

func newGraph(base, version string, hc *http.Client) *graph {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &graph{base: strings.TrimRight(base, "/"), version: strings.Trim(version, "/"), hc: hc}
}

// metaTemplate is one template as Meta lists it.
type metaTemplate struct {
	Name           string          `json:"name"`
	Language       string          `json:"language"`
	Status         string          `json:"status"`
	Category       string          `json:"category"`
	Components     json.RawMessage `json:"components"`
	ID             string          `json:"id"`
	RejectedReason string          `json:"rejected_reason"`
}

type templatesPage struct {
	Data   []metaTemplate `json:"data"`
	Paging struct {
		Cursors struct {
			Before string `json:"before"`
			After  string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// templates reads every template of a WhatsApp Business Account.
func (g *graph) templates(ctx context.Context, wabaID, token string) ([]metaTemplate, error) {
	var out []metaTemplate
	after := ""
	for range maxPages {
		q := url.Values{"fields": {templateFields}, "limit": {strconv.Itoa(pageSize)}}
		if after != "" {
			q.Set("after", after)
		}
		var page templatesPage
		if err := g.get(ctx, g.base+"/"+g.version+"/"+url.PathEscape(wabaID)+"/message_templates?"+q.Encode(), token, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Data...)
		next := page.Paging.Cursors.After
		if page.Paging.Next == "" || next == "" || next == after || len(page.Data) == 0 {
			return out, nil
		}
		after = next
	}
	return nil, &GraphError{Status: http.StatusOK, Message: fmt.Sprintf("more than %d pages of templates", maxPages), Permanent: true}
}

func (g *graph) get(ctx context.Context, u, token string, dst any) error {
	if token == "" {
		return &GraphError{Code: cloudapi.CodeAccessTokenExpired, Message: "the number has no access token", Permanent: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("cms: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	res, err := g.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return &GraphError{Message: err.Error(), Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return &GraphError{Status: res.StatusCode, Message: "read response: " + err.Error(), Err: err}
	}
	if res.StatusCode/100 != 2 {
		return cloudapi.ParseError(res, raw)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return &GraphError{Status: res.StatusCode, Message: "the response is not the templates JSON", Permanent: true, Err: err}
	}
	return nil
}

// GraphError is a failed Graph API call: the Cloud API client's error,
// classified the same way (Permanent: asking again cannot succeed; Auth():
// the token is refused or lacks the permission).
type GraphError = cloudapi.APIError
