package cloudapi_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"concierge/internal/errs"
	"concierge/modules/whatsapp/cloudapi"
)

const (
	bizNumberID = "106540352242922"
	bizDisplay  = "966112345678"
	customer    = "966501234567"
	appSecret   = "3f2a9c7e1b5d4e8fa6c0b2d4e6f8a0c2"
)

func readFile(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseFile(t *testing.T, name string) *cloudapi.Payload {
	t.Helper()
	p, err := cloudapi.ParseWebhook(readFile(t, "webhook", name))
	if err != nil {
		t.Fatalf("ParseWebhook(%s): %v", name, err)
	}
	return p
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func TestParseWebhookMessageTypes(t *testing.T) {
	t.Parallel()
	const replied = "wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSQkY2MDk5QjQ2RkUwQjE2RjdFAA=="
	base := func(id string, ts int64, kind cloudapi.Kind) cloudapi.Inbound {
		return cloudapi.Inbound{
			WAMessageID: id, From: customer, Timestamp: unix(ts), Kind: kind,
			PhoneNumberID: bizNumberID, DisplayPhoneNumber: bizDisplay, ProfileName: "نورة",
		}
	}
	with := func(in cloudapi.Inbound, f func(*cloudapi.Inbound)) cloudapi.Inbound { f(&in); return in }

	tests := []struct {
		file string
		want cloudapi.Inbound
	}{
		{"text.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMDRBNzYwREQ0RjMwMjYzMkQA", 1732521600, cloudapi.KindText), func(in *cloudapi.Inbound) {
			in.Text = "السلام عليكم، أبغى أطلب عباية"
		})},
		{"button_reply.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMEMyMkU2RjYzNTQ0NUJFNkIA", 1732521660, cloudapi.KindButtonReply), func(in *cloudapi.Inbound) {
			in.Text, in.ReplyID, in.ContextID = "أضف للسلة", "add:ABY-001", replied
		})},
		{"list_reply.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMDk4NzY1NDMyMTBBQkNERUYA", 1732521720, cloudapi.KindListReply), func(in *cloudapi.Inbound) {
			in.Text, in.ReplyID, in.ContextID = "عبايات", "cat:abayas", "wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSQTFCMjNDNDVENjdFOEY5MEEA"
		})},
		{"template_button.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMDExMjIzMzQ0NTU2Njc3ODgA", 1732521780, cloudapi.KindTemplateButton), func(in *cloudapi.Inbound) {
			in.Text, in.ReplyID, in.ContextID = "تتبع الطلب", "order:track:1042", "wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSMDAxMTIyMzM0NDU1NjY3Nzg4AA=="
		})},
		{"location.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMExPQ0FUSU9OMDAwMDAwMDEA", 1732521840, cloudapi.KindLocation), func(in *cloudapi.Inbound) {
			in.Location = &cloudapi.Location{Latitude: 24.7136, Longitude: 46.6753, Name: "برج المملكة", Address: "طريق الملك فهد، الرياض"}
		})},
		{"image.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMElNQUdFMDAwMDAwMDAwMDEA", 1732521900, cloudapi.KindImage), func(in *cloudapi.Inbound) {
			in.Text = "هل عندكم هذا المقاس؟"
			in.Media = &cloudapi.Media{ID: "1503225147138744", MimeType: "image/jpeg", SHA256: "HgS0CRYbKzq1zmSJnI5+2bC+P8fS7eMNrvQ+0dXaVwE=", Caption: in.Text}
		})},
		{"document.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMERPQ1VNRU5UMDAwMDAwMDEA", 1732521960, cloudapi.KindDocument), func(in *cloudapi.Inbound) {
			in.Text = "فاتورة التحويل"
			in.Media = &cloudapi.Media{ID: "8741273192652233", MimeType: "application/pdf", SHA256: "Q2lkb3NoYTI1NmRvY3VtZW50aGFzaHZhbHVlMDAwMDA=", Caption: in.Text, Filename: "transfer-receipt.pdf"}
		})},
		{"audio.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMEFVRElPMDAwMDAwMDAwMDEA", 1732522020, cloudapi.KindAudio), func(in *cloudapi.Inbound) {
			in.Media = &cloudapi.Media{ID: "2209736249408547", MimeType: "audio/ogg; codecs=opus", SHA256: "QXVkaW9zaGEyNTZoYXNodmFsdWUwMDAwMDAwMDAwMDA=", Voice: true}
		})},
		{"video.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMFZJREVPMDAwMDAwMDAwMDEA", 1732522080, cloudapi.KindVideo), func(in *cloudapi.Inbound) {
			in.Text = "المنتج وصلني كذا"
			in.Media = &cloudapi.Media{ID: "1198452238146543", MimeType: "video/mp4", SHA256: "VmlkZW9zaGEyNTZoYXNodmFsdWUwMDAwMDAwMDAwMDA=", Caption: in.Text}
		})},
		{"sticker.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMFNUSUNLRVIwMDAwMDAwMDEA", 1732522140, cloudapi.KindSticker), func(in *cloudapi.Inbound) {
			in.Media = &cloudapi.Media{ID: "3114478452080633", MimeType: "image/webp", SHA256: "U3RpY2tlcnNoYTI1Nmhhc2h2YWx1ZTAwMDAwMDAwMDA="}
		})},
		{"order.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMEFCQ0RFRjAxMjM0NTY3ODkA", 1732522200, cloudapi.KindOrder), func(in *cloudapi.Inbound) {
			in.Text = "أبغاها قبل العيد"
			in.Order = &cloudapi.Order{CatalogID: "728364519283746", Text: in.Text, ProductItems: []cloudapi.OrderItem{
				{ProductRetailerID: "ABY-001", Quantity: 2, ItemPrice: "349.5", Currency: "SAR"},
				{ProductRetailerID: "SHL-014", Quantity: 1, ItemPrice: "89", Currency: "SAR"},
			}}
		})},
		{"reaction.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMFJFQUNUSU9OMDAwMDAwMDEA", 1732522260, cloudapi.KindReaction), func(in *cloudapi.Inbound) {
			in.Reaction = &cloudapi.Reaction{MessageID: replied, Emoji: "❤️"}
		})},
		{"unsupported.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMFVOU1VQUE9SVEVEMDAwMDEA", 1732522320, cloudapi.KindUnknown), func(in *cloudapi.Inbound) {
			in.Errors = []cloudapi.Error{{Code: 131051, Title: "Message type unknown", Message: "Message type unknown",
				ErrorData: &cloudapi.ErrorData{Details: "Message type is currently not supported."}}}
		})},
		{"referred_product.json", with(base("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhgUM0VCMFJFRkVSUkVEMDAwMDAwMDEA", 1732522380, cloudapi.KindText), func(in *cloudapi.Inbound) {
			in.Text, in.ContextID = "Is this available in size 54?", "wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSUFJPRFVDVDAwMDAwMDAwMDEA"
			in.ReferredProduct = &cloudapi.ReferredProduct{CatalogID: "728364519283746", ProductRetailerID: "ABY-001"}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p := parseFile(t, tt.file)
			if p.Object != cloudapi.ObjectWhatsApp || len(p.Entry) != 1 || p.Entry[0].ID != "102290129340398" ||
				p.Entry[0].Changes[0].Field != "messages" || p.Entry[0].Changes[0].Value.MessagingProduct != "whatsapp" {
				t.Fatalf("envelope: %+v", p)
			}
			got := p.Inbound()
			if len(got) != 1 {
				t.Fatalf("Inbound() = %d messages, want 1", len(got))
			}
			if !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("Inbound()[0] =\n%#v\nwant\n%#v", got[0], tt.want)
			}
			// Normalise alone leaves the change's fields empty.
			n := p.Entry[0].Changes[0].Value.Messages[0].Normalise()
			if n.PhoneNumberID != "" || n.Kind != tt.want.Kind || n.WAMessageID != tt.want.WAMessageID {
				t.Errorf("Normalise() = %+v", n)
			}
			// A stored Message (the inbox keeps it as JSON) normalises the same.
			stored, err := json.Marshal(p.Entry[0].Changes[0].Value.Messages[0])
			if err != nil {
				t.Fatal(err)
			}
			var back cloudapi.Message
			if err := json.Unmarshal(stored, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Normalise(), n) {
				t.Errorf("reloaded message normalises to %+v, want %+v", back.Normalise(), n)
			}
		})
	}
}

