package gateway

import (
	"context"
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

// ReadyTimeout bounds all readiness checks together.
const ReadyTimeout = 2 * time.Second

// Healthz answers 200 {"status":"ok"} while the process serves requests.
func Healthz() fiber.Handler {
	return func(c *fiber.Ctx) error {
		return writeJSON(c, fiber.StatusOK, "application/json; charset=utf-8", map[string]string{"status": "ok"})
	}
}

// readyProblem is the 503 body: a problem with each check's result.
type readyProblem struct {
	httpx.Problem
	Checks map[string]string `json:"checks"`
}

// Readyz runs checks (for example postgres, redis, migrations) concurrently
// within ReadyTimeout and answers 200 {"status":"ready","checks":{"postgres":"ok"}}
// or a 503 problem whose checks map gives each failing check's error. A check
// still running at the deadline fails with "timed out". Check errors are
// shown as they are, so keep /readyz off the public route or make the checks
// return short messages.
func Readyz(checks map[string]func(ctx context.Context) error) fiber.Handler {
	return readyz(checks, ReadyTimeout)
}

func readyz(checks map[string]func(ctx context.Context) error, timeout time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), timeout)
		defer cancel()
		type result struct {
			name string
			err  error
		}
		results := make(chan result, len(checks)) // buffered: a late check never blocks
		for name, check := range checks {
			go func() {
				defer func() {
					if r := recover(); r != nil {
						results <- result{name, fmt.Errorf("panic: %v", r)}
					}
				}()
				results <- result{name, check(ctx)}
			}()
		}
		out := make(map[string]string, len(checks))
		var failed []string
	collect:
		for range checks {
			select {
			case r := <-results:
				if r.err != nil {
					out[r.name] = truncate(r.err.Error(), 300)
					failed = append(failed, r.name)
				} else {
					out[r.name] = "ok"
				}
			case <-ctx.Done():
				break collect
			}
		}
		for name := range checks {
			if _, done := out[name]; !done {
				out[name] = "timed out"
				failed = append(failed, name)
			}
		}
		if len(failed) == 0 {
			return writeJSON(c, fiber.StatusOK, "application/json; charset=utf-8",
				map[string]any{"status": "ready", "checks": out})
		}
		sort.Strings(failed)
		detail := "not ready:"
		for _, name := range failed {
			detail += " " + name + " (" + out[name] + ");"
		}
		p := readyProblem{
			Problem: httpx.Problem{
				Type:      "https://concierge.dev/problems/" + string(errs.CodeUnavailable),
				Title:     "Not ready",
				TitleAr:   "الخدمة غير جاهزة",
				Status:    fiber.StatusServiceUnavailable,
				Detail:    detail[:len(detail)-1],
				Code:      errs.CodeUnavailable,
				Instance:  c.Path(),
				RequestID: httpx.RequestID(c),
			},
			Checks: out,
		}
		if l := httpx.LoggerFrom(c, nil); l != nil {
			l.WarnContext(c.UserContext(), "not ready", "checks", out)
		}
		return writeJSON(c, fiber.StatusServiceUnavailable, "application/problem+json; charset=utf-8", p)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// writeJSON writes v with the app's JSON encoder and an explicit charset.
func writeJSON(c *fiber.Ctx, status int, contentType string, v any) error {
	b, err := c.App().Config().JSONEncoder(v)
	if err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(b)
}
