package invoices_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"concierge/modules/invoices"
)

// TestTLVRoundTripArabic: lengths are UTF-8 bytes, not characters.
func TestTLVRoundTripArabic(t *testing.T) {
	t.Parallel()
	fields := []invoices.TLVField{
		{Tag: 1, Value: "متجر الرياض"},
		{Tag: 2, Value: "310122393500003"},
		{Tag: 3, Value: "2026-12-02T14:05:00Z"},
		{Tag: 4, Value: "230.00"},
		{Tag: 5, Value: "30.00"},
	}
	b, err := invoices.EncodeTLV(fields...)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 1 || b[1] != 21 || len("متجر الرياض") != 21 {
		t.Fatalf("the Arabic name's field starts % x; want tag 1, length 21 bytes", b[:2])
	}
	if string(b[2:23]) != "متجر الرياض" || b[23] != 2 || b[24] != 15 {
		t.Fatalf("encoded: % x", b)
	}
	got, err := invoices.DecodeTLV(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(fields) {
		t.Fatalf("decoded %d fields", len(got))
	}
	for i := range fields {
		if got[i] != fields[i] {
			t.Errorf("field %d: %+v, want %+v", i, got[i], fields[i])
		}
	}
}

func TestTLVRefusals(t *testing.T) {
	t.Parallel()
	if _, err := invoices.EncodeTLV(invoices.TLVField{Tag: 1, Value: strings.Repeat("a", 255)}); err != nil {
		t.Fatalf("255 bytes fit: %v", err)
	}
	// 128 Arabic letters are 256 bytes.
	if _, err := invoices.EncodeTLV(invoices.TLVField{Tag: 1, Value: strings.Repeat("م", 128)}); !errors.Is(err, invoices.ErrTLVTooLong) {
		t.Fatalf("256 bytes: %v", err)
	}
	if _, err := invoices.EncodeTLV(invoices.TLVField{Tag: 1, Value: "\xff"}); !errors.Is(err, invoices.ErrTLVUTF8) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"tag without length", []byte{1}, invoices.ErrTLVTruncated},
		{"value cut short", []byte{1, 5, 'a', 'b'}, invoices.ErrTLVTruncated},
		{"second field cut", []byte{1, 1, 'a', 2}, invoices.ErrTLVTruncated},
		{"not UTF-8", []byte{1, 1, 0xff}, invoices.ErrTLVUTF8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := invoices.DecodeTLV(tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if got, err := invoices.DecodeTLV(nil); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
}

// TestQRFieldsUseTheCurrencyDecimals: the QR writes amounts with the
// currency's minor digits.
func TestQRFieldsUseTheCurrencyDecimals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		currency   string
		total, vat int64
		wantTotal  string
		wantVAT    string
	}{
		{"SAR", 23000, 3000, "230.00", "30.00"},
		{"AED", 105, 5, "1.05", "0.05"},
		{"KWD", 11500, 1500, "11.500", "1.500"},
		{"BHD", 7, 1, "0.007", "0.001"},
		{"OMR", 1000, 0, "1.000", "0.000"},
	} {
		doc := &invoices.Invoice{Currency: tc.currency, Total: tc.total, VAT: tc.vat, IssuedAt: issuedAt.In(time.FixedZone("AST", 3*3600)),
			Seller: invoices.Seller{NameAR: "متجر", VATNumber: "300000000000003"}}
		f := invoices.QRFields(doc)
		if f[2].Value != "2026-12-02T14:05:00Z" || f[3].Value != tc.wantTotal || f[4].Value != tc.wantVAT {
			t.Errorf("%s: %+v", tc.currency, f)
		}
	}
}

// FuzzDecodeTLV: any input either is refused or decodes to fields that
// encode back to exactly the input.
func FuzzDecodeTLV(f *testing.F) {
	good, _ := invoices.EncodeTLV(invoices.TLVField{Tag: 1, Value: "متجر الرياض"}, invoices.TLVField{Tag: 2, Value: "310122393500003"},
		invoices.TLVField{Tag: 3, Value: "2026-12-02T14:05:00Z"}, invoices.TLVField{Tag: 4, Value: "230.00"}, invoices.TLVField{Tag: 5, Value: "30.00"})
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{1, 255})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{1, 2, 0xd9, 0x85})
	f.Add([]byte{1, 1, 0xd9})
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := invoices.DecodeTLV(b)
		if err != nil {
			return
		}
		out, err := invoices.EncodeTLV(fields...)
		if err != nil {
			t.Fatalf("decoded fields do not encode: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip: % x → % x", b, out)
		}
	})
}
