package admin

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/modules/cms"
)

// maxSearch bounds a list's search text, in characters.
const maxSearch = 100

// templatesPage is GET /admin/templates: the WhatsApp message templates as
// Meta last reported them (status, when a sync last saw them) with "sync
// now", and the quick replies; ?q= keeps the quick replies whose shortcut
// or title contains it and the templates whose name starts with it.
func (a *Console) templatesPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := a.view(c, "admin.templates.title")
	p := ui.TemplatesPage{Query: strings.TrimSpace(c.Query("q")), CanWrite: reqOf(c).access.Can("templates", "write"), Errors: map[string]string{}}
	if utf8.RuneCountInString(p.Query) > maxSearch {
		p.Errors["q"] = v.T("admin.field.too_long", "max", v.Number(maxSearch))
		p.Query = ""
	}
	switch done := c.Query("done"); done {
	case "sync", "created", "updated", "deleted":
		v.Flash = v.T("admin.templates.done." + done)
	}
	var err error
	if p.Templates, err = a.d.Content.Templates(ctx, cms.TemplateQuery{Name: strings.ToLower(p.Query)}); err != nil {
		return a.fail(c, err)
	}
	if p.Replies, err = a.d.Content.QuickReplies(ctx, p.Query); err != nil {
		return a.fail(c, err)
	}
	if len(p.Errors) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.TemplatesListPage(v, p))
}

// templatesSync is POST /admin/templates/sync: queue a sync of the
// registry from Meta now (audited).
func (a *Console) templatesSync(c *fiber.Ctx) error {
	if err := a.d.Content.EnqueueSync(c.UserContext()); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/templates?done=sync", fiber.StatusSeeOther)
}

// quickReplyNew is GET /admin/templates/quick-replies/new: the editor,
// empty.
func (a *Console) quickReplyNew(c *fiber.Ctx) error {
	return a.editor(c, ui.QuickReplyEditor{}, 0)
}

// quickReplyEdit is GET /admin/templates/quick-replies/{id}: the editor
// with the quick reply and its preview. Another tenant's is 404.
func (a *Console) quickReplyEdit(c *fiber.Ctx) error {
	id, err := pathID(c, "id", cms.ErrQuickReplyNotFound)
	if err != nil {
		return a.fail(c, err)
	}
	q, err := a.d.Content.QuickReply(c.UserContext(), id.String())
	if err != nil {
		return a.fail(c, err)
	}
	e := ui.QuickReplyEditor{ID: q.ID.String(), Form: ui.QuickReplyForm{Shortcut: q.Shortcut, Title: q.Title, BodyAR: q.BodyAR, BodyEN: q.BodyEN}}
	a.preview(c, &e)
	return a.editor(c, e, 0)
}

func (a *Console) editor(c *fiber.Ctx, e ui.QuickReplyEditor, status int) error {
	v := a.view(c, "admin.qr.new")
	if e.ID != "" {
		v.Title = v.T("admin.qr.edit", "shortcut", e.Form.Shortcut)
	}
	e.Vars = cms.QuickReplyVars
	if status != 0 {
		c.Status(status)
	}
	return a.render(c, ui.QuickReplyEditorPage(v, e))
}

// quickReplyForm reads the editor's fields as typed.
func quickReplyForm(c *fiber.Ctx) ui.QuickReplyForm {
	return ui.QuickReplyForm{Shortcut: strings.TrimSpace(c.FormValue("shortcut")), Title: strings.TrimSpace(c.FormValue("title")),
		BodyAR: c.FormValue("body_ar"), BodyEN: c.FormValue("body_en")}
}

// preview fills e's preview (or the bodies' errors) from the cms service.
func (a *Console) preview(c *fiber.Ctx, e *ui.QuickReplyEditor) {
	v := a.view(c, "admin.qr.new")
	p, err := a.d.Content.PreviewQuickReply(c.UserContext(), cms.QuickReplyInput{BodyAR: e.Form.BodyAR, BodyEN: e.Form.BodyEN})
	if err != nil {
		if e.Errors == nil {
			e.Errors = map[string]string{}
		}
		for _, fe := range errs.FieldsOf(err) {
			e.Errors[fe.Field] = a.d.Texts.Message(v.Lang, fe.Msg)
		}
		return
	}
	e.Preview = &p
}

// quickReplyPreview is POST /admin/templates/quick-replies/preview, the
// editor's live preview: for htmx (as the bodies are typed) the preview
// panel alone, else the whole editor with it. Nothing is saved.
func (a *Console) quickReplyPreview(c *fiber.Ctx) error {
	e := ui.QuickReplyEditor{Form: quickReplyForm(c)}
	if id, err := uuid.Parse(c.FormValue("id")); err == nil {
		e.ID = id.String()
	}
	a.preview(c, &e)
	if c.Get("HX-Request") == "true" {
		return a.render(c, ui.QuickReplyPreviewPanel(a.view(c, "admin.qr.new"), e))
	}
	return a.editor(c, e, 0)
}

// quickReplySave is POST /admin/templates/quick-replies (create) and
// /admin/templates/quick-replies/{id} (update), audited by cms; with
// action=preview (the editor's preview button, without JavaScript) it
// saves nothing and shows the editor with the preview. Field errors come
// back next to their fields with what was typed.
func (a *Console) quickReplySave(c *fiber.Ctx) error {
	ctx := c.UserContext()
	e := ui.QuickReplyEditor{Form: quickReplyForm(c)}
	if c.Params("id") != "" {
		id, err := pathID(c, "id", cms.ErrQuickReplyNotFound)
		if err != nil {
			return a.fail(c, err)
		}
		if _, err := a.d.Content.QuickReply(ctx, id.String()); err != nil {
			return a.fail(c, err)
		}
		e.ID = id.String()
	}
	if c.FormValue("action") == "preview" {
		a.preview(c, &e)
		return a.editor(c, e, 0)
	}
	in := cms.QuickReplyInput{Shortcut: e.Form.Shortcut, Title: e.Form.Title, BodyAR: e.Form.BodyAR, BodyEN: e.Form.BodyEN}
	var err error
	done := "created"
	if e.ID == "" {
		_, err = a.d.Content.CreateQuickReply(ctx, in)
	} else {
		_, err = a.d.Content.UpdateQuickReply(ctx, e.ID, in)
		done = "updated"
	}
	if err == nil {
		return c.Redirect("/admin/templates?done="+done, fiber.StatusSeeOther)
	}
	v := a.view(c, "admin.qr.new")
	switch errs.CodeOf(err) {
	case errs.CodeInvalid:
		e.Errors = map[string]string{}
		for _, fe := range errs.FieldsOf(err) {
			e.Errors[fe.Field] = a.d.Texts.Message(v.Lang, fe.Msg)
		}
		return a.editor(c, e, fiber.StatusUnprocessableEntity)
	case errs.CodeConflict:
		e.Errors = map[string]string{"shortcut": v.T("admin.qr.taken")}
		return a.editor(c, e, fiber.StatusUnprocessableEntity)
	}
	return a.fail(c, err)
}

// quickReplyDelete is POST /admin/templates/quick-replies/{id}/delete
// (audited by cms).
func (a *Console) quickReplyDelete(c *fiber.Ctx) error {
	id, err := pathID(c, "id", cms.ErrQuickReplyNotFound)
	if err != nil {
		return a.fail(c, err)
	}
	if err := a.d.Content.DeleteQuickReply(c.UserContext(), id.String()); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/templates?done=deleted", fiber.StatusSeeOther)
}
