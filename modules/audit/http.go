package audit

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/httpx"
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

// Mount serves the tenant's audit log to its staff (GET /api/v1/audit) and
// the verification of every chain to platform admins (GET
// /api/platform/audit/verify).
func (l *Log) Mount(r httpx.Routers) {
	r.Staff.Get("/audit", r.Allow("audit", "read"), l.tenantEntries)
	r.Platform.Get("/audit/verify", r.AllowPlatform("platform", "read"), l.verifyAll)
}

// tenantEntries answers GET /api/v1/audit: the newest entries of the
// request's tenant (?limit=1..200, default 50), read in its scoped
// transaction, so no other tenant's entries can appear.
func (l *Log) tenantEntries(c *fiber.Ctx) error {
	limit := 50
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return errs.Invalid(errs.Field("limit", "range", "field.range", "min", 1, "max", 200))
		}
		limit = n
	}
	var entries []Entry
	err := l.scope.InTenantTx(c.UserContext(), func(ctx context.Context, tx bun.Tx) error {
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

// verifyAll answers GET /api/platform/audit/verify: every chain recomputed
// (the platform path: every tenant's entries).
func (l *Log) verifyAll(c *fiber.Ctx) error {
	type problem struct {
		TenantID string `json:"tenant_id,omitempty"`
		Seq      int64  `json:"seq"`
		ID       int64  `json:"id"`
		Reason   string `json:"reason"`
	}
	var out []problem
	var n int
	err := l.scope.PlatformTx(c.UserContext(), func(ctx context.Context, tx bun.Tx) error {
		ps, count, err := Verify(ctx, tx, nil)
		n = count
		for _, p := range ps {
			out = append(out, problem{TenantID: p.TenantID.String(), Seq: p.Seq, ID: p.ID, Reason: p.Reason})
		}
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": n, "intact": len(out) == 0, "problems": out})
}
