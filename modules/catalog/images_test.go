package catalog_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/audit"
	"concierge/modules/catalog"
	"concierge/modules/identity"
)

// pngBytes is a small real PNG.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestUploadedImages: a picture uploaded by staff is told by its bytes
// (JPEG, PNG, WebP only), stored, listed with the product's pictures under
// its public URL, served back to anyone naming its tenant, gone with its
// picture; another tenant's id finds nothing. Every staff change is in the
// tenant's audit log with its actor.
func TestUploadedImages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := identity.WithActor(f.ctx, identity.UserActor("owner@shop.test"))
	p, err := f.svc.CreateProduct(ctx, catalog.ProductInput{TitleAR: "مبخرة", TitleEN: "Burner", Variants: []catalog.VariantInput{{SKU: "BRN-1", Price: 5000}}})
	if err != nil {
		t.Fatal(err)
	}
	pic := pngBytes(t)
	for _, tc := range []struct {
		name  string
		in    catalog.ImageUpload
		field string
		code  string
	}{
		{"empty", catalog.ImageUpload{BaseURL: "https://shop.example.sa"}, "file", "required"},
		{"html named png", catalog.ImageUpload{Data: []byte("<html><script>alert(1)</script></html>"), BaseURL: "https://shop.example.sa"}, "file", "oneof"},
		{"svg", catalog.ImageUpload{Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), BaseURL: "https://shop.example.sa"}, "file", "oneof"},
		{"too large", catalog.ImageUpload{Data: append(append([]byte{}, pic...), make([]byte, catalog.MaxImageBytes)...), BaseURL: "https://shop.example.sa"}, "file", "max"},
		{"odd base", catalog.ImageUpload{Data: pic, BaseURL: "javascript:alert(1)"}, "base_url", "weburl"},
		{"nul alt", catalog.ImageUpload{Data: pic, AltEN: "a\x00b", BaseURL: "https://shop.example.sa"}, "alt_en", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.UploadImage(ctx, p.ID.String(), tc.in)
			got := fields(err)
			if _, ok := got[tc.field]; !ok || (tc.code != "" && got[tc.field] != tc.code) || errs.CodeOf(err) != errs.CodeInvalid {
				t.Fatalf("%v: fields %v", err, got)
			}
		})
	}
	if _, err := f.svc.UploadImage(ctx, uuid.NewString(), catalog.ImageUpload{Data: pic, BaseURL: "https://shop.example.sa"}); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("upload to no product: %v", err)
	}

	m, err := f.svc.UploadImage(ctx, p.ID.String(), catalog.ImageUpload{Data: pic, AltAR: "صورة", AltEN: "Picture", BaseURL: "https://shop.example.sa/"})
	if err != nil {
		t.Fatal(err)
	}
	want := "https://shop.example.sa/uploads/" + f.tenant.ID.String() + "/" + m.ID.String() + ".png"
	if m.URL != want {
		t.Fatalf("picture URL %q, want %q", m.URL, want)
	}
	got, err := f.svc.StaffProduct(ctx, p.ID.String())
	if err != nil || len(got.Media) != 1 || got.Media[0].URL != want || got.Media[0].AltAR != "صورة" {
		t.Fatalf("the product's pictures: %+v %v", got, err)
	}
	img, err := f.svc.Image(context.Background(), f.tenant.ID, m.ID)
	if err != nil || img.ContentType != "image/png" || !bytes.Equal(img.Data, pic) {
		t.Fatalf("served back: %+v %v", img, err)
	}
	// Another tenant's id names nothing, whatever picture id is asked.
	other := f.other(t)
	if _, err := f.svc.Image(context.Background(), other.tenant.ID, m.ID); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("the picture under another tenant: %v", err)
	}
	if _, err := other.svc.UploadImage(other.ctx, p.ID.String(), catalog.ImageUpload{Data: pic, BaseURL: "https://x.example"}); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("another tenant uploads to the product: %v", err)
	}
	if err := other.svc.DeleteMedia(other.ctx, p.ID.String(), m.ID); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("another tenant deletes the picture: %v", err)
	}
	// Deleting the picture deletes its bytes.
	if err := f.svc.DeleteMedia(ctx, p.ID.String(), m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Image(context.Background(), f.tenant.ID, m.ID); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("a deleted picture is still served: %v", err)
	}

	// The audit log: each change with its actor.
	var entries []audit.Entry
	err = f.env.Scope.InTenantTx(f.ctx, func(ctx context.Context, tx bun.Tx) error {
		entries, err = audit.List(ctx, tx, 50)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Action, "product.") && !strings.HasPrefix(e.Action, "media.") {
			continue // onboarding's
		}
		if e.Actor != "user:owner@shop.test" {
			t.Fatalf("entry %s by %q", e.Action, e.Actor)
		}
		seen[e.Action] = true
	}
	for _, a := range []string{"product.create", "media.upload", "media.delete"} {
		if !seen[a] {
			t.Fatalf("%s is not audited: %v", a, seen)
		}
	}
}
