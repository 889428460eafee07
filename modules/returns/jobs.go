package returns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/jobs"
	"concierge/modules/orders"
	"concierge/modules/whatsapp/dialog"
	"concierge/tenants"
)

// Workers registers returns' jobs: returns.refund (refund an approved
// return through its order's payment provider, then record the outcome and
// tell the customer) and returns.fetch_media (download a photo the
// customer sent and keep it, or reject it with a reason and tell them).
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &RefundWorker{Service: s}),
		jobs.AddWorker(j, &FetchMediaWorker{Service: s}),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// RefundArgs refunds an approved return.
type RefundArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	ReturnID uuid.UUID `json:"return_id"`
}

// Kind names the job.
func (RefundArgs) Kind() string { return "returns.refund" }

// Tenant is the job's tenant (jobs.TenantJob).
func (a RefundArgs) Tenant() uuid.UUID { return a.TenantID }

// refundAttempts bounds the refund's attempts while the provider is
// unreachable; the last one records the refund failed.
const refundAttempts = 8

// InsertOpts: retried with backoff while the provider is unreachable.
func (RefundArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: refundAttempts} }

// RefundWorker runs RefundArgs.
type RefundWorker struct {
	river.WorkerDefaults[RefundArgs]
	Service *Service
}

// Work refunds the return (nothing when it is no longer pending).
func (w *RefundWorker) Work(ctx context.Context, j *river.Job[RefundArgs]) error {
	ctx, err := w.Service.withTenant(ctx)
	if err != nil {
		return err
	}
	return w.Service.Refund(ctx, j.Args.ReturnID, j.Attempt >= j.MaxAttempts)
}

// Timeout bounds one attempt (a provider call).
func (w *RefundWorker) Timeout(*river.Job[RefundArgs]) time.Duration { return time.Minute }

// FetchMediaArgs downloads a photo of a return.
type FetchMediaArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	MediaID  uuid.UUID `json:"media_id"` // the return_media row
}

// Kind names the job.
func (FetchMediaArgs) Kind() string { return "returns.fetch_media" }

// Tenant is the job's tenant (jobs.TenantJob).
func (a FetchMediaArgs) Tenant() uuid.UUID { return a.TenantID }

// fetchAttempts bounds a photo's download attempts; the last one rejects it.
const fetchAttempts = 6

// InsertOpts: retried with backoff while WhatsApp is unreachable.
func (FetchMediaArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: fetchAttempts}
}

// FetchMediaWorker runs FetchMediaArgs.
type FetchMediaWorker struct {
	river.WorkerDefaults[FetchMediaArgs]
	Service *Service
}

// Work fetches the photo (nothing when it is no longer pending).
func (w *FetchMediaWorker) Work(ctx context.Context, j *river.Job[FetchMediaArgs]) error {
	ctx, err := w.Service.withTenant(ctx)
	if err != nil {
		return err
	}
	return w.Service.FetchMedia(ctx, j.Args.MediaID, j.Attempt >= j.MaxAttempts)
}

// Timeout bounds one attempt (two Graph API calls).
func (w *FetchMediaWorker) Timeout(*river.Job[FetchMediaArgs]) time.Duration { return 2 * time.Minute }

// Refund is the returns.refund job's work: it refunds a return whose
// refund is pending through Refunds, outside any transaction, then records
// the outcome — done, manual (cash on delivery: staff hand the cash back)
// or failed (the provider refused, or it stayed unreachable until the last
// attempt) — with the timeline and, when the money is on its way, the
// customer's notification. A transient failure before the last attempt is
// returned (the job retries). A return no longer pending is left alone.
func (s *Service) Refund(ctx context.Context, returnID uuid.UUID, last bool) error {
	var r *Return
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		r, err = getReturn(ctx, tx, returnID, false)
		return err
	})
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil || r.RefundStatus != RefundPending {
		return err
	}
	actor := r.DecidedBy
	if actor == "" {
		actor = "system:returns"
	}
	manual, rerr := false, errors.New("returns: no refund provider is configured")
	if s.refunds != nil {
		manual, rerr = s.refunds.Refund(ctx, r.OrderID, r.RefundAmount, "return:"+r.ID.String(), actor, r.RMA())
	}
	if rerr != nil && !permanent(rerr) && !last && s.refunds != nil {
		s.log.WarnContext(ctx, "return refund failed, will retry", "return_id", r.ID, "error", rerr)
		return rerr
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, r, err := s.lock(ctx, tx, returnID)
		if err != nil || r.RefundStatus != RefundPending {
			return err
		}
		now := s.now().UTC()
		r.UpdatedAt = now
		if rerr != nil {
			s.log.ErrorContext(ctx, "return refund failed", "return_id", r.ID, "error", rerr)
			r.RefundStatus, r.RefundError = RefundFailed, clip(refundError(rerr), 500)
			if err := updateReturn(ctx, tx, toReturnRow(t.ID, r)); err != nil {
				return err
			}
			return s.event(ctx, tx, o, r, "refund_failed", "system:returns", r.RefundError, nil)
		}
		r.RefundStatus, r.RefundedAt = RefundDone, &now
		text := "returns.notify.refunded"
		if manual {
			r.RefundStatus, text = RefundManual, "returns.notify.refunded_manual"
		}
		switch r.Status {
		case StatusApproved:
			r.Status = StatusRefunded
		case StatusReceived:
			r.Status = StatusClosed
		}
		if err := updateReturn(ctx, tx, toReturnRow(t.ID, r)); err != nil {
			return err
		}
		amount := strconv.FormatInt(r.RefundAmount, 10)
		if err := s.event(ctx, tx, o, r, "refund_"+r.RefundStatus, actor, "", map[string]string{"amount": amount}); err != nil {
			return err
		}
		amountText := s.money(r.RefundAmount, r.Currency, o.Locale)
		return s.notify(ctx, tx, o, r, "refunded", text, []string{"{amount}", amountText}, "return_refunded", []string{r.RMA(), amountText})
	})
}

