package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
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
		return errs.Wrap(errs.CodeInternal, err, "")
	}
	fields := make([]errs.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:]
		}
		fields = append(fields, errs.FieldError{Field: ns, Code: fe.Tag(), Msg: v.describe(fe)})
	}
	return errs.Invalid(fields...)
}

// ruleMessages are the catalog messages of the rules used in request tags;
// rules named here take their parameter as {{.param}}.
var ruleMessages = map[string]string{
	"required": "field.required", "required_if": "field.required", "required_with": "field.required",
	"email": "field.email", "min": "field.min", "gte": "field.min", "max": "field.max", "lte": "field.max",
	"len": "field.len", "oneof": "field.oneof", "uuid": "field.uuid", "uuid4": "field.uuid", "uuid7": "field.uuid",
	"fqdn": "field.hostname", "hostname": "field.hostname", "hostname_rfc1123": "field.hostname",
	"e164": "field.e164", "numeric": "field.numeric", "iso4217": "field.iso4217", "timezone": "field.timezone",
	"slug": "field.slug", "alphanum": "field.alphanum",
}

// describe gives the catalog message of a failed rule.
func (v *Validator) describe(fe validator.FieldError) errs.Message {
	tag := fe.Tag()
	if tag == "weburl" {
		if v.allowHTTP {
			return errs.M("field.weburl_http")
		}
		return errs.M("field.weburl")
	}
	if id, ok := ruleMessages[tag]; ok {
		return errs.M(id, "param", fe.Param())
	}
	return errs.M("field.rule", "rule", tag)
}

// Bind decodes the JSON body into dst (a pointer to a request struct) and
// validates it. In order: the body must be one JSON value (400 malformed
// otherwise); invalid UTF-8, lone surrogates, NUL and names repeated in one
// object are 422 field errors (checkJSON); unknown fields and values of the
// wrong type or out of range of their Go type are 422; every string is
// trimmed and checked against its text tag (see textTag); then the validate
// rules run. All field errors of the last two steps come back together.
func Bind(c *fiber.Ctx, v *Validator, dst any) error {
	if err := Decode(c, dst); err != nil {
		return err
	}
	return v.Clean(dst)
}

// Decode is Bind without the struct rules: the body's checks (one JSON
// value; UTF-8, NUL and repeated names refused) and a strict decode into
// dst, for bodies whose shape is data rather than a struct (a map keyed by
// provider name). The caller checks the values.
func Decode(c *fiber.Ctx, dst any) error {
	body := c.Body()
	if len(body) == 0 {
		return errs.New(errs.CodeMalformed, "error.body_empty")
	}
	if err := checkJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return errs.Invalid(errs.Field(fieldName(ute.Field), "type", "field.type", "type", describeType(ute.Type)))
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return errs.Invalid(errs.Field(safeName(f), "unknown", "field.unknown"))
		}
		return errs.Wrap(errs.CodeMalformed, err, "error.body_not_json")
	}
	if dec.More() {
		return errs.New(errs.CodeMalformed, "error.body_trailing")
	}
	return nil
}

// Clean trims and checks the strings of dst (a pointer to a struct) as Bind
// does after decoding, then validates it, returning every field error at
// once: for input that arrives otherwise than as JSON (the shell, forms).
func (v *Validator) Clean(dst any) error {
	fields := cleanStrings(reflect.ValueOf(dst))
	if err := v.Struct(dst); err != nil {
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != errs.CodeInvalid {
			return err
		}
		fields = mergeFields(fields, e.Fields)
	}
	if len(fields) > 0 {
		return errs.Invalid(fields...)
	}
	return nil
}

// mergeFields appends the validator's errors to the text errors, leaving out
// fields that already have one.
func mergeFields(text, rules []errs.FieldError) []errs.FieldError {
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

// CrossSite reports a browser request that a page of this host did not
// send: the browser marks it (Sec-Fetch-Site other than same-origin or
// none) or names another origin (Origin), as net/http's
// CrossOriginProtection decides. Requests without either header (not from
// a browser, or an old one) pass: forms also carry a token.
func CrossSite(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != string(c.Request().Host()) {
			return true
		}
	}
	return false
}

// FormText refuses a form whose names or values are not text in mode
// (names are always single-line): NUL and control characters, invalid
// UTF-8. The error is invalid, on the field "form".
func FormText(c *fiber.Ctx, mode input.Mode) error {
	var bad error
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if bad != nil {
			return
		}
		err := input.Check(string(k), input.SingleLine)
		if err == nil {
			err = input.Check(string(v), mode)
		}
		if err != nil {
			bad = errs.Invalid(errs.TextError("form", err))
		}
	})
	return bad
}
