package gateway

import (
	"strings"

	"concierge/internal/errs"

	"github.com/gofiber/fiber/v2"
)

// Security header values. APICSP suits JSON answers, which load nothing; a
// handler serving HTML replaces it with its own Content-Security-Policy.
const (
	APICSP            = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	HSTS              = "max-age=63072000; includeSubDomains"
	PermissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), usb=(), browsing-topics=()"
)

// SecurityHeaders adds X-Content-Type-Options, X-Frame-Options,
// Referrer-Policy, Permissions-Policy, a Content-Security-Policy for API
// responses and, on https requests, Strict-Transport-Security. They are set
// before the handler runs, so error and panic answers carry them and a
// handler serving HTML replaces the policy with c.Set.
func SecurityHeaders() fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		h.Set(fiber.HeaderXFrameOptions, "DENY")
		h.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
		h.Set(fiber.HeaderPermissionsPolicy, PermissionsPolicy)
		h.Set(fiber.HeaderContentSecurityPolicy, APICSP)
		if c.Protocol() == "https" {
			h.Set(fiber.HeaderStrictTransportSecurity, HSTS)
		}
		return c.Next()
	}
}

// CORS settings sent to allowed origins.
const (
	corsAllowMethods  = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	corsExposeHeaders = "X-Request-ID, Retry-After, X-RateLimit-Remaining, Traceparent, Location, Idempotent-Replayed"
	corsMaxAge        = "600"
)

// CORS answers cross-origin requests from origins that allowed accepts for
// this request (the composition root allows the resolved tenant's domains,
// its platform subdomain and configured extras). An allowed origin gets
// Access-Control-Allow-Origin set to exactly that origin with credentials
// allowed; preflights (OPTIONS with Access-Control-Request-Method) are
// answered 204 here. A disallowed origin gets no CORS headers, and its
// preflight a 403 problem. The "null" origin (sandboxed frames, files) is
// never allowed.
func CORS(allowed func(c *fiber.Ctx, origin string) bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Vary(fiber.HeaderOrigin)
		origin := c.Get(fiber.HeaderOrigin)
		preflight := c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != ""
		if origin == "" {
			return c.Next()
		}
		ok := origin != "null" && allowed(c, origin)
		if !preflight {
			if ok {
				c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
				c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
				c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
			}
			return c.Next()
		}
		c.Vary(fiber.HeaderAccessControlRequestMethod, fiber.HeaderAccessControlRequestHeaders)
		if !ok {
			return errs.New(errs.CodeForbidden, "error.origin_forbidden")
		}
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
		c.Set(fiber.HeaderAccessControlAllowMethods, corsAllowMethods)
		if hs := c.Get(fiber.HeaderAccessControlRequestHeaders); hs != "" && headerList(hs) {
			c.Set(fiber.HeaderAccessControlAllowHeaders, hs)
		}
		c.Set(fiber.HeaderAccessControlMaxAge, corsMaxAge)
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// headerList reports whether s is a comma-separated list of header names, so
// it can be echoed to an allowed origin.
func headerList(s string) bool {
	if len(s) > 1024 {
		return false
	}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return false
		}
		for i := 0; i < len(name); i++ {
			b := name[i]
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
				return false
			}
		}
	}
	return true
}

// UTF8 adds charset=utf-8 to JSON answers that lack it: Arabic arrives
// garbled in some clients without it.
func UTF8() fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		switch string(c.Response().Header.ContentType()) {
		case fiber.MIMEApplicationJSON:
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		case fiber.MIMETextPlain:
			c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		}
		return err
	}
}
