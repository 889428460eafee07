package whatsapp

import (
	"context"

	"github.com/uptrace/bun"

	"concierge/tenants"
)

// The bot's words: a tenant's override of a text key (the bot_texts table),
// else the catalog's message "bot.<key>" (internal/i18n/messages/bot.*.toml),
// through dialog.Words. The engine finds its texts that way during a turn;
// the channel does too for what it sends outside a turn ("the assistant is
// back", notifications).

// overridesKey carries a tenant's text overrides, loaded once per
// transaction.
type overridesKey struct{}

// TextOverrides serves the tenant texts loaded into the context (the
// processing transaction loads them), so the engine's and the capabilities'
// lookups cost nothing. It implements dialog.Overrides.
type TextOverrides struct{}

// Lookup returns the override of key in locale, if the tenant has one.
func (TextOverrides) Lookup(ctx context.Context, key, locale string) (string, bool) {
	m, _ := ctx.Value(overridesKey{}).(map[string]string)
	v, ok := m[key+"|"+locale]
	return v, ok
}

// loadOverrides reads the tenant's text overrides into the context.
func loadOverrides(ctx context.Context, tx bun.IDB) (context.Context, error) {
	m, err := botTexts(ctx, tx)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, overridesKey{}, m), nil
}

// customerVars are the placeholders every text sent outside a turn may use:
// {store} (the store name in the text's language) and {name} (the
// customer's WhatsApp profile name).
func customerVars(t *tenants.Tenant, cust *Customer, locale string) []string {
	store := ""
	if t != nil {
		store = t.NameAR
		if (locale == "en" && t.NameEN != "") || store == "" {
			store = t.NameEN
		}
	}
	return []string{"{store}", store, "{name}", cust.ProfileName}
}

// localeOf is the language to write to a customer in: theirs, else the
// tenant's, else Arabic.
func localeOf(t *tenants.Tenant, cust *Customer) string {
	switch {
	case cust.Locale != "":
		return cust.Locale
	case t != nil && t.DefaultLocale == "en":
		return "en"
	}
	return "ar"
}
