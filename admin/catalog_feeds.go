package admin

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/admin/ui"
	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/modules/catalog"
	"concierge/modules/catalog/feed"
)

// The category tree and the feed sources of the catalog pages.

// categoriesList is GET /admin/products/categories: the tree, each
// category under its parent, with rename and delete; a form to add one.
func (a *Console) categoriesList(c *fiber.Ctx) error {
	return a.categoriesPage(c, ui.CategoriesPage{})
}

func (a *Console) categoriesPage(c *fiber.Ctx, pg ui.CategoriesPage) error {
	cats, err := a.d.Catalog.Categories(c.UserContext())
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.categories")
	pg.Tree, pg.CanWrite = ui.CategoryTree(cats, v.Lang), reqOf(c).access.Can("catalog", "write")
	if done := c.Query("done"); slices.Contains([]string{"created", "renamed", "deleted"}, done) {
		v.Flash = v.T("admin.catalog.category_done." + done)
	}
	switch {
	case pg.Alert != "":
		c.Status(fiber.StatusConflict)
	case len(pg.Errors)+len(pg.RenameErrors) > 0:
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.CategoriesView(v, pg))
}

// categoryNames reads the names of a category form; bad gets their errors.
func categoryNames(c *fiber.Ctx, v *ui.View, bad map[string]string) ui.CategoryForm {
	f := ui.CategoryForm{NameAR: strings.TrimSpace(c.FormValue("name_ar")), NameEN: strings.TrimSpace(c.FormValue("name_en")),
		Parent: c.FormValue("parent")}
	if f.NameAR == "" && f.NameEN == "" {
		bad["name_ar"] = v.T("admin.catalog.name_required")
	}
	for name, val := range map[string]string{"name_ar": f.NameAR, "name_en": f.NameEN} {
		if utf8.RuneCountInString(val) > 200 {
			bad[name] = v.T("admin.field.too_long", "max", v.Number(200))
		}
	}
	return f
}

// categoryField is the category form's name of a service field.
func categoryField(f string) string {
	switch f {
	case "name", "name_ar":
		return "name_ar"
	case "name_en", "slug":
		return "name_en" // the slug is made from the English name
	case "parent_id":
		return "parent"
	}
	return "form"
}

// category finds :id among the tenant's categories.
func (a *Console) category(c *fiber.Ctx) (*catalog.Category, error) {
	cats, err := a.d.Catalog.Categories(c.UserContext())
	if err != nil {
		return nil, err
	}
	if id, err := uuid.Parse(c.Params("id")); err == nil {
		for _, cat := range cats {
			if cat.ID == id {
				return &cat, nil
			}
		}
	}
	return nil, errs.New(errs.CodeNotFound, "catalog.category.not_found")
}

// categoryCreate is POST /admin/products/categories: names in both
// languages (one at least) and an optional parent.
func (a *Console) categoryCreate(c *fiber.Ctx) error {
	v := a.view(c, "admin.catalog.categories")
	bad := map[string]string{}
	f := categoryNames(c, v, bad)
	in := catalog.CategoryInput{NameAR: f.NameAR, NameEN: f.NameEN}
	if f.Parent != "" {
		if id, err := uuid.Parse(f.Parent); err != nil {
			bad["parent"] = v.T("admin.catalog.bad_category")
		} else {
			in.ParentID = &id
		}
	}
	if len(bad) == 0 {
		if _, err := a.d.Catalog.CreateCategory(c.UserContext(), in); err != nil && !a.catalogErrors(v, err, bad, categoryField) {
			return a.fail(c, err)
		}
	}
	if len(bad) > 0 {
		return a.categoriesPage(c, ui.CategoriesPage{Form: f, Errors: bad})
	}
	return c.Redirect("/admin/products/categories?done=created", fiber.StatusSeeOther)
}

// categoryRename is POST /admin/products/categories/{id}: new names; its
// parent, position and picture stay.
func (a *Console) categoryRename(c *fiber.Ctx) error {
	cat, err := a.category(c)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.categories")
	bad := map[string]string{}
	f := categoryNames(c, v, bad)
	if len(bad) == 0 {
		_, err := a.d.Catalog.UpdateCategory(c.UserContext(), cat.ID.String(), catalog.CategoryInput{ParentID: cat.ParentID,
			NameAR: f.NameAR, NameEN: f.NameEN, Position: cat.Position, ImageURL: cat.ImageURL})
		if err != nil && !a.catalogErrors(v, err, bad, categoryField) {
			return a.fail(c, err)
		}
	}
	if len(bad) > 0 {
		return a.categoriesPage(c, ui.CategoriesPage{RenameFor: cat.ID.String(), Rename: f, RenameErrors: bad})
	}
	return c.Redirect("/admin/products/categories?done=renamed", fiber.StatusSeeOther)
}

// categoryDelete is POST /admin/products/categories/{id}/delete: a
// category without sub-categories (its products stay, without it).
func (a *Console) categoryDelete(c *fiber.Ctx) error {
	cat, err := a.category(c)
	if err != nil {
		return a.fail(c, err)
	}
	err = a.d.Catalog.DeleteCategory(c.UserContext(), cat.ID.String())
	if errs.CodeOf(err) == errs.CodeConflict {
		v := a.view(c, "admin.catalog.categories")
		return a.categoriesPage(c, ui.CategoriesPage{Alert: v.T("admin.catalog.has_children", "name", cat.Name(v.Lang))})
	}
	if err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/products/categories?done=deleted", fiber.StatusSeeOther)
}

