// Package keyset encodes the cursors of keyset-paginated lists: the sort
// time and the id of a page's last row, opaque to the client (base64url of
// a small JSON object). A list reads the next page with
// "(at, id) < (cursor.At, cursor.ID)" in its own order.
package keyset

import (
	"concierge/internal/errs"

	"encoding/base64"
	"encoding/json"
	"time"
)

// Cursor is where a page ends.
type Cursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// Encode is the cursor as a client carries it.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor a list gave; false for anything else (not base64,
// not the JSON, no id or time).
func Decode(s string) (Cursor, bool) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	return c, err == nil && c.ID != "" && !c.At.IsZero()
}

// Parse reads a list's cursor parameter: nil for none; an invalid field
// error "cursor" with the catalog message msgID for one the list did not
// give.
func Parse(s, msgID string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	c, ok := Decode(s)
	if !ok {
		return nil, errs.Invalid(errs.Field("cursor", "invalid", msgID))
	}
	return &c, nil
}
