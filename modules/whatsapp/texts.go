package whatsapp

import (
	"context"

	"concierge/modules/whatsapp/dialog"
)

// DialogEngine adapts the dialog engine to the worker: turns, and single
// texts (tenant override, else the default) for messages the worker sends
// outside a turn, such as "the assistant is back".
type DialogEngine struct {
	*dialog.Engine
}

// Text returns the tenant's text for key in locale, else the default, else
// the Arabic default.
func (e DialogEngine) Text(ctx context.Context, key, locale string) string {
	if locale == "" {
		locale = dialog.LocaleAR
	}
	if v, ok := (TextOverrides{}).Lookup(ctx, key, locale); ok {
		return v
	}
	texts := dialog.DefaultTexts()[key]
	if v, ok := texts[locale]; ok {
		return v
	}
	return texts[dialog.LocaleAR]
}
