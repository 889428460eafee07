package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"concierge/modules/catalog"
	"concierge/modules/catalog/feed"
	"concierge/tenants"
)

// The dashboard's catalog pages over HTTP, as a browser without JavaScript
// uses them: the products list with search and filters, a product's form
// with its variants and pictures (a real multipart upload, told by its
// bytes, served back), the category tree and the feed sources with a run's
// report; roles (the forms only for catalog:write), CSRF, field errors and
// isolation between tenants.

// catalogShop onboards slug with an owner and returns its tenant context.
func catalogShop(t *testing.T, ta *testApp, slug string) context.Context {
	t.Helper()
	tn := ta.tenant(slug)
	ta.user("owner@"+slug+".test", false, slug, "owner")
	full, err := ta.app.deps.tenants.Get(context.Background(), tn.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	return tenants.WithTenant(context.Background(), full)
}

// aProduct creates a product with one variant through the service.
func aProduct(t *testing.T, ta *testApp, ctx context.Context, en, ar, sku string, price int64, stock int) *catalog.Product {
	t.Helper()
	p, err := ta.app.catalog.CreateProduct(ctx, catalog.ProductInput{TitleEN: en, TitleAR: ar,
		Variants: []catalog.VariantInput{{SKU: sku, Price: price, Stock: &stock}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testPNG is a small real PNG.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		img.Set(x, x, color.RGBA{G: 120, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a multipart form (fields and, when name is set, a file).
func (s *shopper) upload(path string, fields map[string]string, name string, file []byte) page {
	s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if name != "" {
		fw, _ := w.CreateFormFile("file", name)
		_, _ = fw.Write(file)
	}
	_ = w.Close()
	req, err := http.NewRequest("POST", s.ta.base+path, &body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Host = s.host
	req.Header.Set("Content-Type", w.FormDataContentType())
	for _, c := range s.cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(raw)}
}

// staffProduct reads a product as the store's staff see it.
func staffProduct(t *testing.T, ta *testApp, ctx context.Context, id string) *catalog.Product {
	t.Helper()
	p, err := ta.app.catalog.StaffProduct(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var createdAt = regexp.MustCompile(`^/admin/products/([0-9a-f-]{36})\?done=created$`)

func TestAdminCatalogProducts(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	ctxA := catalogShop(t, ta, "cata")
	ctxB := catalogShop(t, ta, "catb")
	hostA := "cata.example.sa"
	ta.user("agent@cata.test", false, "cata", "agent")
	ta.user("viewer@cata.test", false, "cata", "viewer")
	ownerToken := ta.user("auditor@cata.test", false, "cata", "owner")
	ta.user("stranger@catb.test", false, "catb", "owner")
	oud := aProduct(t, ta, ctxA, "Cambodian Oud Oil", "دهن عود كمبودي", "OUD-1", 45000, 3)
	musk := aProduct(t, ta, ctxA, "White Musk", "مسك أبيض", "MSK-1", 9900, 0)
	theirs := aProduct(t, ta, ctxB, "Their Oud", "عودهم", "B-OUD", 100, 1)
	perfumes, err := ta.app.catalog.CreateCategory(ctxA, catalog.CategoryInput{NameAR: "عطور", NameEN: "Perfumes"})
	if err != nil {
		t.Fatal(err)
	}
	theirCat, err := ta.app.catalog.CreateCategory(ctxB, catalog.CategoryInput{NameAR: "لهم", NameEN: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}

	owner := newShopper(t, ta, hostA)
	csrf := adminLogin(t, owner, "owner@cata.test")
	if home := owner.send("GET", "/admin", nil, nil); !strings.Contains(home.body, `href="/admin/products"`) {
		t.Fatal("the owner's navigation lacks the products link")
	}

	// The list: every active product, its price in the store's money and
	// stock; search (Arabic forms normalised), filters, a bad cursor.
	list := owner.send("GET", "/admin/products", nil, nil)
	if list.status != 200 || !strings.Contains(list.body, `id="product-`+oud.ID.String()+`"`) || !strings.Contains(list.body, "دهن عود كمبودي") ||
		!strings.Contains(list.body, "٤٥٠٫٠٠") || strings.Contains(list.body, theirs.ID.String()) {
		t.Fatalf("products list: %d %.600s", list.status, list.body)
	}
	if r := owner.send("GET", "/admin/products?q="+url.QueryEscape("عود"), nil, nil); !strings.Contains(r.body, oud.ID.String()) || strings.Contains(r.body, musk.ID.String()) {
		t.Fatal("search does not select the oud")
	}
	if r := owner.send("GET", "/admin/products?stock=in", nil, nil); !strings.Contains(r.body, oud.ID.String()) || strings.Contains(r.body, musk.ID.String()) {
		t.Fatal("the in-stock filter keeps a sold-out product")
	}
	if r := owner.send("GET", "/admin/products?status=archived", nil, nil); !strings.Contains(r.body, `id="no-products"`) {
		t.Fatal("archived filter lists active products")
	}
	for _, p := range []string{"/admin/products?cursor=nope", "/admin/products?category=" + theirCat.ID.String(), "/admin/products?status=%FF%FE",
		"/admin/products?q=" + strings.Repeat("ع", 5000), "/admin/products/%00", "/admin/products/not-a-uuid"} {
		if r := owner.send("GET", p, nil, nil); r.status >= 500 || (strings.HasPrefix(p, "/admin/products/") && r.status < 400) {
			t.Fatalf("%.80s: %d", p, r.status)
		}
	}

	// Create: field errors next to their fields with what was typed, then
	// a product with its first variant (price typed as decimals).
	if r := owner.send("GET", "/admin/products/new", nil, nil); r.status != 200 || !strings.Contains(r.body, `id="title_ar" name="title_ar" type="text" value="" maxlength="300" dir="rtl"`) {
		t.Fatalf("new product form: %d", r.status)
	}
	form := url.Values{"csrf_token": {csrf}, "title_ar": {""}, "title_en": {""}, "status": {"active"}, "sku": {"BRN-77"}, "price": {"twelve"},
		"stock": {"-1"}, "category": {perfumes.ID.String()}}
	bad := owner.send("POST", "/admin/products", form, nil)
	if bad.status != 422 || !strings.Contains(bad.body, `id="title_ar-err"`) || !strings.Contains(bad.body, `id="price-err"`) ||
		!strings.Contains(bad.body, `id="stock-err"`) || !strings.Contains(bad.body, `value="BRN-77"`) {
		t.Fatalf("bad product: %d %.600s", bad.status, bad.body)
	}
	for _, hostile := range []url.Values{
		{"title_en": {"x"}, "price": {"99999999999999999999"}, "sku": {"H-1"}, "status": {"active"}},
		{"title_en": {"x"}, "price": {"1"}, "sku": {"H-2"}, "status": {"active"}, "category": {"javascript:alert(1)"}},
		{"title_en": {"x"}, "price": {"1 USD"}, "sku": {"H-3"}, "status": {"active"}},
		{"title_en": {"x"}, "price": {"1"}, "sku": {"H-4"}, "status": {"gone"}},
		{"title_en": {"x\x00y"}, "price": {"1"}, "sku": {"H-5"}, "status": {"active"}},
		{"title_en": {"x"}, "price": {"1"}, "sku": {"H-6"}, "status": {"active"}, "category": {theirCat.ID.String()}},
	} {
		hostile.Set("csrf_token", csrf)
		if r := owner.send("POST", "/admin/products", hostile, nil); r.status != 422 {
			t.Fatalf("hostile %v: %d", hostile, r.status)
		}
	}
	if r := owner.send("POST", "/admin/products", url.Values{"title_en": {"No token"}, "price": {"1"}, "sku": {"NT-1"}, "status": {"active"}}, nil); r.status != 403 {
		t.Fatalf("create without the token: %d", r.status)
	}
	if n, _ := ta.app.catalog.StaffList(ctxA, catalog.Query{}); len(n.Items) != 2 {
		t.Fatalf("refused forms wrote products: %d", len(n.Items))
	}
	form.Set("title_ar", "مبخرة خشب")
	form.Set("title_en", "Wooden burner")
	form.Set("price", "12.50")
	form.Set("stock", "٧")
	created := owner.send("POST", "/admin/products", form, nil)
	m := createdAt.FindStringSubmatch(created.header.Get("Location"))
	if created.status != 303 || m == nil {
		t.Fatalf("create: %d %q %.400s", created.status, created.header.Get("Location"), created.body)
	}
	id := m[1]
	p := staffProduct(t, ta, ctxA, id)
	if p.TitleAR != "مبخرة خشب" || len(p.Variants) != 1 || p.Variants[0].Price != 1250 || p.Variants[0].Stock == nil || *p.Variants[0].Stock != 7 ||
		len(p.Categories) != 1 || p.Categories[0].ID != perfumes.ID {
		t.Fatalf("created product: %+v", p)
	}
	page := owner.send("GET", "/admin/products/"+id+"?done=created", nil, nil)
	if page.status != 200 || !strings.Contains(page.body, `role="status"`) || !strings.Contains(page.body, `value="12.50"`) ||
		!strings.Contains(page.body, `name="description_ar" rows="5" lang="ar" dir="rtl"`) {
		t.Fatalf("product page: %d %.600s", page.status, page.body)
	}

	// Edit the product; add, edit and archive variants.
	edit := url.Values{"csrf_token": {csrf}, "title_ar": {"مبخرة بلوط"}, "title_en": {"Oak burner"}, "description_en": {"Hand made."},
		"status": {"draft"}}
	if r := owner.send("POST", "/admin/products/"+id, edit, nil); r.status != 303 {
		t.Fatalf("save: %d %.300s", r.status, r.body)
	}
	if p := staffProduct(t, ta, ctxA, id); p.TitleEN != "Oak burner" || p.Status != "draft" || len(p.Categories) != 0 || p.DescriptionEN != "Hand made." {
		t.Fatalf("after save: %+v", p)
	}
	add := url.Values{"csrf_token": {csrf}, "sku": {"BRN-78"}, "price": {"15"}, "stock": {""}, "options": {"Size: L; Wood: Oak"},
		"options_ar": {"المقاس: كبير; الخشب: بلوط"}}
	if r := owner.send("POST", "/admin/products/"+id+"/variants", add, nil); r.status != 303 {
		t.Fatalf("add variant: %d %.300s", r.status, r.body)
	}
	p = staffProduct(t, ta, ctxA, id)
	if len(p.Variants) != 2 || p.Variants[1].Stock != nil || len(p.Variants[1].Options) != 2 || p.Variants[1].Options[0].ValueAR != "كبير" {
		t.Fatalf("added variant: %+v", p.Variants)
	}
	add.Set("sku", "BRN-77") // taken
	if r := owner.send("POST", "/admin/products/"+id+"/variants", add, nil); r.status != 422 || !strings.Contains(r.body, `id="nv-sku-err"`) {
		t.Fatalf("a taken SKU: %d", r.status)
	}
	add.Set("sku", "BRN-79")
	add.Set("options_ar", "المقاس: كبير")
	if r := owner.send("POST", "/admin/products/"+id+"/variants", add, nil); r.status != 422 || !strings.Contains(r.body, `id="nv-options_ar-err"`) {
		t.Fatalf("options that do not pair: %d", r.status)
	}
	first := p.Variants[0].ID.String()
	vpath := "/admin/products/" + id + "/variants/" + first
	if r := owner.send("POST", vpath, url.Values{"csrf_token": {csrf}, "sku": {"BRN-77"}, "price": {"abc"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="v-`+first[:8]+`-price-err"`) || !strings.Contains(r.body, `value="abc"`) {
		t.Fatalf("bad variant price: %d", r.status)
	}
	if r := owner.send("POST", vpath, url.Values{"csrf_token": {csrf}, "sku": {"BRN-77A"}, "price": {"13.00"}, "stock": {"2"}}, nil); r.status != 303 {
		t.Fatalf("save variant: %d %.300s", r.status, r.body)
	}
	if v := staffProduct(t, ta, ctxA, id).Variants[0]; v.SKU != "BRN-77A" || v.Price != 1300 || *v.Stock != 2 {
		t.Fatalf("saved variant: %+v", v)
	}
	if r := owner.send("POST", vpath+"/archive", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("archive variant: %d", r.status)
	}
	if v := staffProduct(t, ta, ctxA, id).Variants[0]; !v.Archived {
		t.Fatal("the variant is not archived")
	}

	// Pictures: a PNG uploaded, listed as a thumbnail, served back with its
	// type; anything else refused by its bytes; deleted with its bytes.
	pic := testPNG(t)
	mpath := "/admin/products/" + id + "/media"
	if r := owner.upload(mpath, map[string]string{"alt_en": "Burner"}, "burner.png", pic); r.status != 403 {
		t.Fatalf("upload without the token: %d", r.status)
	}
	if r := owner.upload(mpath, map[string]string{"csrf_token": csrf, "alt_en": "Burner"}, "evil.png", []byte("<html><script>alert(1)</script>")); r.status != 422 ||
		!strings.Contains(r.body, `id="file-err"`) || !strings.Contains(r.body, `value="Burner"`) {
		t.Fatalf("html as a picture: %d %.300s", r.status, r.body)
	}
	if r := owner.upload(mpath, map[string]string{"csrf_token": csrf}, "", nil); r.status != 422 || !strings.Contains(r.body, `id="file-err"`) {
		t.Fatalf("no file: %d", r.status)
	}
	// A picture over the limit (and over BODY_LIMIT): the field error on
	// the page, not the gateway's 413.
	big := append(append([]byte{}, pic...), make([]byte, catalog.MaxImageBytes+1)...)
	if r := owner.upload(mpath, map[string]string{"csrf_token": csrf}, "big.png", big); r.status != 422 || !strings.Contains(r.body, `id="file-err"`) {
		t.Fatalf("a picture too large: %d %.200s", r.status, r.body)
	}
	if r := owner.upload(mpath, map[string]string{"csrf_token": csrf, "alt_ar": "مبخرة", "alt_en": "Burner"}, "burner.png", pic); r.status != 303 {
		t.Fatalf("upload: %d %.300s", r.status, r.body)
	}
	p = staffProduct(t, ta, ctxA, id)
	if len(p.Media) != 1 || !strings.HasPrefix(p.Media[0].URL, "http://"+hostA+"/uploads/"+ctxTenant(t, ctxA)+"/") {
		t.Fatalf("the picture: %+v", p.Media)
	}
	picURL, err := url.Parse(p.Media[0].URL)
	if err != nil || !strings.HasSuffix(picURL.Path, ".png") {
		t.Fatalf("picture URL %q", p.Media[0].URL)
	}
	served := newShopper(t, ta, "anything.example").send("GET", picURL.Path, nil, nil)
	if served.status != 200 || served.header.Get("Content-Type") != "image/png" || served.body != string(pic) ||
		!strings.Contains(served.header.Get("Cache-Control"), "immutable") || served.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("served picture: %d %v", served.status, served.header)
	}
	if r := owner.send("GET", "/admin/products/"+id, nil, nil); !strings.Contains(r.body, `<img src="`+p.Media[0].URL+`" alt="مبخرة"`) {
		t.Fatal("the product page lacks the thumbnail")
	}
	other := strings.Replace(picURL.Path, ctxTenant(t, ctxA), ctxTenant(t, ctxB), 1)
	if r := owner.send("GET", other, nil, nil); r.status != 404 {
		t.Fatalf("the picture under another tenant: %d", r.status)
	}
	if r := owner.send("GET", strings.TrimSuffix(picURL.Path, ".png")+".jpg", nil, nil); r.status != 404 {
		t.Fatalf("the picture under another type: %d", r.status)
	}
	if r := owner.send("POST", mpath+"/"+p.Media[0].ID.String()+"/delete", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("delete picture: %d", r.status)
	}
	if r := owner.send("GET", picURL.Path, nil, nil); r.status != 404 {
		t.Fatalf("a deleted picture is served: %d", r.status)
	}
	// A picture between BODY_LIMIT (1 MB) and the picture limit (5 MB) is
	// taken and served whole.
	mid := append(append([]byte{}, pic...), make([]byte, 3<<20)...)
	if r := owner.upload(mpath, map[string]string{"csrf_token": csrf}, "mid.png", mid); r.status != 303 {
		t.Fatalf("a 3 MB picture: %d %.300s", r.status, r.body)
	}
	if p = staffProduct(t, ta, ctxA, id); len(p.Media) != 1 {
		t.Fatalf("after the 3 MB picture: %+v", p.Media)
	} else if midURL, err := url.Parse(p.Media[0].URL); err != nil {
		t.Fatal(err)
	} else if r := owner.send("GET", midURL.Path, nil, nil); r.status != 200 || len(r.body) != len(mid) {
		t.Fatalf("the 3 MB picture served: %d, %d bytes", r.status, len(r.body))
	}

	// Isolation: B's records named in A's URLs and forms are not found and
	// stay as they were.
	tid := theirs.ID.String()
	for _, r := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/admin/products/" + tid, nil},
		{"POST", "/admin/products/" + tid, url.Values{"csrf_token": {csrf}, "title_en": {"Hijacked"}, "status": {"active"}}},
		{"POST", "/admin/products/" + tid + "/archive", url.Values{"csrf_token": {csrf}}},
		{"POST", "/admin/products/" + tid + "/variants", url.Values{"csrf_token": {csrf}, "sku": {"HJ-1"}, "price": {"1"}}},
		{"POST", "/admin/products/" + id + "/variants/" + theirs.Variants[0].ID.String(), url.Values{"csrf_token": {csrf}, "sku": {"HJ"}, "price": {"1"}}},
		{"POST", "/admin/products/" + tid + "/variants/" + theirs.Variants[0].ID.String() + "/archive", url.Values{"csrf_token": {csrf}}},
		{"POST", "/admin/products/" + tid + "/media/" + uuid.NewString() + "/delete", url.Values{"csrf_token": {csrf}}},
	} {
		if got := owner.send(r.method, r.path, r.form, nil); got.status != 404 || strings.Contains(got.body, "Their Oud") {
			t.Fatalf("%s %s: %d", r.method, r.path, got.status)
		}
	}
	if r := owner.upload("/admin/products/"+tid+"/media", map[string]string{"csrf_token": csrf}, "x.png", pic); r.status != 404 {
		t.Fatalf("upload to B's product: %d", r.status)
	}
	if p := staffProduct(t, ta, ctxB, tid); p.TitleEN != "Their Oud" || p.Status != "active" || len(p.Variants) != 1 || p.Variants[0].Archived || len(p.Media) != 0 {
		t.Fatalf("B's product changed: %+v", p)
	}
	// B's staff on A's host have no pages there.
	onA := newShopper(t, ta, "catb.example.sa")
	adminLogin(t, onA, "stranger@catb.test")
	onA.host = hostA
	for _, path := range []string{"/admin/products", "/admin/products/" + id, "/admin/products/categories", "/admin/products/feeds"} {
		if r := onA.send("GET", path, nil, nil); r.status != 404 || strings.Contains(r.body, "Oak burner") {
			t.Fatalf("B's owner on A's host %s: %d", path, r.status)
		}
	}

	// Archive the product.
	if r := owner.send("POST", "/admin/products/"+id+"/archive", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("archive: %d", r.status)
	}
	if p := staffProduct(t, ta, ctxA, id); p.Status != "archived" {
		t.Fatalf("archived product: %s", p.Status)
	}

	// Read-only roles: the pages without the forms; every change 403.
	for _, who := range []string{"agent@cata.test", "viewer@cata.test"} {
		s := newShopper(t, ta, hostA)
		scsrf := adminLogin(t, s, who)
		if home := s.send("GET", "/admin", nil, nil); !strings.Contains(home.body, `href="/admin/products"`) {
			t.Fatalf("%s: no products link", who)
		}
		l := s.send("GET", "/admin/products", nil, nil)
		if l.status != 200 || strings.Contains(l.body, `href="/admin/products/new"`) || !strings.Contains(l.body, oud.ID.String()) {
			t.Fatalf("%s's list: %d", who, l.status)
		}
		pg := s.send("GET", "/admin/products/"+oud.ID.String(), nil, nil)
		if pg.status != 200 || strings.Contains(pg.body, `method="post" action="/admin/products/`) || !strings.Contains(pg.body, "OUD-1") {
			t.Fatalf("%s's product page: %d %.400s", who, pg.status, pg.body)
		}
		if r := s.send("GET", "/admin/products/new", nil, nil); r.status != 403 {
			t.Fatalf("%s's new product form: %d", who, r.status)
		}
		for _, path := range []string{"/admin/products", "/admin/products/" + oud.ID.String(), "/admin/products/" + oud.ID.String() + "/archive",
			"/admin/products/" + oud.ID.String() + "/variants"} {
			if r := s.send("POST", path, url.Values{"csrf_token": {scsrf}, "title_en": {"X"}, "sku": {"X-1"}, "price": {"1"}, "status": {"active"}}, nil); r.status != 403 {
				t.Fatalf("%s POST %s: %d", who, path, r.status)
			}
		}
		if r := s.upload("/admin/products/"+oud.ID.String()+"/media", map[string]string{"csrf_token": scsrf}, "a.png", pic); r.status != 403 {
			t.Fatalf("%s's upload: %d", who, r.status)
		}
	}
	if p := staffProduct(t, ta, ctxA, oud.ID.String()); p.Status != "active" || len(p.Variants) != 1 || len(p.Media) != 0 {
		t.Fatalf("a read-only role changed the oud: %+v", p)
	}

	// Each change is in A's audit log with the owner as actor.
	audit := ta.do(request{method: "GET", path: "/api/v1/audit", host: hostA, token: ownerToken})
	var entries struct {
		Items []struct{ Actor, Action string }
	}
	if err := json.Unmarshal(audit.raw, &entries); err != nil {
		var flat []struct{ Actor, Action string }
		if err := json.Unmarshal(audit.raw, &flat); err != nil {
			t.Fatalf("audit: %d %.300s", audit.status, audit.body)
		}
		entries.Items = flat
	}
	byOwner := map[string]bool{}
	for _, e := range entries.Items {
		if e.Actor == "user:owner@cata.test" {
			byOwner[e.Action] = true
		}
	}
	for _, action := range []string{"product.create", "product.update", "variant.add", "variant.update", "variant.archive", "media.upload", "media.delete"} {
		if !byOwner[action] {
			t.Fatalf("%s is not audited with the owner as actor: %v", action, byOwner)
		}
	}
}

// ctxTenant is the id of ctx's tenant.
func ctxTenant(t *testing.T, ctx context.Context) string {
	t.Helper()
	tn, err := tenants.FromContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tn.ID.String()
}

func TestAdminCatalogCategoriesAndFeeds(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	ctxA := catalogShop(t, ta, "cfa")
	ctxB := catalogShop(t, ta, "cfb")
	hostA := "cfa.example.sa"
	ta.user("agent@cfa.test", false, "cfa", "agent")
	theirCat, err := ta.app.catalog.CreateCategory(ctxB, catalog.CategoryInput{NameAR: "لهم", NameEN: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}
	theirSrc, err := ta.app.catalog.CreateSource(ctxB, catalog.SourceInput{Name: "theirs", Kind: "url", URL: "https://feeds.example/b.csv"})
	if err != nil {
		t.Fatal(err)
	}
	theirRun, err := ta.app.catalog.StartRun(ctxB, catalog.RunRequest{Input: []byte("sku,title_en,price\nB-1,B,1\n"), Format: feed.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}

	owner := newShopper(t, ta, hostA)
	csrf := adminLogin(t, owner, "owner@cfa.test")
	post := func(path string, form url.Values) page {
		t.Helper()
		form.Set("csrf_token", csrf)
		return owner.send("POST", path, form, nil)
	}

	// The tree: a parent, a child under it, field errors, rename in both
	// languages, delete refused while a child remains.
	if r := owner.send("GET", "/admin/products/categories", nil, nil); r.status != 200 || !strings.Contains(r.body, `id="no-categories"`) {
		t.Fatalf("empty tree: %d", r.status)
	}
	if r := post("/admin/products/categories", url.Values{"name_ar": {""}, "name_en": {""}}); r.status != 422 || !strings.Contains(r.body, `id="name_ar-err"`) {
		t.Fatalf("a nameless category: %d", r.status)
	}
	if r := post("/admin/products/categories", url.Values{"name_ar": {"عطور"}, "name_en": {"Perfumes"}, "parent": {theirCat.ID.String()}}); r.status != 422 ||
		!strings.Contains(r.body, `value="عطور"`) {
		t.Fatalf("B's category as parent: %d", r.status)
	}
	if r := post("/admin/products/categories", url.Values{"name_ar": {"عطور"}, "name_en": {"Perfumes"}}); r.status != 303 {
		t.Fatalf("create: %d %.300s", r.status, r.body)
	}
	cats, _ := ta.app.catalog.Categories(ctxA)
	if len(cats) != 1 {
		t.Fatalf("categories: %+v", cats)
	}
	parent := cats[0]
	if r := post("/admin/products/categories", url.Values{"name_ar": {"دهن عود"}, "name_en": {"Oud oils"}, "parent": {parent.ID.String()}}); r.status != 303 {
		t.Fatalf("create child: %d", r.status)
	}
	tree := owner.send("GET", "/admin/products/categories", nil, nil)
	child := regexp.MustCompile(`<tr id="category-([0-9a-f-]{36})"><th scope="row" class="d1">دهن عود</th>`).FindStringSubmatch(tree.body)
	if child == nil || strings.Index(tree.body, "category-"+parent.ID.String()) > strings.Index(tree.body, child[0]) {
		t.Fatalf("the child is not under its parent: %.800s", tree.body)
	}
	cpath := "/admin/products/categories/" + parent.ID.String()
	if r := post(cpath, url.Values{"name_ar": {""}, "name_en": {""}}); r.status != 422 || !strings.Contains(r.body, `id="c-`+parent.ID.String()[:8]+`-name_ar-err"`) {
		t.Fatalf("rename to nothing: %d", r.status)
	}
	if r := post(cpath, url.Values{"name_ar": {"عطور فاخرة"}, "name_en": {"Fine perfumes"}}); r.status != 303 {
		t.Fatalf("rename: %d", r.status)
	}
	cats, _ = ta.app.catalog.Categories(ctxA)
	for _, c := range cats {
		if c.ID == parent.ID && (c.NameAR != "عطور فاخرة" || c.NameEN != "Fine perfumes") {
			t.Fatalf("renamed: %+v", c)
		}
	}
	if r := post(cpath+"/delete", url.Values{}); r.status != 409 || !strings.Contains(r.body, `role="alert"`) {
		t.Fatalf("delete a parent: %d", r.status)
	}
	if r := post("/admin/products/categories/"+child[1]+"/delete", url.Values{}); r.status != 303 {
		t.Fatalf("delete the child: %d", r.status)
	}
	for _, path := range []string{"/admin/products/categories/" + theirCat.ID.String(), "/admin/products/categories/" + theirCat.ID.String() + "/delete",
		"/admin/products/categories/not-an-id"} {
		if r := post(path, url.Values{"name_ar": {"x"}}); r.status != 404 {
			t.Fatalf("%s: %d", path, r.status)
		}
	}
	if cs, _ := ta.app.catalog.Categories(ctxB); len(cs) != 1 || cs[0].NameAR != "لهم" {
		t.Fatalf("B's categories changed: %+v", cs)
	}

	// Feeds: a source with its schedule, field errors, run now, the run's
	// page; a finished run's report with its rejected rows and reasons.
	if r := owner.send("GET", "/admin/products/feeds", nil, nil); r.status != 200 || !strings.Contains(r.body, `id="no-sources"`) {
		t.Fatalf("feeds: %d", r.status)
	}
	for _, bad := range []url.Values{
		{"name": {"nightly"}, "url": {"javascript:alert(1)"}, "format": {"csv"}, "interval": {"60"}},
		{"name": {"nightly"}, "url": {"https://feeds.example/a.csv"}, "format": {"csv"}, "interval": {"5"}},
		{"name": {""}, "url": {"https://feeds.example/a.csv"}, "format": {"exe"}, "interval": {"99999999999999999999"}},
	} {
		if r := post("/admin/products/feeds", bad); r.status != 422 || !strings.Contains(r.body, "-err\"") {
			t.Fatalf("bad source %v: %d", bad, r.status)
		}
	}
	if r := post("/admin/products/feeds", url.Values{"name": {"nightly"}, "url": {"https://feeds.example/a.csv"}, "format": {"csv"}, "interval": {"60"}}); r.status != 303 {
		t.Fatalf("create source: %d %.300s", r.status, r.body)
	}
	srcs, _ := ta.app.catalog.Sources(ctxA)
	if len(srcs) != 1 || srcs[0].IntervalMinutes != 60 || srcs[0].URL != "https://feeds.example/a.csv" {
		t.Fatalf("sources: %+v", srcs)
	}
	feeds := owner.send("GET", "/admin/products/feeds", nil, nil)
	if !strings.Contains(feeds.body, `id="source-`+srcs[0].ID.String()+`"`) || !strings.Contains(feeds.body, "كل ٦٠ دقيقة") {
		t.Fatalf("feeds page: %.600s", feeds.body)
	}
	ran := post("/admin/products/feeds/"+srcs[0].ID.String()+"/run", url.Values{})
	if ran.status != 303 || !strings.HasPrefix(ran.header.Get("Location"), "/admin/products/feeds/runs/") {
		t.Fatalf("run now: %d %q", ran.status, ran.header.Get("Location"))
	}
	if r := owner.send("GET", ran.header.Get("Location"), nil, nil); r.status != 200 || !strings.Contains(r.body, `id="run-status"`) || !strings.Contains(r.body, "owner@cfa.test") {
		t.Fatalf("the run's page: %d", r.status)
	}
	run, err := ta.app.catalog.StartRun(ctxA, catalog.RunRequest{Input: []byte("sku,title_en,price,stock\nA-1,Oud,10,2147483648\nA-2,Musk,12,1\n"),
		InputName: "export.csv", Format: feed.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = ta.app.catalog.WaitRun(ctxA, run.ID); err != nil || run.Status != catalog.RunSucceeded {
		t.Fatalf("import: %v %+v", err, run)
	}
	report := owner.send("GET", "/admin/products/feeds/runs/"+run.ID.String(), nil, nil)
	if report.status != 200 || !strings.Contains(report.body, `id="rejected"`) || !strings.Contains(report.body, "A-1") || !strings.Contains(report.body, "كبير جدًا") {
		t.Fatalf("the run's report: %d %.800s", report.status, report.body)
	}
	if l := owner.send("GET", "/admin/products/feeds", nil, nil); !strings.Contains(l.body, "/admin/products/feeds/runs/"+run.ID.String()) || strings.Contains(l.body, theirRun.ID.String()) {
		t.Fatal("the runs list")
	}
	// B's source and run are not A's.
	if r := owner.send("GET", "/admin/products/feeds/runs/"+theirRun.ID.String(), nil, nil); r.status != 404 {
		t.Fatalf("B's run: %d", r.status)
	}
	for _, path := range []string{"/admin/products/feeds/" + theirSrc.ID.String() + "/delete", "/admin/products/feeds/" + theirSrc.ID.String() + "/run"} {
		if r := post(path, url.Values{}); r.status != 404 {
			t.Fatalf("%s: %d", path, r.status)
		}
	}
	if s, _ := ta.app.catalog.Sources(ctxB); len(s) != 1 {
		t.Fatal("B's source is gone")
	}
	if r := owner.send("POST", "/admin/products/feeds/"+srcs[0].ID.String()+"/delete", url.Values{}, nil); r.status != 403 {
		t.Fatalf("delete without the token: %d", r.status)
	}
	if r := post("/admin/products/feeds/"+srcs[0].ID.String()+"/delete", url.Values{}); r.status != 303 {
		t.Fatalf("delete source: %d", r.status)
	}
	if s, _ := ta.app.catalog.Sources(ctxA); len(s) != 0 {
		t.Fatal("the source is still there")
	}

	// The agent reads the tree and the feeds, without forms; changes 403.
	agent := newShopper(t, ta, hostA)
	acsrf := adminLogin(t, agent, "agent@cfa.test")
	for _, path := range []string{"/admin/products/categories", "/admin/products/feeds", "/admin/products/feeds/runs/" + run.ID.String()} {
		if r := agent.send("GET", path, nil, nil); r.status != 200 || strings.Contains(r.body, `action="/admin/products/`) {
			t.Fatalf("agent %s: %d", path, r.status)
		}
	}
	for _, path := range []string{"/admin/products/categories", "/admin/products/categories/" + parent.ID.String(), "/admin/products/feeds"} {
		if r := agent.send("POST", path, url.Values{"csrf_token": {acsrf}, "name_ar": {"x"}, "name": {"x"}, "url": {"https://x.example/a"}, "format": {"csv"}}, nil); r.status != 403 {
			t.Fatalf("agent POST %s: %d", path, r.status)
		}
	}
}
