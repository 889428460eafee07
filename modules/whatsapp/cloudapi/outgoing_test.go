package cloudapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"concierge/modules/whatsapp/cloudapi"
)

const quoted = "wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMDRBNzYwREQ0RjMwMjYzMkQA"

// requestCases are one message of every kind, with the golden request each
// must produce (testdata/requests, written from Meta's Cloud API reference).
func requestCases() []struct {
	golden string
	msg    cloudapi.Outgoing
} {
	products := make([]cloudapi.Row, 12)
	for i := range products {
		n := string(rune('1' + i))
		if i >= 9 {
			n = "1" + string(rune('0'+i-9))
		}
		products[i] = cloudapi.Row{ID: "p:" + n, Title: "منتج " + n}
	}
	pages := cloudapi.ListPages("منتجاتنا", "المنتجات", products, func(page int) string {
		return "products:page:" + string(rune('0'+page))
	})
	return []struct {
		golden string
		msg    cloudapi.Outgoing
	}{
		{"text.json", cloudapi.TextMessage("أهلاً نورة 👋 كيف نقدر نخدمك اليوم؟")},
		{"text_reply_preview.json", cloudapi.TextMessage("تتبع طلبك هنا: https://noura.example.sa/orders/1042").WithPreviewURL().ReplyTo(quoted).WithCallbackData("outbound:0193a1f2")},
		{"buttons.json", cloudapi.Buttons("تمت إضافة العباية. وش تبغى تسوي الحين؟",
			cloudapi.Button{ID: "cart:view", Title: "عرض السلة"},
			cloudapi.Button{ID: "checkout", Title: "إتمام الطلب"},
			cloudapi.Button{ID: "menu", Title: "متابعة التسوق"},
		).WithHeader("عباية سوداء كلاسيك").WithFooter("الأسعار شاملة ضريبة القيمة المضافة")},
		{"list.json", cloudapi.List("اختاري القسم اللي يناسبك", "الأقسام", []cloudapi.Row{
			{ID: "cat:abayas", Title: "عبايات", Description: "عبايات سوداء وملونة", Section: "ملابس"},
			{ID: "cat:shayla", Title: "طرح وشيلات", Section: "ملابس"},
			{ID: "cat:bags", Title: "شنط", Description: "Leather bags", Section: "إكسسوارات"},
		}).WithHeader("متجر نورة").WithFooter("Noura Store")},
		{"list_page0.json", pages[0]},
		{"image.json", cloudapi.Image("https://cdn.noura.example.sa/p/ABY-001.jpg", "عباية سوداء كلاسيك — 349.50 ر.س")},
		{"cta_url.json", cloudapi.CTAURL("ادفعي بالبطاقة بشكل آمن", "ادفع الآن", "https://pay.noura.example.sa/c/8f3a?lang=ar&t=1").WithFooter("الرابط صالح لمدة ساعة")},
		{"product.json", cloudapi.Product("هذي العباية اللي سألتي عنها", "728364519283746", "ABY-001").WithFooter("متوفرة بكل المقاسات")},
		{"product_list.json", cloudapi.ProductList("وصل حديثاً", "تشكيلة العيد", "728364519283746", []cloudapi.ProductSection{
			{Title: "عبايات", RetailerID: []string{"ABY-001", "ABY-002"}},
			{Title: "طرح", RetailerID: []string{"SHL-014"}},
		})[0]},
		{"template.json", cloudapi.TemplateMessage("order_shipped", "ar", []string{"نورة", "1042"}, []string{"order:track:1042", "handoff"})},
		{"mark_read.json", cloudapi.MarkReadMessage(quoted)},
	}
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden is invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, got, "", "  ")
		t.Errorf("request differs from golden.\ngot:\n%s\nwant:\n%s", pretty.Bytes(), want)
	}
}

func TestRequestGolden(t *testing.T) {
	t.Parallel()
	for _, tt := range requestCases() {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			got, err := tt.msg.Request(customer)
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			sameJSON(t, got, readFile(t, "requests", tt.golden))
			if bytes.Contains(got, []byte(`\u0026`)) {
				t.Errorf("the body escapes & as \\u0026: %s", got)
			}
		})
	}
}

// TestOutgoingRoundTrip stores every kind as JSON (as the outbound table
// does) and checks the reloaded message sends the same request.
func TestOutgoingRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tt := range requestCases() {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			stored, err := json.Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			var back cloudapi.Outgoing
			if err := json.Unmarshal(stored, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.msg) {
				t.Errorf("round trip changed the message:\n%+v\n%+v", back, tt.msg)
			}
			want, _ := tt.msg.Request(customer)
			got, err := back.Request(customer)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("reloaded Request = %s, %v; want %s", got, err, want)
			}
			if bytes.Contains(stored, []byte("messaging_product")) || bytes.Contains(stored, []byte(customer)) {
				t.Errorf("the stored form carries the envelope: %s", stored)
			}
		})
	}
}

