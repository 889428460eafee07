package admin

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"concierge/admin/ui"
	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/money"
	"concierge/modules/cart"
	"concierge/modules/checkout"
	"concierge/modules/cms"
	"concierge/modules/identity"
	"concierge/modules/invoices"
	"concierge/modules/returns"
	"concierge/modules/sla"
	"concierge/plugins/payments"
	"concierge/tenants"
)

// The store's settings (GET /admin/settings): one page, one form per
// section, each posting to its own route and saved by one call of its
// module's service (which validates and audits), so a section is saved
// whole or not at all. A role that may read settings but not change them
// sees the values without forms; the payment providers are shown to those
// who may read payments (owners), their secrets only as set / not set.

// StorefrontSettings is the storefront's profile and theme
// (tenants.Service).
type StorefrontSettings interface {
	StorefrontOf(ctx context.Context) (*tenants.Storefront, error)
	SetStorefront(ctx context.Context, actor string, in tenants.StorefrontInput) (*tenants.Storefront, error)
}

// PricingSettings is VAT, delivery fees and shipping zones (cart.Service).
type PricingSettings interface {
	PricingSettings(ctx context.Context) (cart.Settings, error)
	// ChangePricingSettings applies a section's change to the settings as
	// they are at the save, so sections saved at once do not undo each
	// other.
	ChangePricingSettings(ctx context.Context, change func(*cart.Settings)) (cart.Settings, error)
}

// InvoicingSettings is the tax invoice's seller (invoices.Service).
type InvoicingSettings interface {
	Settings(ctx context.Context) (invoices.Settings, error)
	SetSettings(ctx context.Context, in invoices.Settings) (invoices.Settings, error)
}

// PaymentSettings is the payment providers' settings (checkout.Service).
type PaymentSettings interface {
	PaymentSettings(ctx context.Context) ([]checkout.ProviderSettings, error)
	UpdatePaymentSettings(ctx context.Context, changes map[string]checkout.SettingsChange) ([]checkout.ProviderSettings, error)
}

// SLASettings is the service-level targets (sla.Service).
type SLASettings interface {
	Settings(ctx context.Context) (sla.Settings, error)
	UpdateSettings(ctx context.Context, in sla.Settings) (sla.Settings, error)
}

// ReturnSettings is the return window (returns.Service).
type ReturnSettings interface {
	Settings(ctx context.Context) (returns.Settings, error)
	UpdateSettings(ctx context.Context, in returns.Settings) (returns.Settings, error)
}

// BotTexts is the bot's wording and the store's overrides (cms.Service).
type BotTexts interface {
	BotTexts(ctx context.Context, prefix string) ([]cms.BotText, error)
	BotText(ctx context.Context, key string) (*cms.BotText, error)
	SetBotText(ctx context.Context, key string, ch cms.BotTextChange) (*cms.BotText, error)
	DeleteBotText(ctx context.Context, key string) error
	PreviewBotText(ctx context.Context, key string, ch cms.BotTextChange) (*cms.Preview, error)
}

// Settings are the services the settings pages read and save through.
type Settings struct {
	Storefront StorefrontSettings
	Pricing    PricingSettings
	Invoicing  InvoicingSettings
	Payments   PaymentSettings
	SLA        SLASettings
	Returns    ReturnSettings
	BotTexts   BotTexts
}

// blankZones are the empty rows the zones form offers for new zones.
const blankZones = 3

// settingsPage is GET /admin/settings.
func (a *Console) settingsPage(c *fiber.Ctx) error {
	return a.renderSettings(c, nil, nil)
}

