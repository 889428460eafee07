package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"concierge/cmd/concierge/sandbox"
)

const templatesPath = "/sandbox/graph/v23.0/" + waba + "/message_templates"

type templatesAnswer struct {
	Data []struct {
		Name       string `json:"name"`
		Language   string `json:"language"`
		Status     string `json:"status"`
		Category   string `json:"category"`
		ID         string `json:"id"`
		Components []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"components"`
		RejectedReason string `json:"rejected_reason"`
	} `json:"data"`
	Paging struct {
		Cursors struct {
			Before string `json:"before"`
			After  string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// TestTemplatesList: the Graph API's template list of the fixture's
// account — the default set, pages by limit and after (next only while
// more remain), the token and account checks, templates a test sets and
// failures it injects.
func TestTemplatesList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	get := func(t *testing.T, f *fixture, query, token string) (response, templatesAnswer) {
		t.Helper()
		r := f.do(t, http.MethodGet, templatesPath+query, token, nil)
		var a templatesAnswer
		if r.status == http.StatusOK {
			decodeStrict(t, r.body, &a)
		}
		return r, a
	}

	t.Run("default set, one page", func(t *testing.T) {
		r, a := get(t, f, "?fields=name,language,status,category,components,id,rejected_reason&limit=100", f.num.AccessToken)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if len(a.Data) != 34 || a.Paging.Next != "" || a.Paging.Cursors.After == "" {
			t.Fatalf("%d templates, paging %+v", len(a.Data), a.Paging)
		}
		approved := map[string]int{}
		for _, d := range a.Data {
			if len(d.Components) != 1 || d.Components[0].Type != "BODY" || d.Components[0].Text == "" || d.ID == "" {
				t.Errorf("template %+v", d)
			}
			switch {
			case d.Status == "APPROVED" && d.Category == "UTILITY":
				approved[d.Name]++
			case d.Name == "promo_offer" && d.Status == "PENDING" && d.Category == "MARKETING":
			default:
				t.Errorf("unexpected %s/%s %s %s", d.Name, d.Language, d.Status, d.Category)
			}
		}
		for _, name := range []string{"order_confirmed", "order_shipped", "order_delivered", "order_cancelled", "refund_issued",
			"return_decided", "return_received", "cod_confirmation", "cod_expired", "payment_link", "concierge_reengage", "return_requested", "return_approved", "return_rejected", "return_refunded", "return_photo_rejected"} {
			if approved[name] != 2 {
				t.Errorf("%s approved in %d languages, want ar and en", name, approved[name])
			}
		}
	})

	t.Run("pages", func(t *testing.T) {
		var names []string
		query := "?limit=10"
		for page := 0; ; page++ {
			if page > 5 {
				t.Fatal("paging does not end")
			}
			r, a := get(t, f, query, f.num.AccessToken)
			if r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			for _, d := range a.Data {
				names = append(names, d.Name+"/"+d.Language)
			}
			if a.Paging.Next == "" {
				break
			}
			u, err := url.Parse(a.Paging.Next)
			if err != nil || u.Query().Get("after") != a.Paging.Cursors.After || u.Query().Get("limit") != "10" {
				t.Fatalf("next %q, after %q", a.Paging.Next, a.Paging.Cursors.After)
			}
			query = "?limit=10&after=" + url.QueryEscape(a.Paging.Cursors.After)
		}
		if len(names) != 34 || names[0] != "order_confirmed/ar" || names[33] != "promo_offer/en" {
			t.Fatalf("paged %d: %v", len(names), names)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name, path, token string
			status, code      int
		}{
			{"no token", templatesPath, "", 401, 190},
			{"another token", templatesPath, "not-the-token", 401, 190},
			{"unknown account", "/sandbox/graph/v23.0/999999999999999/message_templates", f.num.AccessToken, 400, 100},
			{"bad limit", templatesPath + "?limit=0", f.num.AccessToken, 400, 100},
			{"bad cursor", templatesPath + "?after=%21%21", f.num.AccessToken, 400, 100},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := f.do(t, http.MethodGet, tc.path, tc.token, nil)
				var e struct {
					Error struct {
						Code int `json:"code"`
					} `json:"error"`
				}
				if r.status != tc.status || json.Unmarshal(r.body, &e) != nil || e.Error.Code != tc.code {
					t.Fatalf("%d %s, want %d code %d", r.status, r.body, tc.status, tc.code)
				}
			})
		}
	})

	t.Run("set and fail", func(t *testing.T) {
		f := newFixture(t)
		f.emu.SetTemplates(waba, []sandbox.TemplateInfo{
			{Name: "only_one", Language: "en_US", Status: "REJECTED", Category: "MARKETING", Body: "Hi {{1}}", RejectedReason: "INVALID_FORMAT"},
		})
		_, a := get(t, f, "", f.num.AccessToken)
		if len(a.Data) != 1 || a.Data[0].Name != "only_one" || a.Data[0].RejectedReason != "INVALID_FORMAT" || a.Data[0].Language != "en_US" {
			t.Fatalf("%+v", a)
		}
		f.emu.FailTemplates(waba, sandbox.Fault{Count: 1, Status: 503, Code: 2})
		if r, _ := get(t, f, "", f.num.AccessToken); r.status != 503 || !strings.Contains(string(r.body), `"code":2`) {
			t.Fatalf("%d %s", r.status, r.body)
		}
		f.emu.SetTemplates(waba, nil)
		if r, a := get(t, f, "", f.num.AccessToken); r.status != 200 || len(a.Data) != 25 || len(f.emu.Templates(waba)) != 34 {
			t.Fatalf("%d, %d templates", r.status, len(a.Data))
		}
	})
}
