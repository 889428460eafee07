package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	TitleAr   string       `json:"title_ar"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Code      Code         `json:"code"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

type codeInfo struct {
	status  int
	title   string
	titleAr string
}

// codes is the single code → HTTP status map.
var codes = map[Code]codeInfo{
	CodeInvalid:          {http.StatusUnprocessableEntity, "Invalid request", "طلب غير صالح"},
	CodeMalformed:        {http.StatusBadRequest, "Malformed request", "طلب غير مفهوم"},
	CodeNotFound:         {http.StatusNotFound, "Not found", "غير موجود"},
	CodeConflict:         {http.StatusConflict, "Conflict", "تعارض"},
	CodeUnauthorized:     {http.StatusUnauthorized, "Unauthorized", "غير مصرح"},
	CodeForbidden:        {http.StatusForbidden, "Forbidden", "ممنوع"},
	CodeRateLimited:      {http.StatusTooManyRequests, "Too many requests", "طلبات كثيرة جدًا"},
	CodeUnavailable:      {http.StatusServiceUnavailable, "Unavailable", "الخدمة غير متاحة"},
	CodeTooLarge:         {http.StatusRequestEntityTooLarge, "Request body too large", "حجم الطلب كبير جدًا"},
	CodeMethodNotAllowed: {http.StatusMethodNotAllowed, "Method not allowed", "طريقة الطلب غير مسموحة لهذا المسار"},
	CodeInternal:         {http.StatusInternalServerError, "Internal error", "خطأ داخلي"},
}

// StatusOf maps an error code to its HTTP status.
func StatusOf(c Code) int {
	if i, ok := codes[c]; ok {
		return i.status
	}
	return http.StatusInternalServerError
}

// fiberCodes maps Fiber's own errors (routing, body limit) to our vocabulary.
func fromFiber(fe *fiber.Error) *Error {
	switch fe.Code {
	case http.StatusNotFound:
		return E(CodeNotFound, "no route for this path")
	case http.StatusMethodNotAllowed:
		return E(CodeMethodNotAllowed, "this path does not take this method; see the Allow header")
	case http.StatusRequestEntityTooLarge:
		return E(CodeTooLarge, "the request body exceeds the limit")
	case http.StatusBadRequest:
		return E(CodeMalformed, "%s", fe.Message)
	case http.StatusUnauthorized:
		return E(CodeUnauthorized, "%s", fe.Message)
	case http.StatusForbidden:
		return E(CodeForbidden, "%s", fe.Message)
	case http.StatusTooManyRequests:
		return E(CodeRateLimited, "%s", fe.Message)
	case http.StatusRequestTimeout:
		return E(CodeUnavailable, "request timed out")
	}
	return &Error{Code: CodeInternal, Err: fe}
}

// ErrorHandler returns the Fiber error handler: the one place an error becomes
// an HTTP status and a safe problem+json body. Internal causes are logged with
// the request's ids and never sent.
func ErrorHandler(logger *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var e *Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &e):
		case errors.As(err, &fe):
			e = fromFiber(fe)
		default:
			e = &Error{Code: CodeInternal, Err: err}
		}
		info, ok := codes[e.Code]
		if !ok {
			info = codes[CodeInternal]
		}
		if info.status >= 500 {
			LoggerFrom(c, logger).ErrorContext(c.UserContext(), "request failed", "error", err.Error(), "code", string(e.Code))
		}
		p := Problem{
			Type:      "https://concierge.dev/problems/" + string(e.Code),
			Title:     info.title,
			TitleAr:   info.titleAr,
			Status:    info.status,
			Code:      e.Code,
			Instance:  c.Path(),
			RequestID: ensureRequestID(c),
			Errors:    e.Fields,
		}
		if info.status < 500 || e.Code == CodeUnavailable {
			p.Detail = e.Message
		}
		if e.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(e.RetryAfter))
		}
		return WriteProblem(c, p)
	}
}

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
