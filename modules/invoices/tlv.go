package invoices

import (
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	"concierge/internal/money"
)

// The ZATCA phase-1 QR tags.
const (
	TagSellerName = 1 // the seller's name (Arabic)
	TagVATNumber  = 2 // the seller's VAT registration number
	TagTimestamp  = 3 // when issued, ISO 8601 UTC: 2026-12-02T14:05:00Z
	TagTotal      = 4 // the total with VAT, a decimal: "230.00"
	TagVAT        = 5 // the VAT, a decimal: "30.00"
)

// QRTimeFormat is how the QR states when a document was issued.
const QRTimeFormat = "2006-01-02T15:04:05Z"

// TLVField is one field of a ZATCA QR payload: a tag byte and a UTF-8 value
// of at most 255 bytes.
type TLVField struct {
	Tag   byte
	Value string
}

// Errors of EncodeTLV and DecodeTLV.
var (
	ErrTLVTooLong   = errors.New("invoices: TLV value longer than 255 bytes")
	ErrTLVTruncated = errors.New("invoices: TLV data ends inside a field")
	ErrTLVUTF8      = errors.New("invoices: TLV value is not UTF-8")
)

// EncodeTLV writes each field as its tag byte, its value's length in bytes
// (one byte: UTF-8 bytes, not characters — "متجر الرياض" is 21) and the
// value. Errors: ErrTLVTooLong, ErrTLVUTF8.
func EncodeTLV(fields ...TLVField) ([]byte, error) {
	n := 0
	for _, f := range fields {
		if len(f.Value) > 255 {
			return nil, fmt.Errorf("%w: tag %d has %d", ErrTLVTooLong, f.Tag, len(f.Value))
		}
		if !utf8.ValidString(f.Value) {
			return nil, fmt.Errorf("%w: tag %d", ErrTLVUTF8, f.Tag)
		}
		n += 2 + len(f.Value)
	}
	out := make([]byte, 0, n)
	for _, f := range fields {
		out = append(out, f.Tag, byte(len(f.Value)))
		out = append(out, f.Value...)
	}
	return out, nil
}

// DecodeTLV reads what EncodeTLV writes. Errors: ErrTLVTruncated (a field
// whose length runs past the end), ErrTLVUTF8.
func DecodeTLV(b []byte) ([]TLVField, error) {
	var out []TLVField
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, ErrTLVTruncated
		}
		tag, n := b[0], int(b[1])
		if len(b) < 2+n {
			return nil, fmt.Errorf("%w: tag %d wants %d bytes, %d left", ErrTLVTruncated, tag, n, len(b)-2)
		}
		v := b[2 : 2+n]
		if !utf8.Valid(v) {
			return nil, fmt.Errorf("%w: tag %d", ErrTLVUTF8, tag)
		}
		out = append(out, TLVField{Tag: tag, Value: string(v)})
		b = b[2+n:]
	}
	return out, nil
}

// QRFields are the five fields of a document's QR: the seller's Arabic name
// (English when there is none), its VAT number, when issued (UTC), and the
// total with VAT and the VAT written with the currency's decimals (SAR 2,
// KWD 3).
func QRFields(doc *Invoice) []TLVField {
	name := doc.Seller.NameAR
	if name == "" {
		name = doc.Seller.NameEN
	}
	return []TLVField{
		{Tag: TagSellerName, Value: name},
		{Tag: TagVATNumber, Value: doc.Seller.VATNumber},
		{Tag: TagTimestamp, Value: doc.IssuedAt.UTC().Format(QRTimeFormat)},
		{Tag: TagTotal, Value: money.Amount{Minor: doc.Total, Currency: doc.Currency}.Decimal()},
		{Tag: TagVAT, Value: money.Amount{Minor: doc.VAT, Currency: doc.Currency}.Decimal()},
	}
}

// QRPayload is the document's QR text: the base64 (standard, padded) of
// its TLV fields.
func QRPayload(doc *Invoice) (string, error) {
	b, err := EncodeTLV(QRFields(doc)...)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
