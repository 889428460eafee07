package dialog

import (
	"maps"
	"slices"
	"strings"

	"concierge/internal/i18n"
)

// The engine's default texts live in the message catalog as "bot.<key>"
// (internal/i18n/messages/bot.ar.toml and bot.en.toml), in Arabic and
// English; a tenant overrides any of them under the same key through
// Overrides (the bot_texts table). Placeholders:
//
//	{store}           the store name in the text's language (Tenant.NameAR / NameEN)
//	{privacy_url}     Tenant.PrivacyURL
//	{notice_version}  Tenant.NoticeVersion
//	{name}            Customer.Name (unused by the defaults)
//
// Button titles stay within MaxButtonTitle runes and list row titles within
// MaxListTitle (a test holds the defaults to it); longer overrides are cut
// with "…".

// botPrefix is the prefix of the bot texts' message ids in the catalog.
const botPrefix = "bot."

// DefaultTexts returns the default bot texts of the catalog, key → locale
// → text (every message "bot.<key>", so capabilities' texts too), for the
// admin UI to list next to the tenant's overrides. The map is the caller's.
func DefaultTexts() map[string]map[string]string {
	c := i18n.MustLoad()
	out := map[string]map[string]string{}
	for _, id := range c.IDs() {
		key, ok := strings.CutPrefix(id, botPrefix)
		if !ok {
			continue
		}
		out[key] = map[string]string{LocaleAR: c.Text(LocaleAR, id, nil), LocaleEN: c.Text(LocaleEN, id, nil)}
	}
	return out
}

// Keys returns the bot text keys in sorted order.
func Keys() []string {
	return slices.Sorted(maps.Keys(DefaultTexts()))
}