// renderSettings renders the page with the stored values, then typed
// (the section that came back) over them, and its field errors (422).
func (a *Console) renderSettings(c *fiber.Ctx, typed func(*ui.SettingsPage), bad map[string]string) error {
	ctx, r, s := c.UserContext(), reqOf(c), a.d.Settings
	v := a.view(c, "admin.settings.title")
	p := ui.SettingsPage{CanWrite: r.access.Can("settings", "write"), ShowPayments: r.access.Can("payments", "read"),
		CanPay: r.access.Can("payments", "write"), Currency: v.Currency, Errors: bad}
	sf, err := s.Storefront.StorefrontOf(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	p.Store = ui.StoreForm{NameAR: sf.NameAR, NameEN: sf.NameEN, LogoURL: sf.LogoURL, PrimaryColor: sf.PrimaryColor}
	inv, err := s.Invoicing.Settings(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	p.Invoicing = ui.InvoicingForm{VATNumber: inv.VATNumber, SellerNameAR: inv.SellerNameAR, SellerNameEN: inv.SellerNameEN}
	pr, err := s.Pricing.PricingSettings(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	amount := func(minor int64) string { return money.Amount{Minor: minor, Currency: pr.Currency}.Decimal() }
	p.Pricing = ui.PricingForm{VATRate: percent(pr.VATRateBP), PricesIncludeVAT: pr.PricesIncludeVAT, FreeShipping: amount(pr.FreeShippingThreshold)}
	if pr.DefaultFee != nil {
		p.Pricing.DefaultFee = amount(*pr.DefaultFee)
	}
	for _, z := range pr.Zones {
		p.Zones = append(p.Zones, ui.ZoneForm{NameAR: z.NameAR, NameEN: z.NameEN, Aliases: strings.Join(z.Aliases, ", "), Fee: amount(z.Fee)})
	}
	if p.CanWrite {
		p.Zones = append(p.Zones, make([]ui.ZoneForm, blankZones)...)
	}
	st, err := s.SLA.Settings(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	p.SLA = ui.SLAForm{HandoffMinutes: strconv.Itoa(st.HandoffFirstReplySeconds / 60), ReturnMinutes: strconv.Itoa(st.ReturnDecisionSeconds / 60),
		DispatchMinutes: strconv.Itoa(st.OrderDispatchSeconds / 60)}
	rs, err := s.Returns.Settings(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	p.Returns = ui.ReturnsForm{WindowDays: strconv.Itoa(rs.WindowDays)}
	if p.ShowPayments {
		ps, err := s.Payments.PaymentSettings(ctx)
		if err != nil {
			return a.fail(c, err)
		}
		for _, ps := range ps {
			p.Providers = append(p.Providers, providerForm(ps, pr.Currency))
		}
	}
	if typed != nil {
		typed(&p)
	}
	if d := c.Query("done"); slices.Contains(settingsSections, d) {
		v.Flash = v.T("admin.settings.saved." + d)
	}
	if len(bad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.SettingsView(v, p))
}

// settingsSections are the sections' names (routes, anchors, notices).
var settingsSections = []string{"store", "invoicing", "pricing", "zones", "sla", "returns", "payments"}

// providerForm is a provider's stored settings as its form shows them.
func providerForm(ps checkout.ProviderSettings, currency string) ui.ProviderForm {
	f := ui.ProviderForm{Name: ps.Provider, Enabled: ps.Enabled}
	for _, fd := range ps.Fields {
		pf := ui.ProviderField{Name: fd.Name, Kind: string(fd.Kind)}
		switch fd.Kind {
		case payments.FieldSecret:
			pf.Set = ps.SecretsSet[fd.Name]
		case payments.FieldMoney:
			pf.Value = ps.Values[fd.Name]
			if n, err := strconv.ParseInt(pf.Value, 10, 64); err == nil {
				pf.Value = money.Amount{Minor: n, Currency: currency}.Decimal()
			}
		default:
			pf.Value = ps.Values[fd.Name]
		}
		f.Fields = append(f.Fields, pf)
	}
	return f
}

// saved answers a section saved: back to its place on the page.
func saved(c *fiber.Ctx, section string) error {
	return c.Redirect("/admin/settings?done="+section+"#"+section, fiber.StatusSeeOther)
}

// fieldErrors adds a service's field errors to bad in the user's
// language, each under the input name rename gives it (nil: the same);
// an invalid error without fields is said under fallback.
func (a *Console) fieldErrors(c *fiber.Ctx, err error, bad map[string]string, fallback string, rename func(string) string) {
	lang := a.langOf(c)
	for _, fe := range errs.FieldsOf(err) {
		name := fe.Field
		if rename != nil {
			name = rename(name)
		}
		if _, ok := bad[name]; !ok {
			bad[name] = a.d.Texts.Message(lang, fe.Msg)
		}
	}
	if len(bad) == 0 {
		bad[fallback] = a.d.Texts.T(lang, "admin.error.invalid")
	}
}

// saveOutcome turns a service's answer into the response: saved, the
// section again with its field errors (invalid), or the error page.
func (a *Console) saveOutcome(c *fiber.Ctx, err error, section string, typed func(*ui.SettingsPage), fallback string, rename func(string) string) error {
	switch {
	case err == nil:
		return saved(c, section)
	case errs.CodeOf(err) == errs.CodeInvalid:
		bad := map[string]string{}
		a.fieldErrors(c, err, bad, fallback, rename)
		return a.renderSettings(c, typed, bad)
	}
	return a.fail(c, err)
}

func form(c *fiber.Ctx, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// tooLong checks lengths in characters, adding errors to bad.
func (a *Console) tooLong(c *fiber.Ctx, bad map[string]string, max int, fields map[string]string) {
	for name, val := range fields {
		if utf8.RuneCountInString(val) > max {
			bad[name] = a.d.Texts.T(a.langOf(c), "admin.field.too_long", "max", i18n.Number(a.langOf(c), int64(max)))
		}
	}
}

// saveStore is POST /admin/settings/store: names, logo, colour.
func (a *Console) saveStore(c *fiber.Ctx) error {
	in := ui.StoreForm{NameAR: form(c, "name_ar"), NameEN: form(c, "name_en"), LogoURL: form(c, "logo_url"), PrimaryColor: form(c, "primary_color")}
	typed := func(p *ui.SettingsPage) { p.Store = in }
	bad := map[string]string{}
	a.tooLong(c, bad, 100, map[string]string{"name_ar": in.NameAR, "name_en": in.NameEN})
	if in.LogoURL != "" {
		if u, err := url.Parse(in.LogoURL); err != nil || u.Scheme != "https" || u.Host == "" || len(in.LogoURL) > 2048 {
			bad["logo_url"] = a.d.Texts.T(a.langOf(c), "admin.settings.bad_url")
		}
	}
	if len(bad) > 0 {
		return a.renderSettings(c, typed, bad)
	}
	_, err := a.d.Settings.Storefront.SetStorefront(c.UserContext(), identity.ActorFrom(c.UserContext()).String(),
		tenants.StorefrontInput{NameAR: in.NameAR, NameEN: in.NameEN, LogoURL: in.LogoURL, PrimaryColor: in.PrimaryColor})
	return a.saveOutcome(c, err, "store", typed, "primary_color", nil)
}

// saveInvoicing is POST /admin/settings/invoicing: VAT number and seller.
func (a *Console) saveInvoicing(c *fiber.Ctx) error {
	in := ui.InvoicingForm{VATNumber: form(c, "vat_number"), SellerNameAR: form(c, "seller_name_ar"), SellerNameEN: form(c, "seller_name_en")}
	_, err := a.d.Settings.Invoicing.SetSettings(c.UserContext(),
		invoices.Settings{VATNumber: in.VATNumber, SellerNameAR: in.SellerNameAR, SellerNameEN: in.SellerNameEN})
	return a.saveOutcome(c, err, "invoicing", func(p *ui.SettingsPage) { p.Invoicing = in }, "vat_number", nil)
}

// savePricing is POST /admin/settings/pricing: VAT rate, prices with or
// without VAT, the fee outside the zones, free shipping (the zones kept).
func (a *Console) savePricing(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in := ui.PricingForm{VATRate: form(c, "vat_rate"), PricesIncludeVAT: c.FormValue("prices_include_vat") == "on",
		DefaultFee: form(c, "default_fee"), FreeShipping: form(c, "free_shipping")}
	typed := func(p *ui.SettingsPage) { p.Pricing = in }
	cur, err := a.d.Settings.Pricing.PricingSettings(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	bad := map[string]string{}
	bp, ok := parsePercent(in.VATRate)
	if !ok {
		bad["vat_rate"] = a.d.Texts.T(a.langOf(c), "admin.settings.bad_percent")
	}
	var defaultFee *int64
	if in.DefaultFee != "" {
		fee := a.amount(c, bad, "default_fee", in.DefaultFee, cur.Currency)
		defaultFee = &fee
	}
	var free int64
	if in.FreeShipping != "" {
		free = a.amount(c, bad, "free_shipping", in.FreeShipping, cur.Currency)
	}
	if len(bad) > 0 {
		return a.renderSettings(c, typed, bad)
	}
	_, err = a.d.Settings.Pricing.ChangePricingSettings(ctx, func(s *cart.Settings) {
		s.VATRateBP, s.PricesIncludeVAT, s.DefaultFee, s.FreeShippingThreshold = bp, in.PricesIncludeVAT, defaultFee, free
	})
	return a.saveOutcome(c, err, "pricing", typed, "vat_rate", func(f string) string {
		switch f {
		case "vat_rate_bp":
			return "vat_rate"
		case "free_shipping_threshold":
			return "free_shipping"
		}
		return f
	})
}

// saveZones is POST /admin/settings/zones: the shipping zones (a row with
// every field empty is left out; the rest of the pricing kept).
func (a *Console) saveZones(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cur, err := a.d.Settings.Pricing.PricingSettings(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	var (
		rows  []ui.ZoneForm
		zones []cart.Zone
		at    []int // zones[i] is the form's row at[i]
	)
	bad := map[string]string{}
	for i := 0; i < cart.MaxZones+blankZones+1; i++ {
		name := func(f string) string { return ui.ZoneField(i, f) }
		args := c.Request().PostArgs()
		if !args.Has(name("name_ar")) && !args.Has(name("name_en")) && !args.Has(name("aliases")) && !args.Has(name("fee")) {
			break
		}
		z := ui.ZoneForm{NameAR: form(c, name("name_ar")), NameEN: form(c, name("name_en")), Aliases: form(c, name("aliases")), Fee: form(c, name("fee"))}
		rows = append(rows, z)
		if z == (ui.ZoneForm{}) {
			continue
		}
		var fee int64
		if z.Fee == "" {
			bad[name("fee")] = a.d.Texts.T(a.langOf(c), "admin.field.required")
		} else {
			fee = a.amount(c, bad, name("fee"), z.Fee, cur.Currency)
		}
		var aliases []string
		for _, al := range strings.FieldsFunc(z.Aliases, func(r rune) bool { return r == ',' || r == '،' }) {
			if al = strings.TrimSpace(al); al != "" {
				aliases = append(aliases, al)
			}
		}
		zones = append(zones, cart.Zone{NameAR: z.NameAR, NameEN: z.NameEN, Aliases: aliases, Fee: fee})
		at = append(at, i)
	}
	typed := func(p *ui.SettingsPage) { p.Zones = rows }
	if len(bad) > 0 {
		return a.renderSettings(c, typed, bad)
	}
	_, err = a.d.Settings.Pricing.ChangePricingSettings(ctx, func(s *cart.Settings) { s.Zones = zones })
	return a.saveOutcome(c, err, "zones", typed, "zones", func(f string) string {
		// zones[3].aliases[1] → the form's row of zone 3, its aliases.
		if i, rest, ok := zoneIndex(f); ok && i < len(at) {
			field, _, _ := strings.Cut(rest, "[")
			return ui.ZoneField(at[i], field)
		}
		return "zones"
	})
}

// zoneIndex reads a zone's field path, "zones[<i>].<rest>".
func zoneIndex(f string) (int, string, bool) {
	s, ok := strings.CutPrefix(f, "zones[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(s, "].")
	n, err := strconv.Atoi(num)
	return n, rest, ok && err == nil && n >= 0
}

// saveSLA is POST /admin/settings/sla: the targets, in minutes.
func (a *Console) saveSLA(c *fiber.Ctx) error {
	in := ui.SLAForm{HandoffMinutes: form(c, "handoff_minutes"), ReturnMinutes: form(c, "return_minutes"), DispatchMinutes: form(c, "dispatch_minutes")}
	typed := func(p *ui.SettingsPage) { p.SLA = in }
	bad := map[string]string{}
	minutes := func(name, s string) int {
		n, ok := wholeNumber(s, int64(sla.MaxTarget.Minutes()))
		if !ok {
			bad[name] = a.d.Texts.T(a.langOf(c), "admin.settings.bad_minutes", "max", i18n.Number(a.langOf(c), int64(sla.MaxTarget.Minutes())))
		}
		return int(n) * 60
	}
	next := sla.Settings{HandoffFirstReplySeconds: minutes("handoff_minutes", in.HandoffMinutes),
		ReturnDecisionSeconds: minutes("return_minutes", in.ReturnMinutes), OrderDispatchSeconds: minutes("dispatch_minutes", in.DispatchMinutes)}
	if len(bad) > 0 {
		return a.renderSettings(c, typed, bad)
	}
	_, err := a.d.Settings.SLA.UpdateSettings(c.UserContext(), next)
	return a.saveOutcome(c, err, "sla", typed, "handoff_minutes", func(f string) string {
		return map[string]string{"handoff_first_reply_seconds": "handoff_minutes", "return_decision_seconds": "return_minutes",
			"order_dispatch_seconds": "dispatch_minutes"}[f]
	})
}

// saveReturns is POST /admin/settings/returns: the return window in days.
func (a *Console) saveReturns(c *fiber.Ctx) error {
	in := ui.ReturnsForm{WindowDays: form(c, "window_days")}
	typed := func(p *ui.SettingsPage) { p.Returns = in }
	n, ok := wholeNumber(in.WindowDays, returns.MaxWindowDays)
	if !ok {
		lang := a.langOf(c)
		return a.renderSettings(c, typed, map[string]string{"window_days": a.d.Texts.T(lang, "admin.settings.bad_days",
			"max", i18n.Number(lang, returns.MaxWindowDays))})
	}
	_, err := a.d.Settings.Returns.UpdateSettings(c.UserContext(), returns.Settings{WindowDays: int(n)})
	return a.saveOutcome(c, err, "returns", typed, "window_days", nil)
}

// savePayments is POST /admin/settings/payments/{provider}: enabled, the
// values (cash on delivery's rules among them) and the secrets typed — a
// secret left blank keeps the stored one; none is ever shown back.
func (a *Console) savePayments(c *fiber.Ctx) error {
	ctx := c.UserContext()
	all, err := a.d.Settings.Payments.PaymentSettings(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	i := slices.IndexFunc(all, func(p checkout.ProviderSettings) bool { return p.Provider == c.Params("provider") })
	if i < 0 {
		return a.notFound(c)
	}
	ps := all[i]
	cur, err := a.d.Settings.Pricing.PricingSettings(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	enabled := c.FormValue(ps.Provider+".enabled") == "on"
	ch := checkout.SettingsChange{Enabled: &enabled, Values: map[string]string{}, Secrets: map[string]string{}}
	shown := ui.ProviderForm{Name: ps.Provider, Enabled: enabled}
	bad := map[string]string{}
	for _, fd := range ps.Fields {
		pf := ui.ProviderField{Name: fd.Name, Kind: string(fd.Kind), Set: ps.SecretsSet[fd.Name]}
		in := pf.Input(ps.Provider)
		raw := form(c, in)
		switch fd.Kind {
		case payments.FieldSecret:
			if raw != "" {
				ch.Secrets[fd.Name] = raw
			}
		case payments.FieldBool:
			ch.Values[fd.Name] = strconv.FormatBool(c.FormValue(in) == "on")
			pf.Value = ch.Values[fd.Name]
		case payments.FieldMoney:
			pf.Value = raw
			if raw != "" {
				ch.Values[fd.Name] = strconv.FormatInt(a.amount(c, bad, in, raw, cur.Currency), 10)
			}
		case payments.FieldInt:
			pf.Value = raw
			if raw != "" {
				n, ok := wholeNumber(raw, money.MaxMinor)
				if !ok {
					bad[in] = a.d.Texts.T(a.langOf(c), "admin.settings.bad_number")
				}
				ch.Values[fd.Name] = strconv.FormatInt(n, 10)
			}
		default:
			pf.Value = raw
			if raw != "" {
				ch.Values[fd.Name] = raw
			}
		}
		shown.Fields = append(shown.Fields, pf)
	}
	typed := func(p *ui.SettingsPage) {
		for i := range p.Providers {
			if p.Providers[i].Name == shown.Name {
				p.Providers[i] = shown
			}
		}
	}
	if len(bad) > 0 {
		return a.renderSettings(c, typed, bad)
	}
	_, err = a.d.Settings.Payments.UpdatePaymentSettings(ctx, map[string]checkout.SettingsChange{ps.Provider: ch})
	if err == nil {
		return c.Redirect("/admin/settings?done=payments#pay-"+ps.Provider, fiber.StatusSeeOther)
	}
	return a.saveOutcome(c, err, "payments", typed, ps.Provider+".enabled", nil)
}

// amount parses a typed amount of the store's currency into minor units,
// adding an error to bad under name when it is not one.
func (a *Console) amount(c *fiber.Ctx, bad map[string]string, name, s, currency string) int64 {
	amt, err := money.Parse(s, currency)
	if err != nil || amt.Currency != currency {
		bad[name] = a.d.Texts.T(a.langOf(c), "admin.settings.bad_amount", "currency", currency)
		return 0
	}
	return amt.Minor
}

// wholeNumber reads a whole number from 0 to max, Arabic-Indic digits
// too.
func wholeNumber(s string, max int64) (int64, bool) {
	s = arabic.DigitsToASCII(strings.TrimSpace(s))
	if s == "" || len(s) > 13 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n <= max
}

// parsePercent reads a percentage with at most two decimals ("15",
// "12.5", "١٥") as basis points, from 0 to 100 %.
func parsePercent(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(arabic.DigitsToASCII(s)), "%")
	s = strings.ReplaceAll(strings.TrimSpace(s), "٫", ".")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" {
		return 0, false
	}
	w, ok := wholeNumber(whole, 100)
	if !ok {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		if f, ok = wholeNumber((frac + "0")[:2], 99); !ok {
			return 0, false
		}
	}
	bp := w*100 + f
	return int(bp), bp <= 10000
}

// percent writes basis points as a percentage ("15", "12.5").
func percent(bp int) string {
	s := strconv.Itoa(bp/100) + "." + strconv.Itoa(bp%100/10) + strconv.Itoa(bp%10)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// ---- bot texts ----

// botTextsPerPage is the bot texts list's page size.
const botTextsPerPage = 50

// botTexts is GET /admin/settings/bot-texts: every bot text, the wording
// in force, searched by key or wording (?q=), 50 a page (?page=).
func (a *Console) botTexts(c *fiber.Ctx) error {
	v := a.view(c, "admin.settings.bot.title")
	all, err := a.d.Settings.BotTexts.BotTexts(c.UserContext(), "")
	if err != nil {
		return a.fail(c, err)
	}
	q := strings.TrimSpace(c.Query("q"))
	if utf8.RuneCountInString(q) > 200 || !utf8.ValidString(q) {
		q = ""
	}
	p := ui.BotTextsPage{Query: q}
	needle := strings.ToLower(q)
	for _, b := range all {
		text := inForce(v.Lang, b)
		if needle != "" && !strings.Contains(strings.ToLower(b.Key), needle) && !strings.Contains(strings.ToLower(text), needle) &&
			!strings.Contains(strings.ToLower(inForce(otherLang(v.Lang), b)), needle) {
			continue
		}
		p.Items = append(p.Items, ui.BotTextRow{Key: b.Key, Text: text, Customised: b.OverrideAR != nil || b.OverrideEN != nil})
	}
	p.Total = len(p.Items)
	page, _ := strconv.Atoi(c.Query("page"))
	last := max(0, (p.Total-1)/botTextsPerPage)
	page = min(max(page, 0), last)
	link := func(n int) string {
		u := url.Values{}
		if q != "" {
			u.Set("q", q)
		}
		if n > 0 {
			u.Set("page", strconv.Itoa(n))
		}
		if len(u) == 0 {
			return "/admin/settings/bot-texts"
		}
		return "/admin/settings/bot-texts?" + u.Encode()
	}
	if page > 0 {
		p.Prev = link(page - 1)
	}
	if page < last {
		p.Next = link(page + 1)
	}
	p.Items = p.Items[page*botTextsPerPage : min(len(p.Items), (page+1)*botTextsPerPage)]
	return a.render(c, ui.BotTextsView(v, p))
}

func otherLang(lang string) string {
	if lang == "ar" {
		return "en"
	}
	return "ar"
}

// inForce is a bot text's wording in lang: the store's, else the default.
func inForce(lang string, b cms.BotText) string {
	if lang == "en" {
		switch {
		case b.OverrideEN != nil:
			return *b.OverrideEN
		case b.DefaultEN != nil:
			return *b.DefaultEN
		}
	}
	if b.OverrideAR != nil {
		return *b.OverrideAR
	}
	return b.DefaultAR
}

// botTextKey is :key, decoded (a key the catalog lacks is the service's
// not_found).
func botTextKey(c *fiber.Ctx) string {
	k, err := url.PathUnescape(c.Params("key"))
	if err != nil || len(k) > 200 {
		return ""
	}
	return k
}

// botText is GET /admin/settings/bot-texts/{key}: the editor.
func (a *Console) botText(c *fiber.Ctx) error {
	return a.botTextPage(c, nil, nil, nil)
}

// botTextPage renders the editor: typed (ar, en) over the stored
// wording, field errors, a preview.
func (a *Console) botTextPage(c *fiber.Ctx, typed *cms.BotTextChange, bad map[string]string, preview *cms.Preview) error {
	b, err := a.d.Settings.BotTexts.BotText(c.UserContext(), botTextKey(c))
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.settings.bot.title")
	v.Title = v.T("admin.settings.bot.edit", "key", b.Key)
	p := ui.BotTextPage{Key: b.Key, DefaultAR: b.DefaultAR, DefaultEN: b.DefaultEN, Placeholders: b.Placeholders,
		Customised: b.OverrideAR != nil || b.OverrideEN != nil, CanWrite: reqOf(c).access.Can("settings", "write"),
		AR: inForce("ar", *b), Errors: bad}
	if b.DefaultEN != nil {
		p.EN = inForce("en", *b)
	}
	if typed != nil {
		if typed.AR != nil {
			p.AR = *typed.AR
		}
		if typed.EN != nil {
			p.EN = *typed.EN
		}
	}
	if preview != nil {
		p.PreviewAR = preview.AR
		if preview.EN != nil {
			p.PreviewEN = *preview.EN
		}
	}
	if d := c.Query("done"); d == "saved" || d == "reset" {
		v.Flash = v.T("admin.settings.bot.done." + d)
	}
	if len(bad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.BotTextView(v, p))
}

// botTextChange is the editor's form: a text equal to the default keeps
// no override (nil), and English only for a key that has it.
func (a *Console) botTextChange(c *fiber.Ctx, b *cms.BotText) (cms.BotTextChange, cms.BotTextChange) {
	typedAR, typedEN := c.FormValue("ar"), c.FormValue("en")
	typed := cms.BotTextChange{AR: &typedAR}
	ch := cms.BotTextChange{}
	if norm(typedAR) != norm(b.DefaultAR) {
		ch.AR = &typedAR
	}
	if b.DefaultEN != nil {
		typed.EN = &typedEN
		if norm(typedEN) != norm(*b.DefaultEN) {
			ch.EN = &typedEN
		}
	}
	return typed, ch
}

func norm(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

// botTextSave is POST /admin/settings/bot-texts/{key}: the store's
// wording (the default's own wording removes the override).
func (a *Console) botTextSave(c *fiber.Ctx) error {
	ctx, key := c.UserContext(), botTextKey(c)
	b, err := a.d.Settings.BotTexts.BotText(ctx, key)
	if err != nil {
		return a.fail(c, err)
	}
	typed, ch := a.botTextChange(c, b)
	if _, err := a.d.Settings.BotTexts.SetBotText(ctx, key, ch); err != nil {
		if errs.CodeOf(err) == errs.CodeInvalid {
			bad := map[string]string{}
			a.fieldErrors(c, err, bad, "ar", nil)
			return a.botTextPage(c, &typed, bad, nil)
		}
		return a.fail(c, err)
	}
	return c.Redirect("/admin/settings/bot-texts/"+url.PathEscape(key)+"?done=saved", fiber.StatusSeeOther)
}

// botTextPreview is POST /admin/settings/bot-texts/{key}/preview: the
// typed wording with sample values, nothing saved.
func (a *Console) botTextPreview(c *fiber.Ctx) error {
	ctx, key := c.UserContext(), botTextKey(c)
	b, err := a.d.Settings.BotTexts.BotText(ctx, key)
	if err != nil {
		return a.fail(c, err)
	}
	typed, _ := a.botTextChange(c, b)
	pv, err := a.d.Settings.BotTexts.PreviewBotText(ctx, key, typed)
	if err != nil {
		if errs.CodeOf(err) == errs.CodeInvalid {
			bad := map[string]string{}
			a.fieldErrors(c, err, bad, "ar", nil)
			return a.botTextPage(c, &typed, bad, nil)
		}
		return a.fail(c, err)
	}
	return a.botTextPage(c, &typed, nil, pv)
}

// botTextReset is POST /admin/settings/bot-texts/{key}/reset: back to the
// default wording in both languages.
func (a *Console) botTextReset(c *fiber.Ctx) error {
	key := botTextKey(c)
	if err := a.d.Settings.BotTexts.DeleteBotText(c.UserContext(), key); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/settings/bot-texts/"+url.PathEscape(key)+"?done=reset", fiber.StatusSeeOther)
}
