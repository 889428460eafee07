package catalog

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/tenants"
)

// Pictures uploaded by staff (the dashboard's media upload): the bytes are
// kept in catalog_images under the id of the product_media row that points
// at them, served by GET /uploads/{tenant}/{id}.{ext} (http.go), so a picture
// uploaded is a picture like any other for the storefront, the API and the
// chat. Only JPEG, PNG and WebP are taken, told by their bytes (never by the
// name or the declared type).

// MaxImageBytes is the largest picture an upload may carry.
const MaxImageBytes = 5 << 20

// imageTypes are the pictures taken, with the extension of their URL.
var imageTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

// ImageType is the content type of data sniffed from its first bytes when
// it is a picture the catalog takes (image/jpeg, image/png, image/webp),
// else "".
func ImageType(data []byte) string {
	ct := http.DetectContentType(data)
	if _, ok := imageTypes[ct]; ok {
		return ct
	}
	return ""
}

// ImageUpload adds an uploaded picture to a product.
type ImageUpload struct {
	Data         []byte
	AltAR, AltEN string
	// BaseURL is where this deployment is reached (scheme://host of the
	// request that uploads); the picture's URL is
	// BaseURL/uploads/<tenant>/<id>.<ext>.
	BaseURL string
}

// Image is an uploaded picture's bytes.
type Image struct {
	ContentType string
	Data        []byte
}

// UploadImage stores an uploaded picture and adds it to the product's
// pictures. Errors: not_found (product), invalid (empty, too large, not a
// JPEG/PNG/WebP, alt texts, too many pictures).
func (s *Service) UploadImage(ctx context.Context, productRef string, in ImageUpload) (*Media, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	fe := checkTexts(text{"alt_ar", in.AltAR, input.SingleLine}, text{"alt_en", in.AltEN, input.SingleLine})
	ct := ImageType(in.Data)
	switch {
	case len(in.Data) == 0:
		fe = append(fe, errs.Field("file", "required", "catalog.field.image_required"))
	case len(in.Data) > MaxImageBytes:
		fe = append(fe, errs.Field("file", "max", "catalog.field.image_too_large", "max", MaxImageBytes>>20))
	case ct == "":
		fe = append(fe, errs.Field("file", "oneof", "catalog.field.image_type"))
	}
	base := strings.TrimRight(in.BaseURL, "/")
	if !s.validURL(base + "/uploads") {
		fe = append(fe, s.urlField("base_url"))
	}
	if len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	var out Media
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx, _ *tenants.Tenant) ([]uuid.UUID, error) {
		p, err := getProduct(ctx, tx, canonicalRef(productRef), true)
		if err != nil {
			return nil, err
		}
		if len(p.Media) >= MaxMedia {
			return nil, errs.Invalid(errs.Field("file", "max", "catalog.field.media_max", "max", MaxMedia))
		}
		row := mediaRowOf(t.ID, p.ID, len(p.Media), MediaInput{AltAR: strings.TrimSpace(in.AltAR), AltEN: strings.TrimSpace(in.AltEN)})
		row.URL = base + "/uploads/" + t.ID.String() + "/" + row.ID.String() + imageTypes[ct]
		if err := insertMedia(ctx, tx, &row); err != nil {
			return nil, err
		}
		if err := insertImage(ctx, tx, t.ID, row.ID, ct, in.Data); err != nil {
			return nil, err
		}
		out = toMedia(row)
		return []uuid.UUID{p.ID}, s.record(ctx, tx, t, "media.upload", "product:"+p.ID.String(),
			map[string]any{"media_id": row.ID, "content_type": ct, "bytes": len(in.Data)})
	})
	return &out, err
}

// Image returns an uploaded picture of the active tenant tenantID (the
// public route names its tenant in the path). Errors: not_found.
func (s *Service) Image(ctx context.Context, tenantID, id uuid.UUID) (*Image, error) {
	t, err := s.tenants.Get(ctx, tenantID.String())
	if err != nil || t.Status != tenants.StatusActive {
		return nil, errs.New(errs.CodeNotFound, "catalog.media.not_found")
	}
	var img *Image
	err = s.scope.InTenantTx(tenants.WithTenant(ctx, t), func(ctx context.Context, tx bun.Tx) error {
		var err error
		img, err = getImage(ctx, tx, id)
		return err
	})
	return img, err
}

// record appends an audit entry of a staff change in tx, the change's own
// transaction (the entry commits exactly when the change does), with the
// actor of ctx.
func (s *Service) record(ctx context.Context, tx bun.IDB, t *tenants.Tenant, action, target string, after any) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: s.actor(ctx).String(), Action: action,
		Target: target, After: after})
}
