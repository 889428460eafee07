package errs

import (
	"errors"

	"concierge/internal/input"
)

// TextError is the field error of a text that input.Check or input.Clean
// refused; services use it for texts that do not come through the HTTP
// edge's binding (forms, feeds, the shell).
func TextError(field string, err error) FieldError {
	switch {
	case errors.Is(err, input.ErrUTF8):
		return Field(field, "utf8", "text.utf8")
	case errors.Is(err, input.ErrLineBreak):
		return Field(field, "single_line", "text.single_line")
	}
	return Field(field, "control", "text.control")
}
