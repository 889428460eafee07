package whatsapp

import (
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"concierge/tenants"
)

// The platform's default privacy notice of a tenant, linked from the consent
// request when the tenant has not set its own privacy_url. Its words are
// the catalog's whatsapp.privacy.* messages, in the page's language.

var privacyPage = template.Must(template.New("privacy").Parse(`<!doctype html>
<html lang="{{.Lang}}" dir="{{.Dir}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,"Noto Naskh Arabic",sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.7;color:#1f2933}
h1{font-size:1.5rem}nav{margin-bottom:1rem}small{color:#52606d}</style></head>
<body><nav><a href="?store={{.Slug}}&lang={{.Other}}" lang="{{.Other}}">{{.OtherLabel}}</a></nav>
<h1>{{.Title}}</h1>
<p>{{.Intro}}</p>
<ul>{{range .Purposes}}<li>{{.}}</li>{{end}}</ul>
<p>{{.Before}}</p>
<p>{{.Rights}}</p>
<p><small>{{.Version}}</small></p>
</body></html>`))

type privacyData struct {
	Lang, Dir, Other, OtherLabel, Slug string
	Title, Intro, Before, Rights       string
	Purposes                           []string
	Version                            string
}

// privacy serves GET /privacy?store=<slug>&lang=ar|en (the tenant's
// language by default); an unknown or suspended store is not found.
func (s *Service) privacy(c *fiber.Ctx) error {
	t, err := s.tenants.Get(c.UserContext(), c.Query("store"))
	if err != nil || t.Status != tenants.StatusActive {
		return ErrPageNotFound
	}
	lang := c.Query("lang")
	if lang != "ar" && lang != "en" {
		lang = t.DefaultLocale
	}
	if lang != "en" {
		lang = "ar"
	}
	d := privacyData{Lang: lang, Dir: "rtl", Other: "en", Slug: t.Slug}
	store := t.NameAR
	if lang == "en" {
		d.Dir, d.Other, store = "ltr", "ar", t.NameEN
	}
	text := func(id string) string {
		return s.catalog.Text(lang, id, map[string]any{"Store": store, "Version": t.PrivacyVersion})
	}
	d.OtherLabel = text("whatsapp.privacy.other_language")
	d.Title = text("whatsapp.privacy.title")
	d.Intro = text("whatsapp.privacy.intro")
	d.Purposes = []string{text("whatsapp.privacy.purpose.answer"), text("whatsapp.privacy.purpose.orders"), text("whatsapp.privacy.purpose.updates")}
	d.Before = text("whatsapp.privacy.before_consent")
	d.Rights = text("whatsapp.privacy.rights")
	d.Version = text("whatsapp.privacy.version")
	var b strings.Builder
	if err := privacyPage.Execute(&b, d); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	return c.SendString(b.String())
}
