// Package returns is returns / RMA: a customer asks to send back items of a
// delivered order within the store's window (in WhatsApp, as the customer
// the chat proves; on the storefront with the order-lookup proof, order
// number and phone), or staff record it for them; staff approve or reject;
// an approval refunds through checkout's payment providers (a job, outside
// any transaction); the parcel's arrival puts the items back in stock and,
// when everything of the order came back, marks the order returned.
// docs/returns.md.
//
// Lifecycle (Return.Status):
//
//	requested ──approve──▶ approved ──refund settled──▶ refunded ──received──▶ closed
//	    │                      └────────received────────▶ received ──refund settled──▶ closed
//	    └──reject (note required)──▶ rejected (final)
//
// The money has its own state (Return.RefundStatus): none (nothing to
// refund: an approval with refund amount 0, closed on receipt), pending (the
// returns.refund job is queued), done (the provider refunded), manual (cash
// on delivery: staff hand the cash back), failed (the provider refused;
// approving again retries).
//
// Every change happens in one tenant transaction with its timeline event,
// the order's timeline event, the SLA timer (return_decision) and the
// customer's notification; outbound calls (the refund, the photo's
// download) are jobs queued in that transaction.
package returns

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/jobs"
	"concierge/modules/catalog"
	"concierge/modules/orders"
	"concierge/tenants"
)

