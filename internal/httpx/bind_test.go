package httpx_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/input"
)

// productLike exercises every shape Bind walks: nested structs, slices,
// pointers, maps, a multi-line text, a raw text and bounded integers.
type productLike struct {
	Title       string            `json:"title" validate:"required,max=300"`
	Description string            `json:"description" text:"multiline" validate:"max=10000"`
	Password    string            `json:"password" text:"raw" validate:"max=100"`
	Link        string            `json:"link" validate:"omitempty,weburl"`
	Brand       *string           `json:"brand" validate:"omitempty,max=200"`
	Attributes  map[string]string `json:"attributes" validate:"max=50"`
	Tags        []string          `json:"tags" validate:"max=10"`
	Variants    []struct {
		SKU   string `json:"sku" validate:"required,max=64"`
		Stock *int   `json:"stock" validate:"omitempty,min=0,max=2147483647"`
	} `json:"variants" validate:"max=10,dive"`
	Raw json.RawMessage `json:"raw"`
}

func bindApp(t testing.TB, v *httpx.Validator, got *productLike) *fiber.App {
	t.Helper()
	app := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)), i18n.MustLoad())})
	app.Post("/", func(c *fiber.Ctx) error {
		var in productLike
		if err := httpx.Bind(c, v, &in); err != nil {
			return err
		}
		if got != nil {
			*got = in
		}
		return c.SendStatus(204)
	})
	return app
}

type problemBody struct {
	Code      string               `json:"code"`
	RequestID string               `json:"request_id"`
	Errors    []httpx.ProblemField `json:"errors"`
	Extra     map[string]any       `json:"-"`
}

func post(t testing.TB, app *fiber.App, body string) (int, problemBody) {
	t.Helper()
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var p problemBody
	_ = json.Unmarshal(raw, &p)
	return res.StatusCode, p
}

func TestBindRefusesHostileText(t *testing.T) {
	t.Parallel()
	app := bindApp(t, httpx.NewValidator(), nil)
	cases := []struct {
		name, body string
		status     int
		field      string
		code       string
	}{
		{"NUL escaped in a value", `{"title":"a\u0000b"}`, 422, "title", "control"},
		{"NUL in a nested value", `{"title":"t","variants":[{"sku":"ok"},{"sku":"a\u0000"}]}`, 422, "variants[1].sku", "control"},
		{"NUL in a map value", `{"title":"t","attributes":{"colour":"\u0000"}}`, 422, "attributes.colour", "control"},
		{"NUL in a map key", `{"title":"t","attributes":{"col\u0000our":"red"}}`, 422, `attributes."col\x00our"`, "control"},
		{"NUL in raw JSON", `{"title":"t","raw":{"x":"\u0000"}}`, 422, "raw.x", "control"},
		{"NUL in a raw text", `{"title":"t","password":"pa\u0000ss"}`, 422, "password", "control"},
		{"lone surrogate", `{"title":"\ud800"}`, 422, "title", "utf8"},
		{"reversed surrogates", `{"title":"\udc00\ud800"}`, 422, "title", "utf8"},
		{"invalid UTF-8 byte", "{\"title\":\"a\xffb\"}", 422, "title", "utf8"},
		{"overlong UTF-8", "{\"title\":\"\xc0\xaf\"}", 422, "title", "utf8"},
		{"invalid UTF-8 in a name", "{\"ti\xfftle\":\"x\"}", 422, "", "utf8"},
		{"escape character", `{"title":"red\u001b[0m"}`, 422, "title", "control"},
		{"C1 control", `{"title":"a\u0085b"}`, 422, "title", "control"},
		{"DEL", `{"title":"a\u007fb"}`, 422, "title", "control"},
		{"tab in a one-line field", `{"title":"a\tb"}`, 422, "title", "single_line"},
		{"newline in a one-line field", `{"title":"a\nb"}`, 422, "title", "single_line"},
		{"newline in a slice element", `{"title":"t","tags":["a\nb"]}`, 422, "tags[0]", "single_line"},
		{"bell in a multi-line field", `{"title":"t","description":"a\u0007"}`, 422, "description", "control"},
		{"duplicate name", `{"title":"a","title":"b"}`, 422, "title", "duplicate"},
		{"only spaces is empty", `{"title":"   "}`, 422, "title", "required"},
		{"only a newline is empty", `{"title":"\n"}`, 422, "title", "required"},
		{"only a tab is empty", `{"title":"\t"}`, 422, "title", "required"},
		{"only a no-break space is empty", `{"title":"\u00a0"}`, 422, "title", "required"},
		{"javascript link", `{"title":"t","link":"javascript:alert(1)"}`, 422, "link", "weburl"},
		{"data link", `{"title":"t","link":"data:text/html,x"}`, 422, "link", "weburl"},
		{"http link in production", `{"title":"t","link":"http://shop.example.sa/"}`, 422, "link", "weburl"},
		{"int beyond int32 bound", `{"title":"t","variants":[{"sku":"a","stock":2147483648}]}`, 422, "variants[0].stock", "max"},
		{"int beyond int64", `{"title":"t","variants":[{"sku":"a","stock":92233720368547758070}]}`, 422, "variants.stock", "type"},
		{"fraction for an int", `{"title":"t","variants":[{"sku":"a","stock":1.5}]}`, 422, "variants.stock", "type"},
		{"exponent overflow", `{"title":"t","variants":[{"sku":"a","stock":1e400}]}`, 422, "variants.stock", "type"},
		{"raw control character", "{\"title\":\"a\x01b\"}", 422, "title", "control"},
		{"invalid escape", `{"title":"\x41"}`, 422, "title", "utf8"},
		{"two values", `{"title":"t"}{"title":"u"}`, 400, "", "malformed"},
		{"not JSON", `title=t`, 400, "", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, p := post(t, app, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%+v)", status, tc.status, p)
			}
			if tc.status == 400 {
				if p.Code != "malformed" {
					t.Fatalf("code %q", p.Code)
				}
				return
			}
			found := false
			for _, f := range p.Errors {
				if (tc.field == "" || f.Field == tc.field) && f.Code == tc.code {
					found = true
					if f.Message == "" || f.MessageAr == "" {
						t.Errorf("field error lacks a message in both languages: %+v", f)
					}
				}
			}
			if !found {
				t.Fatalf("no %s error on %q: %+v", tc.code, tc.field, p.Errors)
			}
		})
	}
}

