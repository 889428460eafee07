// Package analytics records the funnel's events on both channels (web and
// WhatsApp) in one append-only, tenant-isolated table, and reads the
// funnel back for the dashboard.
//
//   - Record is called on the request's path by the module where the event
//     happens (a product page, a cart add, a payment): it checks and trims
//     the event, applies the consent rule and queues it, never blocking and
//     never touching the network. A full queue drops the event and counts
//     it (concierge_analytics_dropped_total{reason="overload"}): a page is
//     never slowed by its analytics.
//   - A background writer (Start, Close) takes the queue in batches (up to
//     Config.BatchSize, at least every Config.FlushEvery) and writes each
//     tenant's events with one multi-row INSERT in that tenant's scoped
//     transaction. Flush writes what is queued now and returns when it is in
//     Postgres.
//   - Funnel reads a period's conversations, product views, cart adds,
//     checkouts, orders, payments, revenue and average order value, by
//     channel and in total (GET /analytics/funnel).
//   - The partition job (analytics.partitions) keeps a partition ready for
//     this month and the next and drops months past Config.RetainMonths.
//
// docs/analytics.md.
package analytics

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/money"
	"concierge/tenants"
)

// The events of the funnel.
const (
	// NameProductViewed: a product page (web) or a product's details
	// (WhatsApp) shown; ProductID is set.
	NameProductViewed = "product_viewed"
	// NameSearch: a search; Query holds its words.
	NameSearch = "search"
	// NameHandoffClicked: a storefront's "Chat to order" link followed (web
	// to WhatsApp).
	NameHandoffClicked = "handoff_clicked"
	// NameCartAdded: an item put in a cart; ProductID is set.
	NameCartAdded = "cart_added"
	// NameCheckoutStarted: a checkout begun.
	NameCheckoutStarted = "checkout_started"
	// NameOrderPlaced: an order created; OrderID and its total (Amount,
	// Currency) are set.
	NameOrderPlaced = "order_placed"
	// NamePaid: an order paid (or, cash on delivery, confirmed); OrderID and
	// the amount paid are set.
	NamePaid = "paid"
	// NameConversationStarted: a WhatsApp conversation begun (SessionID: the
	// conversation's id).
	NameConversationStarted = "conversation_started"
	// NameConsentGiven: a person consented (to analytics on the web, to the
	// privacy notice on WhatsApp).
	NameConsentGiven = "consent_given"
	// NameHumanHandoff: a customer asked for a person.
	NameHumanHandoff = "human_handoff"
)

// Names lists every event name, in funnel order where there is one.
func Names() []string {
	return []string{NameConversationStarted, NameProductViewed, NameSearch, NameHandoffClicked, NameCartAdded,
		NameCheckoutStarted, NameOrderPlaced, NamePaid, NameConsentGiven, NameHumanHandoff}
}

// The channels.
const (
	ChannelWeb      = "web"
	ChannelWhatsApp = "whatsapp"
)

// Channels lists the channels.
func Channels() []string { return []string{ChannelWeb, ChannelWhatsApp} }

func validName(n string) bool {
	switch n {
	case NameProductViewed, NameSearch, NameHandoffClicked, NameCartAdded, NameCheckoutStarted, NameOrderPlaced,
		NamePaid, NameConversationStarted, NameConsentGiven, NameHumanHandoff:
		return true
	}
	return false
}

func validChannel(c string) bool { return c == ChannelWeb || c == ChannelWhatsApp }

// Event is one step of a person through the funnel.
type Event struct {
	Name    string // one of Names
	Channel string // ChannelWeb or ChannelWhatsApp
	// SessionID is the web's random session id (letters, digits and
	// ._:- only, at most MaxSessionID; anything else is dropped, never
	// stored) or, on WhatsApp, the conversation's id.
	SessionID  string
	CustomerID *uuid.UUID // kept on the web only with Consented
	ProductID  *uuid.UUID
	OrderID    *uuid.UUID
	// Amount is minor units of Currency (an ISO 4217 code); both or
	// neither (an Amount with no Currency is refused).
	Amount   int64
	Currency string
	// Query is a search's words: trimmed to MaxQuery characters, with
	// e-mail addresses and long runs of digits (phone numbers) taken out.
	Query string
	// At is when it happened; zero, in the future or more than MaxBackdate
	// ago, the time of Record.
	At time.Time
	// Consented says the web visitor accepted analytics. Without it a web
	// event keeps no customer id, and one that names an order keeps no
	// session id (the browsing is never tied to the person who ordered).
	// WhatsApp events ignore it: the conversation's own consent step
	// covers them.
	Consented bool
}

// Limits of an event's fields.
const (
	MaxSessionID = 64
	MaxQuery     = 100
	// MaxBackdate is how far back an event's At may be.
	MaxBackdate = 24 * time.Hour
)

// Defaults of Config.
const (
	DefaultQueueSize    = 10000
	DefaultBatchSize    = 500
	DefaultFlushEvery   = time.Second
	DefaultRetainMonths = 24
)