func TestOrderItemPriceMinor(t *testing.T) {
	t.Parallel()
	items := parseFile(t, "order.json").Inbound()[0].Order.ProductItems
	for i, want := range []int64{34950, 8900} {
		got, err := items[i].PriceMinor()
		if err != nil || got != want {
			t.Errorf("item %d PriceMinor() = %d, %v; want %d", i, got, err, want)
		}
	}
	tests := []struct {
		amount, currency string
		want             int64
		ok               bool
	}{
		{"12.5", "SAR", 1250, true},
		{"12.50", "AED", 1250, true},
		{"1.250", "KWD", 1250, true},
		{"0.005", "BHD", 5, true},
		{"3", "OMR", 3000, true},
		{"-7.25", "SAR", -725, true},
		{"1000", "JPY", 1000, true},
		{"12.345", "SAR", 0, false},
		{"1e3", "SAR", 0, false},
		{"", "SAR", 0, false},
		{"12.5.1", "SAR", 0, false},
	}
	for _, tt := range tests {
		got, err := cloudapi.MinorUnits(tt.amount, tt.currency)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("MinorUnits(%q, %s) = %d, %v; want %d, ok=%v", tt.amount, tt.currency, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseWebhookStatuses(t *testing.T) {
	t.Parallel()
	p := parseFile(t, "statuses.json")
	if len(p.Inbound()) != 0 {
		t.Fatalf("a statuses payload has no messages: %+v", p.Inbound())
	}
	got := p.StatusUpdates()
	type row struct {
		status, recipient string
		ts                int64
		code              int
		permanent         bool
	}
	want := []row{
		{cloudapi.StatusSent, customer, 1732521601, 0, false},
		{cloudapi.StatusDelivered, customer, 1732521603, 0, false},
		{cloudapi.StatusRead, customer, 1732521610, 0, false},
		{cloudapi.StatusFailed, "966509876543", 1732521700, cloudapi.CodeReengagement, true},
		{cloudapi.StatusFailed, "971501234567", 1732521760, cloudapi.CodeUndeliverable, true},
	}
	if len(got) != len(want) {
		t.Fatalf("StatusUpdates() = %d, want %d", len(got), len(want))
	}
	for i, w := range want {
		s := got[i]
		code := 0
		if len(s.Errors) > 0 {
			code = s.Errors[0].Code
		}
		if s.PhoneNumberID != bizNumberID || s.Status.Status != w.status || s.RecipientID != w.recipient ||
			!s.Timestamp.Time().Equal(unix(w.ts)) || code != w.code || cloudapi.PermanentCode(code) != w.permanent {
			t.Errorf("status %d = %+v, want %+v", i, s, w)
		}
	}
	sent := got[0]
	if sent.Conversation == nil || sent.Conversation.ID != "d6a3e0b2c1f4a8e9b7c5d3f1e2a4b6c8" ||
		!sent.Conversation.ExpirationTimestamp.Time().Equal(unix(1732608000)) || sent.Conversation.Origin.Type != "service" {
		t.Errorf("conversation = %+v", sent.Conversation)
	}
	if sent.Pricing == nil || sent.Pricing.Billable || sent.Pricing.PricingModel != "CBP" || sent.Pricing.Category != "service" {
		t.Errorf("pricing = %+v", sent.Pricing)
	}
	if got[1].Pricing.Type != "free_customer_service" {
		t.Errorf("pricing type = %q", got[1].Pricing.Type)
	}
	failed := got[3].Errors[0]
	if failed.Title != "Re-engagement message" || failed.Details() == "" || failed.Href == "" {
		t.Errorf("failed error = %+v", failed)
	}
}

func TestParseWebhookBatch(t *testing.T) {
	t.Parallel()
	p := parseFile(t, "batch.json")
	got := p.Inbound()
	type row struct {
		id, from, name, number string
		kind                   cloudapi.Kind
		text, reply            string
	}
	want := []row{
		{"wamid.BATCH1", customer, "نورة", bizNumberID, cloudapi.KindText, "مرحبا", ""},
		{"wamid.BATCH2", "971501234567", "Khalid", bizNumberID, cloudapi.KindButtonReply, "English", "lang:en"},
		{"wamid.BATCH3", customer, "نورة", bizNumberID, cloudapi.KindLocation, "", ""},
		{"wamid.BATCH4", "96550123456", "Fatma", "118273645501928", cloudapi.KindUnknown, "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("Inbound() = %d messages, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if (row{g.WAMessageID, g.From, g.ProfileName, g.PhoneNumberID, g.Kind, g.Text, g.ReplyID}) != w {
			t.Errorf("message %d = %+v, want %+v", i, g, w)
		}
	}
	if l := got[2].Location; l == nil || l.Latitude != 21.4858 || l.Longitude != 39.1925 {
		t.Errorf("location = %+v", l)
	}
	st := p.StatusUpdates()
	if len(st) != 1 || st[0].ID != "wamid.BATCHSTATUS" || st[0].PhoneNumberID != "118273645501928" {
		t.Errorf("StatusUpdates() = %+v", st)
	}
}

func TestParseWebhookErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"empty", ``},
		{"truncated", `{"object":"whatsapp_business_account","entry":[`},
		{"not an object", `[1,2,3]`},
		{"wrong type", `{"object":"whatsapp_business_account","entry":{"id":"1"}}`},
		{"bad timestamp", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"timestamp":{}}]}}]}]}`},
		{"other object", `{"object":"page","entry":[]}`},
		{"no object", `{"entry":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := cloudapi.ParseWebhook([]byte(tt.body))
			if err == nil {
				t.Fatalf("ParseWebhook(%q) = %+v, want an error", tt.body, p)
			}
			if !errors.Is(err, &errs.Error{Code: errs.CodeMalformed}) {
				t.Errorf("error %v is not malformed", err)
			}
		})
	}
}

