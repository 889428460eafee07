package httpx_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
)

type createReq struct {
	Slug  string `json:"slug" validate:"required,slug"`
	Email string `json:"email" validate:"required,email"`
	Phone string `json:"phone" validate:"omitempty,e164"`
}

func TestBindAndProblems(t *testing.T) {
	t.Parallel()
	v := httpx.NewValidator()
	app := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)), i18n.MustLoad())})
	app.Post("/", func(c *fiber.Ctx) error {
		var in createReq
		if err := httpx.Bind(c, v, &in); err != nil {
			return err
		}
		return c.SendStatus(204)
	})
	app.Get("/boom", func(c *fiber.Ctx) error {
		return errs.Wrap(errs.CodeInternal, errors.New("pq: secret table name"), "")
	})
	cases := []struct {
		name, body string
		status     int
		code       string
		fields     []string
	}{
		{"valid", `{"slug":"acme","email":"a@b.sa","phone":"+966500000001"}`, 204, "", nil},
		{"empty body", ``, 400, "malformed", nil},
		{"broken JSON", `{"slug":`, 400, "malformed", nil},
		{"trailing data", `{"slug":"acme","email":"a@b.sa"} {}`, 400, "malformed", nil},
		{"wrong type", `{"slug":5,"email":"a@b.sa"}`, 422, "invalid", []string{"slug"}},
		{"unknown field", `{"slug":"acme","email":"a@b.sa","tenant_id":"x"}`, 422, "invalid", []string{"tenant_id"}},
		{"rules", `{"slug":"Not A Slug","email":"nope","phone":"0500"}`, 422, "invalid", []string{"slug", "email", "phone"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			res, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if tc.code == "" {
				return
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
				t.Fatalf("content type %q", ct)
			}
			if !strings.Contains(string(body), fmt.Sprintf(`"code":%q`, tc.code)) {
				t.Fatalf("body lacks code %s: %s", tc.code, body)
			}
			for _, f := range tc.fields {
				if !strings.Contains(string(body), fmt.Sprintf(`"field":%q`, f)) {
					t.Errorf("no field error for %s: %s", f, body)
				}
			}
			if tc.fields != nil && !strings.Contains(string(body), `"message_ar"`) {
				t.Errorf("field errors lack Arabic messages: %s", body)
			}
		})
	}
	t.Run("internal details stay in the log", func(t *testing.T) {
		t.Parallel()
		res, _ := app.Test(httptest.NewRequest("GET", "/boom", nil))
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 500 || strings.Contains(string(body), "secret table") {
			t.Fatalf("500 body leaks the cause: %d %s", res.StatusCode, body)
		}
	})
}

func TestErrorsMatchByCode(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("store: %w", errs.New(errs.CodeNotFound, "error.not_found"))
	if !errors.Is(err, errs.ErrNotFound) || errors.Is(err, errs.ErrConflict) {
		t.Fatal("errors.Is should match by code through wrapping")
	}
	if errs.CodeOf(err) != errs.CodeNotFound || errs.CodeOf(errors.New("x")) != errs.CodeInternal {
		t.Fatal("CodeOf")
	}
	if httpx.StatusOf(errs.CodeRateLimited) != 429 || httpx.StatusOf(errs.CodeTooLarge) != 413 {
		t.Fatal("StatusOf")
	}
}

func TestPrependRunsOnlyOnRegisteredRoutes(t *testing.T) {
	t.Parallel()
	app := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)), i18n.MustLoad())})
	deny := func(c *fiber.Ctx) error { return errs.New(errs.CodeUnauthorized, "problem.unauthorized") }
	staff := httpx.Prepend(app.Group("/api"), deny)
	staff.Get("/secret", func(c *fiber.Ctx) error { return c.SendString("secret") })
	sub := staff.Group("/sub")
	sub.Post("/x", func(c *fiber.Ctx) error { return c.SendString("x") })
	app.Get("/api/open", func(c *fiber.Ctx) error { return c.SendString("open") })
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"GET", "/api/secret", 401}, {"POST", "/api/sub/x", 401}, {"GET", "/api/open", 200}, {"GET", "/api/nothing", 404}} {
		res, err := app.Test(httptest.NewRequest(tc.method, tc.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Use on a Prepend router must panic")
		}
	}()
	staff.Use(deny)
}
