package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
)

// Locals keys set by the gateway middleware.
const (
	localRequestID = "request_id"
	localLogger    = "logger"
)

// RequestID returns the request id the gateway assigned.
func RequestID(c *fiber.Ctx) string {
	if v, ok := c.Locals(localRequestID).(string); ok {
		return v
	}
	return ""
}

// SetRequestID records the request id on the request.
func SetRequestID(c *fiber.Ctx, id string) { c.Locals(localRequestID, id) }

// SetLogger records the request-scoped logger.
func SetLogger(c *fiber.Ctx, l *slog.Logger) { c.Locals(localLogger, l) }

// LoggerFrom returns the request-scoped logger (with request, trace and tenant
// ids), or fallback when none is set.
func LoggerFrom(c *fiber.Ctx, fallback *slog.Logger) *slog.Logger {
	if l, ok := c.Locals(localLogger).(*slog.Logger); ok {
		return l
	}
	return fallback
}

var slugRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Validator validates request structs with go-playground/validator, naming
// fields by their json tag.
type Validator struct{ v *validator.Validate }

// NewValidator builds the shared validator.
func NewValidator() *Validator {
	v := validator.New(validator.WithRequiredStructEnabled())
	_ = v.RegisterValidation("slug", func(fl validator.FieldLevel) bool {
		return slugRe.MatchString(fl.Field().String())
	})
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	return &Validator{v: v}
}

// Struct validates s and returns an invalid error with one field error per
// failed rule, or nil.
func (v *Validator) Struct(s any) error {
	err := v.v.Struct(s)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return Wrap(CodeInternal, err, "validation failed")
	}
	fields := make([]FieldError, 0, len(verrs))
	for _, fe := range verrs {
		en, ar := describe(fe)
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:]
		}
		fields = append(fields, FieldError{Field: ns, Code: fe.Tag(), Message: en, MessageAr: ar})
	}
	return Invalid(fields...)
}

// describe gives a person-readable message for a failed rule in English and Arabic.
func describe(fe validator.FieldError) (string, string) {
	p := fe.Param()
	switch fe.Tag() {
	case "required":
		return "is required", "مطلوب"
	case "email":
		return "must be an email address", "يجب أن يكون بريدًا إلكترونيًا صالحًا"
	case "min":
		return "must be at least " + p, "يجب ألا يقل عن " + p
	case "max":
		return "must be at most " + p, "يجب ألا يزيد عن " + p
	case "len":
		return "must have length " + p, "يجب أن يكون طوله " + p
	case "oneof":
		return "must be one of: " + p, "يجب أن يكون أحد: " + p
	case "uuid", "uuid4", "uuid7":
		return "must be a UUID", "يجب أن يكون معرّفًا UUID"
	case "fqdn", "hostname", "hostname_rfc1123":
		return "must be a host name", "يجب أن يكون اسم نطاق"
	case "e164":
		return "must be a phone number in E.164 form (+9665...)", "يجب أن يكون رقم هاتف بصيغة E.164 (+9665...)"
	case "numeric":
		return "must contain digits only", "يجب أن يحتوي على أرقام فقط"
	case "iso4217":
		return "must be an ISO 4217 currency code", "يجب أن يكون رمز عملة ISO 4217"
	case "timezone":
		return "must be an IANA time zone", "يجب أن تكون منطقة زمنية صالحة"
	case "slug":
		return "must be lowercase letters, digits and dashes (a DNS label)", "يجب أن يتكون من حروف إنجليزية صغيرة وأرقام وشرطات"
	case "alphanum":
		return "must contain letters and digits only", "يجب أن يحتوي على حروف وأرقام فقط"
	}
	return fmt.Sprintf("fails the %q rule", fe.Tag()), fmt.Sprintf("لا يحقق القاعدة %q", fe.Tag())
}

// Bind decodes the JSON body into dst (rejecting unknown fields and trailing
// data) and validates it. Malformed JSON is a 400; rule failures are a 422 with
// field errors.
func Bind(c *fiber.Ctx, v *Validator, dst any) error {
	body := c.Body()
	if len(body) == 0 {
		return E(CodeMalformed, "the request body is empty; expected a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return Invalid(FieldError{Field: ute.Field, Code: "type",
				Message: "must be of type " + ute.Type.String(), MessageAr: "نوع القيمة غير صحيح"})
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return Invalid(FieldError{Field: f, Code: "unknown", Message: "is not a known field", MessageAr: "حقل غير معروف"})
		}
		return Wrap(CodeMalformed, err, "the request body is not valid JSON")
	}
	if dec.More() {
		return E(CodeMalformed, "the request body has data after the JSON object")
	}
	return v.Struct(dst)
}