func TestBindTrimsAndKeepsValidText(t *testing.T) {
	t.Parallel()
	var got productLike
	app := bindApp(t, httpx.NewValidator(httpx.AllowHTTPLinks(true)), &got)
	body := `{"title":"  عباية سوداء\u00a0","description":"\n السطر الأول\nالسطر الثاني\t(٢)\r\n","password":"  two spaces  ",
		"brand":" Concierge ","attributes":{" material ":" crepe "},"tags":[" a "],"variants":[{"sku":" SKU-1 ","stock":2147483647}],
		"link":"http://shop.example.sa/p"}`
	if status, p := post(t, app, body); status != 204 {
		t.Fatalf("status %d: %+v", status, p)
	}
	if got.Title != "عباية سوداء" || got.Description != "السطر الأول\nالسطر الثاني\t(٢)" || got.Password != "  two spaces  " ||
		*got.Brand != "Concierge" || got.Attributes["material"] != "crepe" || len(got.Attributes) != 1 || got.Tags[0] != "a" ||
		got.Variants[0].SKU != "SKU-1" || *got.Variants[0].Stock != 2147483647 {
		t.Fatalf("not cleaned as expected: %+v", got)
	}
}

func TestBindKeysThatCollideOnceTrimmed(t *testing.T) {
	t.Parallel()
	app := bindApp(t, httpx.NewValidator(), nil)
	status, p := post(t, app, `{"title":"t","attributes":{"a":"1"," a":"2"}}`)
	if status != 422 || len(p.Errors) != 1 || p.Errors[0].Code != "duplicate" {
		t.Fatalf("%d %+v", status, p)
	}
}

// FuzzBind feeds arbitrary bodies through Bind: nothing may panic or answer
// a 5xx, and whatever is accepted holds only clean text.
func FuzzBind(f *testing.F) {
	for _, s := range []string{
		`{"title":"عباية","description":"a\nb","attributes":{"k":"v"},"variants":[{"sku":"A","stock":3}]}`,
		`{"title":"a\u0000b"}`, `{"title":"\ud800"}`, "{\"title\":\"\xff\"}", `{"title":"a","title":"b"}`,
		`{"variants":[{"stock":2147483648}]}`, `{"variants":[{"stock":1e400}]}`, `{"link":"javascript:alert(1)"}`,
		`{"raw":{"a":[1,2,{"b":null}]}}`, `[]`, `null`, `"x"`, `{"attributes":{" a":"1","a":"2"}}`, `{"title":"  "}`,
	} {
		f.Add([]byte(s))
	}
	var got productLike
	app := bindApp(f, httpx.NewValidator(), &got)
	f.Fuzz(func(t *testing.T, body []byte) {
		got = productLike{}
		req := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode >= 500 {
			raw, _ := io.ReadAll(res.Body)
			t.Fatalf("%q answered %d: %s", body, res.StatusCode, raw)
		}
		if res.StatusCode != 204 {
			return
		}
		texts := []string{got.Title, got.Description, got.Link}
		texts = append(texts, got.Tags...)
		for k, v := range got.Attributes {
			texts = append(texts, k, v)
		}
		for _, v := range got.Variants {
			texts = append(texts, v.SKU)
			if v.Stock != nil && (*v.Stock < 0 || *v.Stock > 2147483647) {
				t.Fatalf("accepted stock %d", *v.Stock)
			}
		}
		for _, s := range texts {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || input.Check(s, input.MultiLine) != nil {
				t.Fatalf("%q accepted unclean text %q", body, s)
			}
		}
		if strings.Contains(string(got.Raw), `\u0000`) {
			t.Fatalf("%q accepted NUL in raw JSON", body)
		}
	})
}