// ---- feeds ----

// feedFormats are the formats a source may name.
var feedFormats = []string{string(feed.FormatAuto), string(feed.FormatCSV), string(feed.FormatTSV), string(feed.FormatJSON),
	string(feed.FormatGoogleTSV), string(feed.FormatGoogleXML)}

// feedsList is GET /admin/products/feeds: the sources with their
// schedules, and the last 25 runs.
func (a *Console) feedsList(c *fiber.Ctx) error {
	return a.feedsPage(c, ui.SourceForm{Format: string(feed.FormatAuto)}, nil)
}

func (a *Console) feedsPage(c *fiber.Ctx, form ui.SourceForm, bad map[string]string) error {
	ctx := c.UserContext()
	srcs, err := a.d.Catalog.Sources(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	runs, err := a.d.Catalog.Runs(ctx, nil, 25)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.feeds")
	if done := c.Query("done"); slices.Contains([]string{"created", "deleted"}, done) {
		v.Flash = v.T("admin.catalog.source_done." + done)
	}
	if len(bad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.FeedsView(v, ui.FeedsPage{Sources: srcs, Runs: runs, CanWrite: reqOf(c).access.Can("catalog", "write"),
		Form: form, Errors: bad, Formats: feedFormats}))
}

// sourceCreate is POST /admin/products/feeds: a URL source (name, link,
// format, every N minutes — empty: run by hand — and full sync).
func (a *Console) sourceCreate(c *fiber.Ctx) error {
	v := a.view(c, "admin.catalog.feeds")
	f := ui.SourceForm{Name: strings.TrimSpace(c.FormValue("name")), URL: strings.TrimSpace(c.FormValue("url")),
		Format: c.FormValue("format"), Interval: strings.TrimSpace(c.FormValue("interval")), Full: c.FormValue("full") == "1"}
	bad := map[string]string{}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		bad["name"] = v.T("admin.field.required")
	case n > 100:
		bad["name"] = v.T("admin.field.too_long", "max", v.Number(100))
	}
	switch {
	case f.URL == "":
		bad["url"] = v.T("admin.field.required")
	case len(f.URL) > 2000:
		bad["url"] = v.T("admin.field.too_long", "max", v.Number(2000))
	}
	if !slices.Contains(feedFormats, f.Format) {
		bad["format"] = v.T("admin.catalog.bad_format")
	}
	minutes := 0
	if f.Interval != "" {
		n, err := strconv.Atoi(arabic.DigitsToASCII(f.Interval))
		if err != nil || n < 15 || n > 10080 {
			bad["interval"] = v.T("admin.catalog.bad_interval")
		}
		minutes = n
	}
	if len(bad) == 0 {
		_, err := a.d.Catalog.CreateSource(c.UserContext(), catalog.SourceInput{Name: f.Name, Kind: "url", URL: f.URL,
			Format: feed.Format(f.Format), Full: f.Full, IntervalMinutes: minutes})
		if err != nil && !a.catalogErrors(v, err, bad, func(n string) string {
			if n == "url" || n == "format" || n == "name" {
				return n
			}
			return "form"
		}) {
			return a.fail(c, err)
		}
	}
	if len(bad) > 0 {
		return a.feedsPage(c, f, bad)
	}
	return c.Redirect("/admin/products/feeds?done=created", fiber.StatusSeeOther)
}

// sourceID parses :id.
func sourceID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, errs.New(errs.CodeNotFound, "catalog.source.not_found")
	}
	return id, nil
}

// sourceDelete is POST /admin/products/feeds/{id}/delete (its runs stay).
func (a *Console) sourceDelete(c *fiber.Ctx) error {
	id, err := sourceID(c)
	if err != nil {
		return a.fail(c, err)
	}
	if err := a.d.Catalog.DeleteSource(c.UserContext(), id); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/products/feeds?done=deleted", fiber.StatusSeeOther)
}

// sourceRun is POST /admin/products/feeds/{id}/run: a URL source's run
// now (queued; the worker pulls the link), then the run's page.
func (a *Console) sourceRun(c *fiber.Ctx) error {
	id, err := sourceID(c)
	if err != nil {
		return a.fail(c, err)
	}
	run, err := a.d.Catalog.StartRun(c.UserContext(), catalog.RunRequest{SourceID: &id})
	if err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/products/feeds/runs/"+run.ID.String()+"?done=started", fiber.StatusSeeOther)
}

// runShow is GET /admin/products/feeds/runs/{id}: a run's report, the
// rejected rows with their reasons.
func (a *Console) runShow(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return a.fail(c, errs.New(errs.CodeNotFound, "catalog.run.not_found"))
	}
	run, err := a.d.Catalog.Run(c.UserContext(), id)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.report")
	v.Title = v.T("admin.catalog.run_title", "date", v.Date(run.CreatedAt))
	if c.Query("done") == "started" {
		v.Flash = v.T("admin.catalog.run_started_flash")
	}
	p := ui.RunPage{Run: run, Error: run.ErrorText(a.d.Texts, v.Lang)}
	if run.Report != nil {
		for _, r := range run.Report.Rejected {
			p.Reasons = append(p.Reasons, a.d.Texts.Message(v.Lang, r.Reason))
		}
	}
	return a.render(c, ui.RunView(v, p))
}