// Statuses of a return.
const (
	StatusRequested = "requested"
	StatusApproved  = "approved"
	StatusRejected  = "rejected"
	StatusReceived  = "received"
	StatusRefunded  = "refunded"
	StatusClosed    = "closed"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []string{StatusRequested, StatusApproved, StatusRejected, StatusReceived, StatusRefunded, StatusClosed}

// Refund states of a return.
const (
	RefundNone    = "none"
	RefundPending = "pending"
	RefundDone    = "done"
	RefundManual  = "manual"
	RefundFailed  = "failed"
)

// Channels a return is asked through.
const (
	ChannelWhatsApp = "whatsapp"
	ChannelWeb      = "web"
	ChannelStaff    = "staff"
)

// Reasons a customer gives.
const (
	ReasonWrongSize      = "wrong_size"
	ReasonDamaged        = "damaged"
	ReasonNotAsDescribed = "not_as_described"
	ReasonChangedMind    = "changed_mind"
	ReasonOther          = "other"
)

// Reasons lists every reason, in the order customers are offered them.
var Reasons = []string{ReasonWrongSize, ReasonDamaged, ReasonNotAsDescribed, ReasonChangedMind, ReasonOther}

// Media statuses.
const (
	MediaPending  = "pending"
	MediaStored   = "stored"
	MediaRejected = "rejected"
)

// Limits of a request.
const (
	MaxReasonText = 500  // runes of the reason's text
	MaxNote       = 1000 // runes of a decision's or staff's note
	MaxMedia      = 3    // photos per return
	MaxLines      = 50   // lines per return
	MaxQuantity   = 999  // of one line
	// DefaultWindowDays is the window of a store that never set one.
	DefaultWindowDays = 7
	// MaxWindowDays bounds the window.
	MaxWindowDays = 365
)

// Return is one return request.
type Return struct {
	ID           uuid.UUID
	Number       int64 // RMA-<Number>
	OrderID      uuid.UUID
	OrderNumber  int64
	CustomerID   *uuid.UUID
	Channel      string
	Status       string
	Reason       string
	ReasonText   string
	Currency     string
	RefundAmount int64 // minor units, VAT included as the order's prices are
	RefundStatus string
	RefundError  string // why the refund failed (for staff)
	RefundedAt   *time.Time
	DecisionNote string
	DecidedBy    string
	DecidedAt    *time.Time
	ReceivedAt   *time.Time
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Lines        []Line
}

// RMA is the return's number as people read it: "RMA-1001".
func (r Return) RMA() string { return RMA(r.Number) }

// RMA writes a return number as people read it.
func RMA(n int64) string { return "RMA-" + strconv.FormatInt(n, 10) }

// Total is the lines' value: unit prices times quantities.
func (r Return) Total() int64 {
	var sum int64
	for _, l := range r.Lines {
		sum += l.Total()
	}
	return sum
}

// decided reports whether staff decided the return.
func (r Return) decided() bool { return r.Status != StatusRequested }

// approved reports whether the return was approved (whatever happened since).
func (r Return) approved() bool { return r.decided() && r.Status != StatusRejected }

// Line is an item coming back.
type Line struct {
	Position  int
	VariantID uuid.UUID
	SKU       string
	TitleAR   string
	TitleEN   string
	Quantity  int
	UnitPrice int64
}

// Total is the line's price times its quantity.
func (l Line) Total() int64 { return l.UnitPrice * int64(l.Quantity) }

// Media is a photo of a return, without its bytes.
type Media struct {
	ID        uuid.UUID
	ReturnID  *uuid.UUID
	MediaID   string // the WhatsApp media id
	MimeType  string
	SizeBytes *int64
	SHA256    string
	Status    string
	Reason    string // why it was rejected: too_large, type, download
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Event is one entry of a return's timeline.
type Event struct {
	ID    uuid.UUID
	Kind  string // requested, approved, rejected, refund_done, refund_manual, refund_failed, received, media_stored, media_rejected
	Actor string
	Note  string
	Data  map[string]string
	At    time.Time
}

// Detail is a return with its photos and timeline.
type Detail struct {
	Return
	Media  []Media
	Events []Event
}

// Settings are a tenant's return rules.
type Settings struct {
	// WindowDays is how many days after delivery a return may be asked
	// (0: the store takes no returns).
	WindowDays int
	UpdatedAt  *time.Time
}

// LineRequest is an item to return: the order line by variant id, or else
// by SKU.
type LineRequest struct {
	VariantID uuid.UUID
	SKU       string
	Quantity  int
}

// MediaRef is a photo the customer sent: the channel's media id and what the
// channel declared of it.
type MediaRef struct {
	ID       string
	MimeType string
	SHA256   string
}

// Request asks for a return.
type Request struct {
	OrderID uuid.UUID
	Channel string // whatsapp, web or staff
	// CustomerID is the WhatsApp customer the chat proves (channel
	// whatsapp): the order must be theirs (or their number's, Phone).
	CustomerID *uuid.UUID
	// Phone is the proven phone number, E.164: the WhatsApp customer's
	// number, or the storefront's proof (with OrderNumber).
	Phone string
	// OrderNumber is the storefront's proof (channel web): with Phone it
	// must name the order, else the order is not found.
	OrderNumber int64
	// Actor is who asks, for the timeline ("customer:<id>", "user:<id>").
	Actor      string
	Lines      []LineRequest
	Reason     string
	ReasonText string
	Note       string // staff's note (channel staff)
	Media      []MediaRef
}

// Decision is staff's answer to a request.
type Decision struct {
	Approve bool
	// Note is shown to the customer; required to reject.
	Note string
	// RefundAmount overrides the refund (default: the returned lines'
	// value, at most what the order has left to refund). 0 approves
	// without a refund.
	RefundAmount *int64
}

// Query filters the staff list.
type Query struct {
	Status string
	Cursor string
	Limit  int
}

// Page is one page of returns, newest first.
type Page struct {
	Items      []Return
	NextCursor string
}

// MaxListPage bounds a page of the staff list.
const MaxListPage = 100

// Errors of this package (messages in internal/i18n/messages/returns.*.toml).
var (
	ErrNotFound      = errs.New(errs.CodeNotFound, "returns.not_found")
	ErrMediaNotFound = errs.New(errs.CodeNotFound, "returns.media.not_found")
	ErrMediaPending  = errs.New(errs.CodeConflict, "returns.media.pending")
)

// Orders is what returns needs of orders (orders.Service).
type Orders interface {
	// GetTx reads an order with its lines (lock: FOR UPDATE). Errors: not_found.
	GetTx(ctx context.Context, tx bun.IDB, id uuid.UUID, lock bool) (*orders.Order, error)
	// EventTx adds a line to the order's timeline.
	EventTx(ctx context.Context, tx bun.Tx, orderID uuid.UUID, ev orders.Event) error
	// MoveTx changes the order's status. Errors: conflict.
	MoveTx(ctx context.Context, tx bun.Tx, o *orders.Order, to string, ev orders.Event) error
	// ForContactTx reads a WhatsApp customer's newest placed orders, with
	// those placed on the web with their phone (E.164), without lines.
	ForContactTx(ctx context.Context, tx bun.IDB, customerID uuid.UUID, phone string, limit int) ([]orders.Order, error)
}

// Refunds refunds an order's payment (checkout.Service.Refund, adapted in
// the composition root). manual is true when the money goes back by hand
// (cash on delivery). It is called outside any transaction. Errors:
// invalid, conflict, not_found (permanent: the refund is marked failed),
// anything else (retried by the job).
type Refunds interface {
	// Refund returns amount of the order's payment under key (the
	// provider's idempotency key: a retry after a refund that went through
	// refunds nothing more); manual is true for cash handed back.
	Refund(ctx context.Context, orderID uuid.UUID, amount int64, key, actor, reason string) (manual bool, err error)
}

// Stock puts returned items back (catalog.Service).
type Stock interface {
	ReleaseStock(ctx context.Context, tx bun.IDB, lines []catalog.StockLine) (bool, error)
	StockChanged(ctx context.Context)
}

// Timers measures how long returns wait for a decision (sla.Service), kind
// "return_decision".
type Timers interface {
	StartTx(ctx context.Context, tx bun.Tx, kind string, subject uuid.UUID) error
	StopTx(ctx context.Context, tx bun.Tx, kind string, subject uuid.UUID) error
}

// TimerKind is the SLA timer a request starts and a decision stops.
const TimerKind = "return_decision"

// Downloader fetches a customer's media from the channel
// (whatsapp.MediaClient). Errors: too_large (bigger than maxBytes, declared
// or read), invalid (a type the channel refuses), anything else (retried).
type Downloader interface {
	DownloadMedia(ctx context.Context, mediaID string, maxBytes int64) (data []byte, mimeType string, err error)
}

// Auditor records settings changes (the audit log).
type Auditor interface {
	Record(ctx context.Context, tx bun.IDB, e tenants.AuditEntry) error
}

// Tenants reads a tenant whole (jobs carry only its id).
type Tenants interface {
	Get(ctx context.Context, idOrSlug string) (*tenants.Tenant, error)
}

// Config tunes returns.
type Config struct {
	// MaxMediaBytes bounds a photo (RETURNS_MAX_MEDIA_BYTES; default 5 MiB).
	MaxMediaBytes int64
	// MediaTypes are the photo types kept (default image/jpeg, image/png,
	// image/webp).
	MediaTypes []string
}

// DefaultMaxMediaBytes is Config.MaxMediaBytes' default.
const DefaultMaxMediaBytes = 5 << 20

// DefaultMediaTypes is Config.MediaTypes' default.
var DefaultMediaTypes = []string{"image/jpeg", "image/png", "image/webp"}

// Deps are what returns needs.
type Deps struct {
	Scope   *tenants.Scope
	Tenants Tenants // nil: jobs' notifications see the tenant id only
	Jobs    *jobs.Jobs
	Orders  Orders
	Refunds Refunds
	Stock   Stock
	// Notifier tells customers (nil: nobody is told).
	Notifier orders.Notifier
	// Timers measure the wait for a decision (nil: not measured).
	Timers Timers
	// Media downloads the customers' photos (nil: photos stay pending).
	Media Downloader
	Audit Auditor
	// Actor names who acts in a staff request ("user:<id>"; nil: "staff").
	Actor func(ctx context.Context) string
	Log   *slog.Logger
	Now   func() time.Time
}

// Service is returns.
type Service struct {
	cfg      Config
	scope    *tenants.Scope
	tenants  Tenants
	jobs     *jobs.Jobs
	orders   Orders
	refunds  Refunds
	stock    Stock
	notifier orders.Notifier
	timers   Timers
	media    Downloader
	audit    Auditor
	actor    func(ctx context.Context) string
	log      *slog.Logger
	now      func() time.Time
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	if cfg.MaxMediaBytes <= 0 {
		cfg.MaxMediaBytes = DefaultMaxMediaBytes
	}
	if len(cfg.MediaTypes) == 0 {
		cfg.MediaTypes = slices.Clone(DefaultMediaTypes)
	}
	s := &Service{cfg: cfg, scope: d.Scope, tenants: d.Tenants, jobs: d.Jobs, orders: d.Orders, refunds: d.Refunds, stock: d.Stock,
		notifier: d.Notifier, timers: d.Timers, media: d.Media, audit: d.Audit, actor: d.Actor, log: d.Log, now: d.Now}
	if s.actor == nil {
		s.actor = func(context.Context) string { return "staff" }
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// SetMedia names the photos' downloader (the WhatsApp channel, built
// after returns' flows: composition root only, before serving).
func (s *Service) SetMedia(m Downloader) { s.media = m }

// MediaAllowed reports whether a photo of mimeType is kept.
func (s *Service) MediaAllowed(mimeType string) bool {
	return slices.Contains(s.cfg.MediaTypes, normalizeMime(mimeType))
}