func TestIsTemplateAndSummary(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"text.json":               "أهلاً نورة 👋 كيف نقدر نخدمك اليوم؟",
		"text_reply_preview.json": "تتبع طلبك هنا: https://noura.example.sa/orders/1042",
		"buttons.json":            "عباية سوداء كلاسيك تمت إضافة العباية. وش تبغى تسوي الحين؟ [عرض السلة | إتمام الطلب | متابعة التسوق]",
		"list.json":               "متجر نورة اختاري القسم اللي يناسبك [الأقسام: عبايات | طرح وشيلات | شنط]",
		"list_page0.json":         "منتجاتنا [المنتجات: منتج 1 | منتج 2 | منتج 3 | منتج 4 | منتج 5 | منتج 6 | منتج 7 | منتج 8 | منتج 9 | المزيد / More]",
		"image.json":              "[image] عباية سوداء كلاسيك — 349.50 ر.س",
		"cta_url.json":            "ادفعي بالبطاقة بشكل آمن [ادفع الآن → https://pay.noura.example.sa/c/8f3a?lang=ar&t=1]",
		"product.json":            "هذي العباية اللي سألتي عنها [product ABY-001]",
		"product_list.json":       "وصل حديثاً تشكيلة العيد [3 products]",
		"template.json":           "[template order_shipped ar] نورة, 1042 [order:track:1042 | handoff]",
		"mark_read.json":          "[read " + quoted + "]",
	}
	for _, tt := range requestCases() {
		if got := tt.msg.Summary(); got != want[tt.golden] {
			t.Errorf("%s: Summary() = %q, want %q", tt.golden, got, want[tt.golden])
		}
		if got := tt.msg.IsTemplate(); got != (tt.golden == "template.json") {
			t.Errorf("%s: IsTemplate() = %v", tt.golden, got)
		}
	}
}

func TestRequestRejectsInvalid(t *testing.T) {
	t.Parallel()
	four := cloudapi.Buttons("b", cloudapi.Button{ID: "1", Title: "a"})
	four.Interactive.Action.Buttons = append(four.Interactive.Action.Buttons,
		four.Interactive.Action.Buttons[0], four.Interactive.Action.Buttons[0], four.Interactive.Action.Buttons[0])
	rows11 := cloudapi.List("b", "l", nil)
	sec := cloudapi.Section{}
	for i := range 11 {
		sec.Rows = append(sec.Rows, cloudapi.SectionRow{ID: string(rune('a' + i)), Title: "t"})
	}
	rows11.Interactive.Action.Sections = []cloudapi.Section{sec}
	tests := []struct {
		name  string
		msg   cloudapi.Outgoing
		to    string
		field string
	}{
		{"empty text", cloudapi.TextMessage("  "), customer, "text.body"},
		{"long text", cloudapi.Outgoing{Type: "text", Text: &cloudapi.Text{Body: strings.Repeat("a", 4097)}}, customer, "text.body"},
		{"no recipient", cloudapi.TextMessage("hi"), "", "to"},
		{"recipient with letters", cloudapi.TextMessage("hi"), "96650abc", "to"},
		{"unknown type", cloudapi.Outgoing{Type: "carousel"}, customer, "type"},
		{"four buttons", four, customer, "interactive.action.buttons"},
		{"long button title", cloudapi.Outgoing{Type: "interactive", Interactive: &cloudapi.Interactive{Type: "button",
			Body: &cloudapi.BodyText{Text: "b"}, Action: cloudapi.Action{Buttons: []cloudapi.ReplyButton{{Type: "reply",
				Reply: cloudapi.Button{ID: "x", Title: strings.Repeat("ب", 21)}}}}}}, customer, "interactive.action.buttons[0].reply.title"},
		{"long button id", cloudapi.Buttons("b", cloudapi.Button{ID: strings.Repeat("x", 257), Title: "t"}), customer, "interactive.action.buttons[0].reply.id"},
		{"duplicate button ids", cloudapi.Buttons("b", cloudapi.Button{ID: "x", Title: "1"}, cloudapi.Button{ID: "x", Title: "2"}), customer, "interactive.action.buttons[1].reply.id"},
		{"buttons without body", cloudapi.Buttons("", cloudapi.Button{ID: "x", Title: "1"}), customer, "interactive.body"},
		{"eleven rows", rows11, customer, "interactive.action.sections"},
		{"cta without url", cloudapi.CTAURL("b", "open", "javascript:alert(1)"), customer, "interactive.action.parameters.url"},
		{"template without name", cloudapi.TemplateMessage("", "ar", nil, nil), customer, "template"},
		{"read receipt without id", cloudapi.MarkReadMessage(""), "", "message_id"},
		{"long callback data", cloudapi.TextMessage("hi").WithCallbackData(strings.Repeat("x", 513)), customer, "biz_opaque_callback_data"},
		{"product list without catalog", cloudapi.ProductList("h", "b", "", []cloudapi.ProductSection{{Title: "s", RetailerID: []string{"1"}}})[0], customer, "interactive.action.catalog_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, err := tt.msg.Request(tt.to)
			if err == nil {
				t.Fatalf("Request = %s, want an error", body)
			}
			var im *cloudapi.InvalidMessageError
			if !errors.As(err, &im) || !cloudapi.IsPermanent(err) {
				t.Fatalf("error %v: want an invalid message, permanent", err)
			}
			found := false
			for _, p := range im.Problems {
				found = found || (p.Field == tt.field && p.Reason != "")
			}
			if !found {
				t.Errorf("error %v does not name field %s", err, tt.field)
			}
		})
	}
}
