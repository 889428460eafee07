package whatsapp

import (
	"context"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"concierge/tenants"
)

// Stores finds a tenant by slug for public pages.
type Stores interface {
	Get(ctx context.Context, idOrSlug string) (*tenants.Tenant, error)
}

var privacyPage = template.Must(template.New("privacy").Parse(`<!doctype html>
<html lang="{{.Lang}}" dir="{{.Dir}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,"Noto Naskh Arabic",sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.7;color:#1f2933}
h1{font-size:1.5rem}nav{margin-bottom:1rem}small{color:#52606d}</style></head>
<body><nav><a href="?store={{.Slug}}&lang={{.Other}}" lang="{{.Other}}">{{.OtherLabel}}</a></nav>
{{if eq .Lang "ar"}}
<h1>إشعار الخصوصية — {{.NameAR}}</h1>
<p>عندما تراسل {{.NameAR}} على واتساب، يعالج المتجر (عبر منصة Concierge) رقم هاتفك واسمك في واتساب ورسائلك، وذلك بعد موافقتك فقط ولهذه الأغراض:</p>
<ul><li>الرد على استفساراتك</li><li>استلام طلباتك وتوصيلها</li><li>إرسال تحديثات طلباتك</li></ul>
<p>لا نعالج شيئًا غير الرسالة نفسها قبل موافقتك. يمكنك سحب موافقتك في أي وقت بإرسال «إيقاف»، وعندها نحذف اسمك ومحتوى رسائلك ونحتفظ فقط بسجل موافقتك وبيانات الطلبات التي يلزمنا النظام بحفظها.</p>
<p>لك الحق في الوصول إلى بياناتك وتصحيحها وطلب حذفها وفق نظام حماية البيانات الشخصية في المملكة العربية السعودية. للتواصل: راسل المتجر على رقمه في واتساب واطلب «التحدث مع موظف».</p>
<p><small>الإصدار {{.Version}}</small></p>
{{else}}
<h1>Privacy notice — {{.NameEN}}</h1>
<p>When you message {{.NameEN}} on WhatsApp, the store (through the Concierge platform) processes your phone number, WhatsApp name and messages, only after you agree, for these purposes:</p>
<ul><li>answering your questions</li><li>taking and delivering your orders</li><li>sending you order updates</li></ul>
<p>Before you agree, nothing beyond the message itself is processed. You can withdraw consent at any time by sending "STOP"; we then erase your name and the content of your messages, keeping only the record of your consent and order data the law requires us to keep.</p>
<p>You may access, correct and ask to erase your data under Saudi Arabia's Personal Data Protection Law. To reach the store, message its WhatsApp number and ask to talk to a person.</p>
<p><small>Version {{.Version}}</small></p>
{{end}}
</body></html>`))

// PrivacyHandler serves the platform's default privacy notice of a tenant
// (GET /privacy?store=<slug>&lang=ar|en), linked from consent requests when
// the tenant has not set its own privacy_url.
func PrivacyHandler(stores Stores) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := stores.Get(c.UserContext(), c.Query("store"))
		if err != nil || t.Status != tenants.StatusActive {
			return ErrNotFound
		}
		lang := c.Query("lang")
		if lang != "ar" && lang != "en" {
			lang = t.DefaultLocale
		}
		data := map[string]string{"Lang": lang, "Dir": "rtl", "Other": "en", "OtherLabel": "English", "Slug": t.Slug,
			"NameAR": t.NameAR, "NameEN": t.NameEN, "Version": t.PrivacyVersion, "Title": "إشعار الخصوصية — " + t.NameAR}
		if lang == "en" {
			data["Dir"], data["Other"], data["OtherLabel"], data["Title"] = "ltr", "ar", "العربية", "Privacy notice — "+t.NameEN
		}
		var b strings.Builder
		if err := privacyPage.Execute(&b, data); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		return c.SendString(b.String())
	}
}