// Config tunes the service.
type Config struct {
	// QueueSize is how many events wait for the writer at most; past it
	// Record drops (default 10000).
	QueueSize int
	// BatchSize is the most events one write takes (default 500).
	BatchSize int
	// FlushEvery is the longest an event waits to be written (default 1s).
	FlushEvery time.Duration
	// RetainMonths is how many whole months before the current one the
	// partition job keeps (default 24); -1 keeps every month.
	RetainMonths int
}

func (c Config) withDefaults() Config {
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = DefaultFlushEvery
	}
	if c.RetainMonths == 0 {
		c.RetainMonths = DefaultRetainMonths
	}
	return c
}

// Deps are what the service needs. The partition job's client comes
// through Workers.
type Deps struct {
	Scope *tenants.Scope
	Log   *slog.Logger
	Now   func() time.Time
}

// Service records events and reads the funnel.
type Service struct {
	cfg     Config
	scope   *tenants.Scope
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics

	// queue holds recorded events until the writer (or Flush) takes them;
	// full wakes the writer when a batch's worth waits.
	queue  chan eventRow
	full   chan struct{}
	closed atomic.Bool

	// writeMu makes one writer at a time take from the queue (the
	// background loop, Flush, Close), so a Flush that holds it has every
	// event recorded before it either written or in its hands. buf is the
	// batch it fills.
	writeMu sync.Mutex
	buf     []eventRow

	runMu sync.Mutex
	stop  chan struct{} // closed by Close; nil while not started
	done  chan struct{} // closed when the loop has returned
}

// New builds the service. Nothing is written until Start (or Flush).
func New(cfg Config, d Deps) *Service {
	cfg = cfg.withDefaults()
	s := &Service{cfg: cfg, scope: d.Scope, log: d.Log, now: d.Now,
		queue: make(chan eventRow, cfg.QueueSize), full: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.metrics = newMetrics(s)
	return s
}

// Record queues e for writing, in the tenant of ctx. It never blocks and
// does no I/O: an event with an unknown name or channel or a bad amount
// (reason invalid), without a tenant (no_tenant), after Close (closed) or
// meeting a full queue (overload) is dropped and counted in
// concierge_analytics_dropped_total.
func (s *Service) Record(ctx context.Context, e Event) {
	if s.closed.Load() {
		s.metrics.drop(reasonClosed, 1)
		return
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		s.metrics.drop(reasonNoTenant, 1)
		return
	}
	r, ok := s.toRow(t.ID, e)
	if !ok {
		s.metrics.drop(reasonInvalid, 1)
		return
	}
	select {
	case s.queue <- r:
	default:
		s.metrics.drop(reasonOverload, 1)
		return
	}
	if len(s.queue) >= s.cfg.BatchSize {
		select {
		case s.full <- struct{}{}:
		default:
		}
	}
}

// toRow checks e and turns it into the row to store: names and amounts
// checked, texts made safe and short, the consent rule applied, an id and a
// time given.
func (s *Service) toRow(tenantID uuid.UUID, e Event) (eventRow, bool) {
	if !validName(e.Name) || !validChannel(e.Channel) {
		return eventRow{}, false
	}
	r := eventRow{TenantID: tenantID, Name: e.Name, Channel: e.Channel, CustomerID: ownID(e.CustomerID),
		ProductID: ownID(e.ProductID), OrderID: ownID(e.OrderID), SessionID: sessionID(e.SessionID), Query: scrubQuery(e.Query)}
	switch {
	case e.Currency == "" && e.Amount == 0:
	case e.Currency == "" || !money.Valid(e.Currency) || e.Amount < 0 || e.Amount > money.MaxMinor:
		return eventRow{}, false
	default:
		amount := e.Amount
		r.Amount, r.Currency = &amount, e.Currency
	}
	if e.Channel == ChannelWeb && !e.Consented {
		r.CustomerID = nil
		if r.OrderID != nil {
			r.SessionID = ""
		}
	}
	now := s.now().UTC()
	r.OccurredAt = e.At.UTC()
	if e.At.IsZero() || r.OccurredAt.After(now) || r.OccurredAt.Before(now.Add(-MaxBackdate)) {
		r.OccurredAt = now
	}
	r.ID = uuid.Must(uuid.NewV7())
	return r, true
}

// Counts are one channel's (or both channels') funnel over a period.
type Counts struct {
	// Conversations are the distinct conversations started.
	Conversations int64
	ProductViews  int64
	CartAdds      int64
	Checkouts     int64
	// Orders and Paid count distinct orders (an order recorded twice, or
	// paid twice, counts once).
	Orders int64
	Paid   int64
	// Revenue is the sum paid for those orders in the store's currency
	// (orders paid in another currency, if the store ever changed it, are
	// counted in Paid but not here); AOV is Revenue over the orders it
	// sums, rounded half up (zero without any).
	Revenue money.Amount
	AOV     money.Amount
}

// Funnel is the funnel of the period [From, To).
type Funnel struct {
	From, To time.Time
	Currency string // the store's
	Web      Counts
	WhatsApp Counts
	Total    Counts
}

// MaxFunnelSpan is the longest period Funnel reads.
const MaxFunnelSpan = 366 * 24 * time.Hour

// Funnel reads the tenant's funnel for [from, to) with one statement in
// its scoped transaction. Errors: invalid (to not after from, fields
// "from" and "to"; a period longer than MaxFunnelSpan, field "to").
func (s *Service) Funnel(ctx context.Context, from, to time.Time) (Funnel, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return Funnel{}, err
	}
	if fe := checkPeriod(from, to); len(fe) > 0 {
		return Funnel{}, errs.Invalid(fe...)
	}
	out := Funnel{From: from.UTC(), To: to.UTC()}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := funnelRows(ctx, tx, t.ID, out.From, out.To)
		if err != nil {
			return err
		}
		for _, r := range rows {
			out.Currency = r.Currency
			c := r.toCounts()
			switch {
			case r.Total:
				out.Total = c
			case r.Channel == ChannelWeb:
				out.Web = c
			case r.Channel == ChannelWhatsApp:
				out.WhatsApp = c
			}
		}
		return nil
	})
	if err != nil {
		return Funnel{}, err
	}
	for _, c := range []*Counts{&out.Web, &out.WhatsApp, &out.Total} {
		c.Revenue.Currency, c.AOV.Currency = out.Currency, out.Currency
	}
	return out, nil
}

