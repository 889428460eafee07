package audit

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/tenants"
)

type apiEntry struct {
	ID        int64           `json:"id"`
	Seq       int64           `json:"seq"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	Target    string          `json:"target"`
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
}

// TenantHandler answers GET /api/v1/audit: the newest entries of the
// request's tenant (?limit=1..200, default 50), read in its scoped
// transaction, so no other tenant's entries can appear.
func TenantHandler(scope *tenants.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		limit := 50
		if s := c.Query("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 200 {
				return errs.Invalid(errs.FieldError{Field: "limit", Code: "range", Msg: errs.Legacy("must be 1 to 200", "يجب أن يكون بين 1 و200")})
			}
			limit = n
		}
		var entries []Entry
		err := scope.InTenantTx(c.UserContext(), func(ctx context.Context, tx bun.Tx) error {
			var err error
			entries, err = List(ctx, tx, limit)
			return err
		})
		if err != nil {
			return err
		}
		out := make([]apiEntry, len(entries))
		for i, e := range entries {
			out[i] = apiEntry{ID: e.ID, Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target,
				Before: e.Before, After: e.After, RequestID: e.RequestID}
		}
		return c.JSON(fiber.Map{"items": out})
	}
}
