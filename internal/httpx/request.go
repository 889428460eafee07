package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"concierge/internal/input"
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
// fields by their json tag. Besides the library's rules it knows `slug` (a
// DNS label) and `weburl` (an absolute https link — http too when the
// validator allows plain HTTP, outside production; see input.WebURL). Use
// `weburl`, never the library's `url`, for any link a person may open or
// the product may fetch: `url` accepts javascript: and data: links. An empty
// string passes `weburl` (so a PATCH can clear a link); add `required` where
// a link must be given.
type Validator struct {
	v         *validator.Validate
	allowHTTP bool
}

// ValidatorOption adjusts NewValidator.
type ValidatorOption func(*Validator)

// AllowHTTPLinks lets `weburl` fields take http:// links as well as
// https:// (ENV dev and test; production takes https only).
func AllowHTTPLinks(allow bool) ValidatorOption {
	return func(v *Validator) { v.allowHTTP = allow }
}

// NewValidator builds the shared validator. Without options `weburl`
// accepts https links only.
func NewValidator(opts ...ValidatorOption) *Validator {
	out := &Validator{}
	for _, o := range opts {
		o(out)
	}
	v := validator.New(validator.WithRequiredStructEnabled())
	_ = v.RegisterValidation("slug", func(fl validator.FieldLevel) bool {
		return slugRe.MatchString(fl.Field().String())
	})
	_ = v.RegisterValidation("weburl", func(fl validator.FieldLevel) bool {
		// Empty passes (a PATCH clears a link with ""); `required` refuses it.
		u := fl.Field().String()
		return u == "" || input.WebURL(u, out.allowHTTP) == nil
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
	out.v = v
	return out
}

// AllowsHTTPLinks reports whether `weburl` takes http:// links.
func (v *Validator) AllowsHTTPLinks() bool { return v.allowHTTP }

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
		en, ar := v.describe(fe)
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:]
		}
		fields = append(fields, FieldError{Field: ns, Code: fe.Tag(), Message: en, MessageAr: ar})
	}
	return Invalid(fields...)
}

// describe gives a person-readable message for a failed rule in English and Arabic.
func (v *Validator) describe(fe validator.FieldError) (string, string) {
	p := fe.Param()
	switch fe.Tag() {
	case "weburl":
		if v.allowHTTP {
			return "must be an absolute link starting with https:// or http://", "يجب أن يكون رابطًا كاملًا يبدأ بـ https:// أو http://"
		}
		return "must be an absolute link starting with https://", "يجب أن يكون رابطًا كاملًا يبدأ بـ https://"
	case "gte":
		return "must be at least " + p, "يجب ألا يقل عن " + p
	case "lte":
		return "must be at most " + p, "يجب ألا يزيد عن " + p
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

// Bind decodes the JSON body into dst (a pointer to a request struct) and
// validates it. In order: the body must be one JSON value (400 malformed
// otherwise); invalid UTF-8, lone surrogates, NUL and names repeated in one
// object are 422 field errors (checkJSON); unknown fields and values of the
// wrong type or out of range of their Go type are 422; every string is
// trimmed and checked against its text tag (see textTag); then the validate
// rules run. All field errors of the last two steps come back together.
func Bind(c *fiber.Ctx, v *Validator, dst any) error {
	body := c.Body()
	if len(body) == 0 {
		return E(CodeMalformed, "the request body is empty; expected a JSON object")
	}
	if err := checkJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return Invalid(FieldError{Field: fieldName(ute.Field), Code: "type",
				Message: "must be of type " + describeType(ute.Type), MessageAr: "نوع القيمة غير صحيح أو خارج الحدود"})
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return Invalid(FieldError{Field: safeName(f), Code: "unknown", Message: "is not a known field", MessageAr: "حقل غير معروف"})
		}
		return Wrap(CodeMalformed, err, "the request body is not valid JSON")
	}
	if dec.More() {
		return E(CodeMalformed, "the request body has data after the JSON object")
	}
	return v.Clean(dst)
}

// Clean trims and checks the strings of dst (a pointer to a struct) as Bind
// does after decoding, then validates it, returning every field error at
// once: for input that arrives otherwise than as JSON (the shell, forms).
func (v *Validator) Clean(dst any) error {
	fields := cleanStrings(reflect.ValueOf(dst))
	if err := v.Struct(dst); err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalid {
			return err
		}
		fields = mergeFields(fields, e.Fields)
	}
	if len(fields) > 0 {
		return Invalid(fields...)
	}
	return nil
}

// mergeFields appends the validator's errors to the text errors, leaving out
// fields that already have one.
func mergeFields(text, rules []FieldError) []FieldError {
	named := make(map[string]bool, len(text))
	for _, f := range text {
		named[f.Field] = true
	}
	for _, f := range rules {
		if !named[f.Field] {
			text = append(text, f)
		}
	}
	return text
}

// describeType names a Go type the way a client reads it, with its range
// for integers (a value outside it is refused, never wrapped).
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "integer (-9223372036854775808 to 9223372036854775807)"
	case reflect.Int32:
		return "integer (-2147483648 to 2147483647)"
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.String()
}
