package errs

import "fmt"

// LegacyID marks a message written inline (English, sometimes Arabic) rather
// than taken from the catalog. It exists only while modules move their texts
// into the catalog; the catalog test fails while any remains.
const LegacyID = "legacy.inline"

// E builds an error with an inline English message.
//
// Deprecated: use New with a catalog message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: Message{ID: LegacyID, Data: map[string]any{"en": fmt.Sprintf(format, args...)}}}
}

// Legacy is an inline message in English and Arabic (ar may be "").
//
// Deprecated: use M with a catalog message.
func Legacy(en, ar string) Message {
	return Message{ID: LegacyID, Data: map[string]any{"en": en, "ar": ar}}
}

// WrapText attaches a cause to an error with an inline English message.
//
// Deprecated: use Wrap with a catalog message.
func WrapText(code Code, cause error, message string) *Error {
	e := &Error{Code: code, Err: cause}
	if message != "" {
		e.Msg = Legacy(message, "")
	}
	return e
}