// checkPeriod lists what is wrong with a funnel's period, by field.
func checkPeriod(from, to time.Time) []errs.FieldError {
	switch {
	case from.IsZero():
		return []errs.FieldError{errs.Field("from", "required", "field.required")}
	case to.IsZero():
		return []errs.FieldError{errs.Field("to", "required", "field.required")}
	case !to.After(from):
		return []errs.FieldError{errs.Field("to", "order", "analytics.field.to_after_from")}
	case to.Sub(from) > MaxFunnelSpan:
		return []errs.FieldError{errs.Field("to", "range", "analytics.field.span", "days", int(MaxFunnelSpan/(24*time.Hour)))}
	}
	return nil
}

// aov is revenue over orders in minor units, rounded half up.
func aov(revenue, orders int64) int64 {
	if orders <= 0 {
		return 0
	}
	return (revenue + orders/2) / orders
}

// ownID copies an id the caller may reuse after Record returns (nil for
// none or the nil UUID).
func ownID(id *uuid.UUID) *uuid.UUID {
	if id == nil || *id == uuid.Nil {
		return nil
	}
	c := *id
	return &c
}

// sessionID keeps s when it looks like the random id it should be (1 to
// MaxSessionID letters, digits and ._:-), else drops it: anything else may
// be a person's identifier, or an attack on the table.
func sessionID(s string) string {
	if len(s) == 0 || len(s) > MaxSessionID {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return ""
		}
	}
	return s
}

// scrubQuery makes a search's words safe to keep: valid UTF-8 (bytes that
// are not are dropped), control characters and line breaks as spaces, no
// word with an @ (an e-mail address), no run of seven or more digits
// across spaces and - + ( ) . / (a phone or card number; Arabic-Indic
// digits count) nor a word of those marks alone, spaces collapsed, at most
// MaxQuery characters. Only the first 8×MaxQuery bytes are read, so a huge
// input costs no more than a long one.
func scrubQuery(q string) string {
	if q == "" {
		return ""
	}
	if len(q) > 8*MaxQuery {
		q = q[:8*MaxQuery]
	}
	rs := make([]rune, 0, len(q))
	for _, r := range q {
		switch {
		case r == utf8.RuneError:
			continue
		case unicode.IsControl(r) || unicode.IsSpace(r):
			r = ' '
		}
		rs = append(rs, r)
	}
	for i := 0; i < len(rs); {
		if !unicode.IsDigit(rs[i]) {
			i++
			continue
		}
		j, last, digits := i, i, 0
		for ; j < len(rs) && (unicode.IsDigit(rs[j]) || strings.ContainsRune(" -+()./", rs[j])); j++ {
			if unicode.IsDigit(rs[j]) {
				digits, last = digits+1, j
			}
		}
		if digits >= 7 {
			for k := i; k <= last; k++ {
				rs[k] = ' '
			}
		}
		i = j
	}
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(string(rs)) {
		if strings.ContainsRune(w, '@') || strings.Trim(w, "-+()./") == "" {
			continue
		}
		wn := utf8.RuneCountInString(w)
		if n > 0 {
			if n+1 >= MaxQuery {
				break
			}
			b.WriteByte(' ')
			n++
		}
		if n+wn > MaxQuery {
			w = string([]rune(w)[:MaxQuery-n])
			wn = MaxQuery - n
		}
		b.WriteString(w)
		n += wn
	}
	return b.String()
}
