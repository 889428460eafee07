package main

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/config"
	"concierge/internal/gateway"
	"concierge/internal/safefetch"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/catalog/demo"
	"concierge/storefront"
	"concierge/storefront/images"
)

// newStorefront builds the web shop over the modules' services.
func (a *App) newStorefront(cfg config.Config) (*storefront.Site, error) {
	d := a.deps
	allow, err := catalogAllow(cfg)
	if err != nil {
		return nil, err
	}
	fetch := images.SafeFetch(safefetch.New(safefetch.Config{Allow: allow, Timeout: 15 * time.Second, UserAgent: "Concierge-Images/1.0"}))
	pictures := images.New(images.Config{}, images.Deps{Fetch: demoPictures(fetch), Redis: d.rdb, RedisPrefix: cfg.RedisPrefix, Log: d.log})
	return storefront.New(storefront.Config{SigningKey: d.keys.Derive("storefront"), Secure: cfg.Env == "production"},
		storefront.Deps{Catalog: a.catalog, Carts: a.cart, Checkout: a.checkout, Orders: a.orders, Stores: d.tenants,
			Images: pictures, Chat: chatLinks{a.cart}, Events: webFunnel{a.analytics}, Texts: a.texts, Log: d.log,
			ClientIP: func(c *fiber.Ctx) string { ip, _ := gateway.ByIP(c); return ip }}), nil
}

// demoPictures answers the demo catalog's pictures (any host's
// /media/demo/<name>, which the app itself serves) from the embedded
// files, and every other picture through fetch.
func demoPictures(fetch images.FetchFunc) images.FetchFunc {
	return func(ctx context.Context, raw string, limit int64) ([]byte, string, error) {
		if u, err := url.Parse(raw); err == nil && strings.HasPrefix(u.Path, demo.MediaPath) {
			if b, ok := demo.Image(strings.TrimPrefix(u.Path, demo.MediaPath)); ok {
				return b, "image/png", nil
			}
		}
		return fetch(ctx, raw, limit)
	}
}

// chatLinks builds the storefront's "Chat to order" links: a product's
// variant by its code, a cart by its hand-off code.
type chatLinks struct{ carts *cart.Service }

func (l chatLinks) ProductLink(_ context.Context, lang, phone string, p catalog.Product, v catalog.Variant) string {
	return catalog.WhatsAppLink(phone, catalog.ChatText(lang, p, v))
}

func (l chatLinks) CartLink(ctx context.Context, lang, phone, cartID string) string {
	code, err := l.carts.HandoffCode(ctx, cartID)
	if err != nil {
		return ""
	}
	return catalog.WhatsAppLink(phone, cart.CartTextFor(lang, code))
}
