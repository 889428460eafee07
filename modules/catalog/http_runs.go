package catalog

import (
	"io"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/modules/catalog/feed"
)

// ---- sources and runs ----

type sourceReq struct {
	Name            string `json:"name" validate:"required,max=200"`
	Kind            string `json:"kind" validate:"required,oneof=upload url"`
	URL             string `json:"url" validate:"required_if=Kind url,omitempty,max=2048,weburl"`
	Format          string `json:"format" validate:"omitempty,oneof=auto csv tsv json google-tsv google-xml"`
	Full            bool   `json:"full"`
	IntervalMinutes int    `json:"interval_minutes" validate:"min=0,max=10080"`
}

func (h *handlers) createSource(c *fiber.Ctx) error {
	var req sourceReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	src, err := h.svc.CreateSource(c.UserContext(), SourceInput{Name: req.Name, Kind: req.Kind, URL: req.URL,
		Format: feed.Format(req.Format), Full: req.Full, IntervalMinutes: req.IntervalMinutes})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAPISource(*src))
}

func (h *handlers) listSources(c *fiber.Ctx) error {
	srcs, err := h.svc.Sources(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]apiSource, len(srcs))
	for i, s := range srcs {
		out[i] = toAPISource(s)
	}
	return c.JSON(fiber.Map{"items": out})
}

// parseID reads an id from the path; a malformed one is not_found with
// message notFound.
func parseID(c *fiber.Ctx, name, notFound string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, errs.Wrap(errs.CodeNotFound, err, notFound)
	}
	return id, nil
}

func (h *handlers) getSource(c *fiber.Ctx) error {
	id, err := parseID(c, "id", "catalog.source.not_found")
	if err != nil {
		return err
	}
	src, err := h.svc.Source(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPISource(*src))
}

func (h *handlers) deleteSource(c *fiber.Ctx) error {
	id, err := parseID(c, "id", "catalog.source.not_found")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteSource(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// runSource starts a run of a source: a URL source pulls its URL; an upload
// source takes the request body as the file.
func (h *handlers) runSource(c *fiber.Ctx) error {
	id, err := parseID(c, "id", "catalog.source.not_found")
	if err != nil {
		return err
	}
	run, err := h.svc.StartRun(c.UserContext(), RunRequest{SourceID: &id, Input: body(c), InputName: c.Query("name")})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(h.toAPIRun(c, *run, false))
}

// importFile starts a one-off run of the request body (?format=, ?full=).
func (h *handlers) importFile(c *fiber.Ctx) error {
	f := feed.Format(c.Query("format", string(feed.FormatAuto)))
	if !ValidFormat(f) {
		return invalidParam("format", "catalog.field.format")
	}
	full := c.QueryBool("full", false)
	b := body(c)
	if len(b) == 0 {
		return invalidParam("body", "catalog.field.file_empty")
	}
	run, err := h.svc.StartRun(c.UserContext(), RunRequest{Input: b, InputName: c.Query("name"), Format: f, Full: full,
		ContentType: c.Get(fiber.HeaderContentType)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(h.toAPIRun(c, *run, false))
}

func body(c *fiber.Ctx) []byte {
	b := c.Body()
	if len(b) == 0 {
		return nil
	}
	if fh, err := c.FormFile("file"); err == nil {
		f, err := fh.Open()
		if err == nil {
			defer f.Close()
			if data, err := io.ReadAll(f); err == nil {
				return data
			}
		}
	}
	return append([]byte(nil), b...)
}

func (h *handlers) listRuns(c *fiber.Ctx) error {
	var source *uuid.UUID
	if s := c.Query("source"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			return invalidParam("source", "catalog.field.source_id")
		}
		source = &id
	}
	runs, err := h.svc.Runs(c.UserContext(), source, 50)
	if err != nil {
		return err
	}
	out := make([]apiRun, len(runs))
	for i, r := range runs {
		out[i] = h.toAPIRun(c, r, false)
	}
	return c.JSON(fiber.Map{"items": out})
}

func (h *handlers) getRun(c *fiber.Ctx) error {
	id, err := parseID(c, "id", "catalog.run.not_found")
	if err != nil {
		return err
	}
	run, err := h.svc.Run(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(h.toAPIRun(c, *run, true))
}

func (h *handlers) consistency(c *fiber.Ctx) error {
	rep, err := h.svc.CheckConsistency(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(toAPIConsistency(rep))
}
