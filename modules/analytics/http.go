package analytics

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/money"
)

// Mount serves the staff
//
//	GET /analytics/funnel?days=  the funnel of the last days (default 7), by channel and in total (analytics:read)
//	GET /analytics/funnel?from=&to=  the funnel of [from, to), RFC 3339 times
func (s *Service) Mount(r httpx.Routers) {
	h := &handlers{svc: s}
	r.Staff.Get("/analytics/funnel", r.Allow("analytics", "read"), h.funnel)
}

// Bounds of the days parameter.
const (
	DefaultFunnelDays = 7
	MaxFunnelDays     = 366
)

type handlers struct {
	svc *Service
}

type apiMoney struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type apiCounts struct {
	Conversations int64    `json:"conversations"`
	ProductViews  int64    `json:"product_views"`
	CartAdds      int64    `json:"cart_adds"`
	Checkouts     int64    `json:"checkouts_started"`
	Orders        int64    `json:"orders_placed"`
	Paid          int64    `json:"orders_paid"`
	Revenue       apiMoney `json:"revenue"`
	AOV           apiMoney `json:"average_order_value"`
}

type apiFunnel struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Currency string    `json:"currency"`
	Total    apiCounts `json:"total"`
	Web      apiCounts `json:"web"`
	WhatsApp apiCounts `json:"whatsapp"`
}

func toAPIMoney(a money.Amount) apiMoney { return apiMoney{Amount: a.Minor, Currency: a.Currency} }

func toAPICounts(c Counts) apiCounts {
	return apiCounts{Conversations: c.Conversations, ProductViews: c.ProductViews, CartAdds: c.CartAdds, Checkouts: c.Checkouts,
		Orders: c.Orders, Paid: c.Paid, Revenue: toAPIMoney(c.Revenue), AOV: toAPIMoney(c.AOV)}
}

func toAPIFunnel(f Funnel) apiFunnel {
	return apiFunnel{From: f.From.UTC(), To: f.To.UTC(), Currency: f.Currency, Total: toAPICounts(f.Total),
		Web: toAPICounts(f.Web), WhatsApp: toAPICounts(f.WhatsApp)}
}

func (h *handlers) funnel(c *fiber.Ctx) error {
	from, to, err := h.period(c.Query("days"), c.Query("from"), c.Query("to"))
	if err != nil {
		return err
	}
	f, err := h.svc.Funnel(c.UserContext(), from, to)
	if err != nil {
		return err
	}
	return c.JSON(toAPIFunnel(f))
}

// period reads the funnel's period: days (the last days up to now), or
// from and to together, or nothing (the last DefaultFunnelDays days).
// Every bad parameter is named at once.
func (h *handlers) period(days, fromQ, toQ string) (time.Time, time.Time, error) {
	var fields []errs.FieldError
	if days != "" {
		if fromQ != "" || toQ != "" {
			return time.Time{}, time.Time{}, errs.Invalid(errs.Field("days", "excluded_with", "analytics.field.days_or_period"))
		}
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > MaxFunnelDays {
			return time.Time{}, time.Time{}, errs.Invalid(errs.Field("days", "range", "field.range", "min", 1, "max", MaxFunnelDays))
		}
		to := h.svc.now().UTC()
		return to.Add(-time.Duration(n) * 24 * time.Hour), to, nil
	}
	if fromQ == "" && toQ == "" {
		to := h.svc.now().UTC()
		return to.Add(-DefaultFunnelDays * 24 * time.Hour), to, nil
	}
	var from, to time.Time
	for _, p := range []struct {
		name, v string
		at      *time.Time
	}{{"from", fromQ, &from}, {"to", toQ, &to}} {
		if p.v == "" {
			fields = append(fields, errs.Field(p.name, "required", "field.required"))
			continue
		}
		at, err := parseTime(p.v)
		if err != nil {
			fields = append(fields, errs.Field(p.name, "format", "analytics.field.time"))
			continue
		}
		*p.at = at
	}
	if len(fields) == 0 {
		fields = checkPeriod(from, to)
	}
	if len(fields) > 0 {
		return time.Time{}, time.Time{}, errs.Invalid(fields...)
	}
	return from, to, nil
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
