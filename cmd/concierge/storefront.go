package main

import (
	"github.com/gofiber/fiber/v2"

	"concierge/internal/config"
	"concierge/internal/gateway"
	"concierge/storefront"
)

// newStorefront builds the web shop over the modules' services.
func (a *App) newStorefront(cfg config.Config) *storefront.Site {
	d := a.deps
	return storefront.New(storefront.Config{SigningKey: d.keys.Derive("storefront"), Secure: cfg.Env == "production"},
		storefront.Deps{Catalog: a.catalog, Carts: a.cart, Checkout: a.checkout, Orders: a.orders, Stores: d.tenants,
			Texts: a.texts, Log: d.log, ClientIP: func(c *fiber.Ctx) string { ip, _ := gateway.ByIP(c); return ip }})
}
