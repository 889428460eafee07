package sla

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

// Mount serves the staff
//
//	GET /sla/breaches?kind=&since=&cursor=&limit=  breaches, newest first (orders:read)
//	GET /settings/sla                              the targets (settings:read)
//	PUT /settings/sla                              replace the targets (settings:write), audited
//
// The API gives the targets in the units people set them in: the first
// reply in minutes, return decisions and dispatch in hours.
func (s *Service) Mount(r httpx.Routers) {
	h := &handlers{svc: s, validate: r.Validator}
	r.Staff.Get("/sla/breaches", r.Allow("orders", "read"), h.breaches)
	r.Staff.Get("/settings/sla", r.Allow("settings", "read"), h.getSettings)
	r.Staff.Put("/settings/sla", r.Allow("settings", "write"), h.putSettings)
}

type handlers struct {
	svc      *Service
	validate *httpx.Validator
}

// settingsReq is a PUT of the targets, whole: every target is required,
// within the service's bounds in the API's units (one minute to 30 days =
// 43200 minutes; return decisions and dispatch one to 720 hours).
type settingsReq struct {
	HandoffFirstReplyMinutes *int `json:"handoff_first_reply_minutes" validate:"required,min=1,max=43200"`
	ReturnDecisionHours      *int `json:"return_decision_hours" validate:"required,min=1,max=720"`
	OrderDispatchHours       *int `json:"order_dispatch_hours" validate:"required,min=1,max=720"`
	// UpdatedAt is accepted so a client may send back what GET gave; it is
	// not checked.
	UpdatedAt *string `json:"updated_at" validate:"omitempty,max=64"`
}

type apiSettings struct {
	HandoffFirstReplyMinutes int        `json:"handoff_first_reply_minutes"`
	ReturnDecisionHours      int        `json:"return_decision_hours"`
	OrderDispatchHours       int        `json:"order_dispatch_hours"`
	UpdatedAt                *time.Time `json:"updated_at"`
}

// toAPISettings gives the targets in the API's units, rounded to the
// nearest (targets set through the API are whole units).
func toAPISettings(s Settings) apiSettings {
	out := apiSettings{
		HandoffFirstReplyMinutes: int(math.Round(float64(s.HandoffFirstReplySeconds) / 60)),
		ReturnDecisionHours:      int(math.Round(float64(s.ReturnDecisionSeconds) / 3600)),
		OrderDispatchHours:       int(math.Round(float64(s.OrderDispatchSeconds) / 3600)),
	}
	if s.UpdatedAt != nil {
		at := s.UpdatedAt.UTC()
		out.UpdatedAt = &at
	}
	return out
}

type apiBreach struct {
	ID            uuid.UUID `json:"id"`
	Kind          string    `json:"kind"`
	SubjectID     uuid.UUID `json:"subject_id"`
	DueAt         time.Time `json:"due_at"`
	BreachedAt    time.Time `json:"breached_at"`
	TargetSeconds int       `json:"target_seconds"`
}

type apiBreachPage struct {
	Items []apiBreach `json:"items"`
	// NextCursor asks for the next page; absent on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

func toAPIBreach(b Breach) apiBreach {
	return apiBreach{ID: b.ID, Kind: b.Kind, SubjectID: b.SubjectID, DueAt: b.DueAt.UTC(), BreachedAt: b.BreachedAt.UTC(),
		TargetSeconds: b.TargetSeconds}
}

func (h *handlers) breaches(c *fiber.Ctx) error {
	q := BreachQuery{Kind: c.Query("kind"), Cursor: c.Query("cursor")}
	var fields []errs.FieldError
	if v := c.Query("since"); v != "" {
		at, err := parseTime(v)
		if err != nil {
			fields = append(fields, errs.Field("since", "format", "sla.field.since"))
		} else {
			q.Since = &at
		}
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxBreachPage {
			fields = append(fields, errs.Field("limit", "range", "field.range", "min", 1, "max", MaxBreachPage))
		} else {
			q.Limit = n
		}
	}
	named := map[string]bool{}
	for _, f := range fields {
		named[f.Field] = true
	}
	_, more := checkQuery(q)
	for _, f := range more {
		if !named[f.Field] {
			fields = append(fields, f)
		}
	}
	if len(fields) > 0 {
		return errs.Invalid(fields...)
	}
	page, err := h.svc.Breaches(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := apiBreachPage{Items: make([]apiBreach, len(page.Items)), NextCursor: page.NextCursor}
	for i, b := range page.Items {
		out.Items[i] = toAPIBreach(b)
	}
	return c.JSON(out)
}

// parseTime reads an RFC 3339 time; a "+" of the offset that arrived as a
// space (an unencoded query) is taken back.
func parseTime(v string) (time.Time, error) {
	at, err := time.Parse(time.RFC3339, v)
	if err != nil && strings.Contains(v, " ") {
		at, err = time.Parse(time.RFC3339, strings.ReplaceAll(v, " ", "+"))
	}
	return at, err
}

func (h *handlers) getSettings(c *fiber.Ctx) error {
	s, err := h.svc.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(toAPISettings(s))
}

func (h *handlers) putSettings(c *fiber.Ctx) error {
	var req settingsReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	out, err := h.svc.UpdateSettings(c.UserContext(), Settings{
		HandoffFirstReplySeconds: *req.HandoffFirstReplyMinutes * 60,
		ReturnDecisionSeconds:    *req.ReturnDecisionHours * 3600,
		OrderDispatchSeconds:     *req.OrderDispatchHours * 3600,
	})
	if err != nil {
		return err
	}
	return c.JSON(toAPISettings(out))
}