func TestTimestamp(t *testing.T) {
	t.Parallel()
	p, err := cloudapi.ParseWebhook([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[
		{"id":"a","timestamp":"1732521600","type":"text","text":{"body":"x"}},
		{"id":"b","timestamp":1732521600,"type":"text","text":{"body":"x"}},
		{"id":"c","timestamp":"soon","type":"text","text":{"body":"x"}}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	in := p.Inbound()
	if !in[0].Timestamp.Equal(unix(1732521600)) || !in[1].Timestamp.Equal(unix(1732521600)) || !in[2].Timestamp.IsZero() {
		t.Errorf("timestamps = %v, %v, %v", in[0].Timestamp, in[1].Timestamp, in[2].Timestamp)
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	body := readFile(t, "webhook", "text.json")
	good := cloudapi.Sign(body, appSecret)
	if len(good) != len("sha256=")+64 {
		t.Fatalf("Sign() = %q", good)
	}
	tampered := append([]byte{}, body...)
	tampered[len(tampered)-3] ^= 1
	tests := []struct {
		name   string
		body   []byte
		header string
		secret string
		want   bool
	}{
		{"good", body, good, appSecret, true},
		{"good, upper-case hex", body, "sha256=" + upperHex(good[7:]), appSecret, true},
		{"missing header", body, "", appSecret, false},
		{"wrong secret", body, good, "another-app-secret", false},
		{"empty secret", body, cloudapi.Sign(body, ""), "", false},
		{"tampered body", tampered, good, appSecret, false},
		{"no sha256= prefix", body, good[7:], appSecret, false},
		{"sha1 header", body, "sha1=" + good[7:], appSecret, false},
		{"not hex", body, "sha256=zz" + good[9:], appSecret, false},
		{"short", body, good[:40], appSecret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cloudapi.VerifySignature(tt.body, tt.header, tt.secret); got != tt.want {
				t.Errorf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
	// A known vector: HMAC-SHA256("The quick brown fox jumps over the lazy dog", "key").
	if got := cloudapi.Sign([]byte("The quick brown fox jumps over the lazy dog"), "key"); got != "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Errorf("Sign(known vector) = %s", got)
	}
}

func upperHex(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
