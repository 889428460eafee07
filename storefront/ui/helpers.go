package ui

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"concierge/internal/i18n"
	"concierge/modules/catalog"
	"concierge/modules/orders"
	"concierge/modules/whatsapp/dialog"
)

func itoa(n int) string { return strconv.Itoa(n) }

// priority raises the first picture (the likely largest paint).
func priority(i int) string {
	if i == 0 {
		return "high"
	}
	return "auto"
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// optionsText is a variant's option values in lang ("Black / M").
func optionsText(lang string, v catalog.Variant) string {
	parts := make([]string, 0, len(v.Options))
	for _, o := range v.Options {
		parts = append(parts, o.ValueIn(lang))
	}
	if len(parts) == 0 {
		return v.SKU
	}
	return strings.Join(parts, " / ")
}

// sortedAttributes are a product's attributes as sorted pairs.
func sortedAttributes(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// vatRate is a rate in basis points as a percentage ("15%", "١٥٪").
func vatRate(v *View, bp int) string {
	s := strconv.FormatFloat(float64(bp)/100, 'f', -1, 64)
	if v.Lang == "ar" {
		return i18n.Digits(s) + "٪"
	}
	return s + "%"
}

// methodLabel names a payment method.
func methodLabel(v *View, m string) string {
	switch m {
	case "cod", "stripe":
		return v.T("storefront.checkout.method." + m)
	}
	return v.T("storefront.checkout.method.other", "name", m)
}

func trackingURL(o orders.Order) string { return o.Tracking.URL }

// publicSteps are the timeline steps a shopper sees.
func publicSteps(d *orders.Detail) []orders.APIStep { return orders.ToAPIPublicOrder(*d).Timeline }

func formatDate(lang string, t time.Time) string { return dialog.FormatDate(t, lang) }

// shippingText is a shipping fee, or "Free".
func shippingText(v *View, fee int64) string {
	if fee == 0 {
		return v.T("storefront.cart.shipping_free")
	}
	return v.Money(fee)
}

// checkoutQuery carries the city the shopper estimated shipping for.
func checkoutQuery(city string) string {
	if city == "" {
		return ""
	}
	return "?" + Query("city", city)
}
