package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/i18n"
)

// Problem is an RFC 9457 problem details body. Title, Detail and each
// field's Message are in the reader's language (Accept-Language, Arabic by
// default); the Arabic and English forms are kept beside them.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	TitleAr   string         `json:"title_ar"`
	TitleEn   string         `json:"title_en"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Code      errs.Code      `json:"code"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one field error of a 422 problem.
type ProblemField struct {
	Field     string `json:"field"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageAr string `json:"message_ar"`
	MessageEn string `json:"message_en"`
}

// statuses is the single code → HTTP status map.
var statuses = map[errs.Code]int{
	errs.CodeInvalid:          http.StatusUnprocessableEntity,
	errs.CodeMalformed:        http.StatusBadRequest,
	errs.CodeNotFound:         http.StatusNotFound,
	errs.CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	errs.CodeRequestTimeout:   http.StatusRequestTimeout,
	errs.CodeConflict:         http.StatusConflict,
	errs.CodeUnauthorized:     http.StatusUnauthorized,
	errs.CodeForbidden:        http.StatusForbidden,
	errs.CodeTooLarge:         http.StatusRequestEntityTooLarge,
	errs.CodeRateLimited:      http.StatusTooManyRequests,
	errs.CodeUnavailable:      http.StatusServiceUnavailable,
	errs.CodeInternal:         http.StatusInternalServerError,
}

// StatusOf maps an error code to its HTTP status.
func StatusOf(c errs.Code) int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// fromFiber maps Fiber's own errors (routing, body limit) to the vocabulary.
func fromFiber(fe *fiber.Error) *errs.Error {
	switch fe.Code {
	case http.StatusNotFound:
		return errs.New(errs.CodeNotFound, "error.no_route")
	case http.StatusMethodNotAllowed:
		return errs.New(errs.CodeMethodNotAllowed, "error.method_not_allowed")
	case http.StatusRequestEntityTooLarge:
		return errs.New(errs.CodeTooLarge, "error.too_large")
	case http.StatusBadRequest:
		return errs.Wrap(errs.CodeMalformed, fe, "error.malformed")
	case http.StatusTooManyRequests:
		return errs.New(errs.CodeRateLimited, "error.rate_limited")
	case http.StatusRequestTimeout: // the connection's read deadline: a client too slow to send its request
		return errs.New(errs.CodeRequestTimeout, "error.request_timeout")
	}
	return &errs.Error{Code: errs.CodeInternal, Err: fe}
}

// ErrorHandler returns the Fiber error handler: the one place an error becomes
// an HTTP status and a safe problem+json body in the reader's language.
// Internal causes are logged with the request's ids and never sent.
func ErrorHandler(logger *slog.Logger, cat *i18n.Catalog) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var e *errs.Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &e):
		case errors.As(err, &fe):
			e = fromFiber(fe)
		default:
			e = &errs.Error{Code: errs.CodeInternal, Err: err}
		}
		status, ok := statuses[e.Code]
		if !ok {
			e = &errs.Error{Code: errs.CodeInternal, Err: err}
			status = http.StatusInternalServerError
		}
		if status >= 500 {
			LoggerFrom(c, logger).ErrorContext(c.UserContext(), "request failed", "error", err.Error(), "code", string(e.Code))
		}
		lang := Lang(c)
		titleID := "problem." + string(e.Code)
		p := Problem{
			Type:      "https://concierge.dev/problems/" + string(e.Code),
			Title:     cat.Text(lang, titleID, nil),
			TitleAr:   cat.Text(i18n.AR, titleID, nil),
			TitleEn:   cat.Text(i18n.EN, titleID, nil),
			Status:    status,
			Code:      e.Code,
			Instance:  c.Path(),
			RequestID: ensureRequestID(c),
		}
		switch {
		case status >= 500 && e.Code != errs.CodeUnavailable:
			p.Detail = cat.Text(lang, "error.internal", nil)
		case e.Msg.ID != "":
			p.Detail = cat.Message(lang, e.Msg)
		}
		for _, f := range e.Fields {
			p.Errors = append(p.Errors, ProblemField{Field: f.Field, Code: f.Code, Message: cat.Message(lang, f.Msg),
				MessageAr: cat.Message(i18n.AR, f.Msg), MessageEn: cat.Message(i18n.EN, f.Msg)})
		}
		if e.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
		}
		c.Vary(fiber.HeaderAcceptLanguage)
		return WriteProblem(c, p)
	}
}

// Lang is the reader's language for this request: Accept-Language, Arabic
// unless English is preferred.
func Lang(c *fiber.Ctx) string { return i18n.Lang(c.Get(fiber.HeaderAcceptLanguage)) }

// HeaderRequestID carries the request id in and out.
const HeaderRequestID = "X-Request-ID"

// ensureRequestID returns the request's id, making one when the request was
// refused before the gateway's RequestID middleware ran (a body over the
// server's limit is refused by the HTTP server itself), so every problem
// carries an id that the logs can be searched for.
func ensureRequestID(c *fiber.Ctx) string {
	if id := RequestID(c); id != "" {
		return id
	}
	id := NewRequestID()
	SetRequestID(c, id)
	c.Set(HeaderRequestID, id)
	return id
}

// NewRequestID makes a request id (a UUIDv7: ordered by time).
func NewRequestID() string {
	if u, err := uuid.NewV7(); err == nil {
		return u.String()
	}
	return uuid.NewString()
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(c *fiber.Ctx, p Problem) error {
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json; charset=utf-8")
	b, err := c.App().Config().JSONEncoder(p)
	if err != nil {
		return err
	}
	return c.Send(b)
}