// permanent reports whether a refund's failure will not go away by itself.
func permanent(err error) bool {
	switch errs.CodeOf(err) {
	case errs.CodeInvalid, errs.CodeConflict, errs.CodeNotFound, errs.CodeForbidden:
		return true
	}
	return false
}

// refundError is what staff read of a failed refund: the error's message
// id (checkout.refund.nothing_captured, ...), never a provider's details.
func refundError(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && len(e.Fields) > 0 && e.Fields[0].Msg.ID != "" {
		return e.Fields[0].Msg.ID // the amount over what is left, say
	}
	if errors.As(err, &e) && e.Msg.ID != "" {
		return e.Msg.ID
	}
	if permanent(err) {
		return string(errs.CodeOf(err))
	}
	return "unavailable"
}

// Media rejection reasons (Media.Reason).
const (
	MediaTooLarge = "too_large"
	MediaBadType  = "type"
	MediaDownload = "download"
)

// FetchMedia is the returns.fetch_media job's work: it downloads a pending
// photo through Media, outside any transaction, and keeps it (an allowed
// image type, by what WhatsApp declares and by its first bytes, within
// MaxMediaBytes) or rejects it with the reason — too large, not an allowed
// type, or not downloadable by the last attempt — and tells the customer.
// A transient failure before the last attempt is returned (the job
// retries).
func (s *Service) FetchMedia(ctx context.Context, mediaRowID uuid.UUID, last bool) error {
	var m *mediaRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		m, err = getMedia(ctx, tx, mediaRowID, false)
		return err
	})
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil || m.Status != MediaPending || s.media == nil {
		return err
	}
	data, mime, derr := s.media.DownloadMedia(ctx, m.MediaID, s.cfg.MaxMediaBytes)
	reason := ""
	switch {
	case derr == nil:
		mime = normalizeMime(mime)
		sniffed := normalizeMime(http.DetectContentType(data))
		switch {
		case int64(len(data)) > s.cfg.MaxMediaBytes:
			reason = MediaTooLarge
		case !s.MediaAllowed(mime) || sniffed != mime:
			reason = MediaBadType
		}
	case errs.CodeOf(derr) == errs.CodeTooLarge:
		reason = MediaTooLarge
	case errs.CodeOf(derr) == errs.CodeInvalid:
		reason = MediaBadType
	case !last:
		return derr
	default:
		s.log.WarnContext(ctx, "return photo could not be downloaded", "media_id", m.ID, "error", derr)
		reason = MediaDownload
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var r *Return
		var o *orders.Order
		if m.ReturnID != nil {
			var err error
			if o, r, err = s.lock(ctx, tx, *m.ReturnID); err != nil {
				return err
			}
		}
		cur, err := getMedia(ctx, tx, mediaRowID, true)
		if err != nil || cur.Status != MediaPending {
			return err
		}
		now := s.now().UTC()
		if reason == "" {
			sum := sha256.Sum256(data)
			if err := storeMedia(ctx, tx, cur.ID, data, mime, hex.EncodeToString(sum[:]), now); err != nil {
				return err
			}
			if r == nil {
				return nil
			}
			return insertEvent(ctx, tx, &eventRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), ReturnID: r.ID, Kind: "media_stored",
				Actor: "system:returns", Data: map[string]string{"media_id": cur.ID.String(), "bytes": strconv.Itoa(len(data))}, At: now})
		}
		if err := rejectMedia(ctx, tx, cur.ID, reason, now); err != nil {
			return err
		}
		if r == nil {
			return nil
		}
		if err := insertEvent(ctx, tx, &eventRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), ReturnID: r.ID, Kind: "media_rejected",
			Actor: "system:returns", Note: reason, Data: map[string]string{"media_id": cur.ID.String()}, At: now}); err != nil {
			return err
		}
		return s.notify(ctx, tx, o, r, "media:"+cur.ID.String(), "returns.notify.media_"+reason,
			[]string{"{max}", megabytes(s.cfg.MaxMediaBytes, o.Locale), "{types}", s.typeNames(o.Locale)}, "return_photo_rejected", []string{r.RMA()})
	})
}

// megabytes writes a size in MiB in locale's digits: "5".
func megabytes(n int64, locale string) string {
	return dialog.Digits(strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64), locale)
}

// typeNames are the kept photo types for people: "JPEG, PNG, WEBP"
// ("JPEG، PNG، WEBP" in Arabic).
func (s *Service) typeNames(locale string) string {
	var out []string
	for _, t := range s.cfg.MediaTypes {
		_, sub, _ := strings.Cut(t, "/")
		out = append(out, strings.ToUpper(sub))
	}
	if locale == dialog.LocaleAR {
		return strings.Join(out, "، ")
	}
	return strings.Join(out, ", ")
}

// withTenant replaces the id-only tenant of a job's context with the whole
// tenant (the notifications' texts name the store).
func (s *Service) withTenant(ctx context.Context) (context.Context, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return ctx, err
	}
	if t.Slug != "" || s.tenants == nil {
		return ctx, nil
	}
	full, err := s.tenants.Get(ctx, t.ID.String())
	if err != nil {
		return ctx, fmt.Errorf("returns: tenant %s: %w", t.ID, err)
	}
	return tenants.WithTenant(ctx, full), nil
}
