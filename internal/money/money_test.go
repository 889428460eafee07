package money

import (
	"errors"
	"testing"
)

func TestDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code  string
		want  int
		valid bool
	}{
		{"SAR", 2, true}, {"AED", 2, true}, {"QAR", 2, true}, {"USD", 2, true}, {"EUR", 2, true},
		{"KWD", 3, true}, {"BHD", 3, true}, {"OMR", 3, true}, {"JOD", 3, true},
		{"JPY", 0, true},
		{"sar", -1, false}, {"SR", -1, false}, {"XYZ", -1, false}, {"", -1, false}, {"SARS", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			if got := Digits(tt.code); got != tt.want {
				t.Errorf("Digits(%q) = %d, want %d", tt.code, got, tt.want)
			}
			if got := Valid(tt.code); got != tt.valid {
				t.Errorf("Valid(%q) = %v, want %v", tt.code, got, tt.valid)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, def string
		want          Amount
	}{
		{"integer", "15", "SAR", Amount{1500, "SAR"}},
		{"one decimal", "15.5", "SAR", Amount{1550, "SAR"}},
		{"two decimals", "15.00", "SAR", Amount{1500, "SAR"}},
		{"grouping", "1,250.50", "SAR", Amount{125050, "SAR"}},
		{"millions", "1,234,567.89", "AED", Amount{123456789, "AED"}},
		{"code after", "15.00 SAR", "", Amount{1500, "SAR"}},
		{"code before", "SAR 15.00", "", Amount{1500, "SAR"}},
		{"code without space", "15.00SAR", "", Amount{1500, "SAR"}},
		{"code beats default", "15.000 KWD", "SAR", Amount{15000, "KWD"}},
		{"lower-case code", "15 sar", "", Amount{1500, "SAR"}},
		{"three decimals", "1.250 KWD", "", Amount{1250, "KWD"}},
		{"KWD integer", "7 KWD", "", Amount{7000, "KWD"}},
		{"JPY", "1500", "JPY", Amount{1500, "JPY"}},
		{"surrounding spaces", "  15.00 \t", "SAR", Amount{1500, "SAR"}},
		{"no-break space", "SAR\u00a015.00", "", Amount{1500, "SAR"}},
		{"leading dot", ".5", "SAR", Amount{50, "SAR"}},
		{"trailing dot", "15.", "SAR", Amount{1500, "SAR"}},
		{"plus sign", "+15", "SAR", Amount{1500, "SAR"}},
		{"zero", "0", "SAR", Amount{0, "SAR"}},
		{"arabic-indic digits", "١٥٠٫٠٠", "SAR", Amount{15000, "SAR"}},
		{"arabic-indic grouping", "١٬٢٥٠٫٥٠", "SAR", Amount{125050, "SAR"}},
		{"persian digits", "۱۵۰", "SAR", Amount{15000, "SAR"}},
		{"arabic symbol after", "١٥٠٫٠٠ ر.س.", "", Amount{15000, "SAR"}},
		{"arabic symbol with marks", "\u200f١٥٠٫٠٠\u00a0ر.س.\u200f", "", Amount{15000, "SAR"}},
		{"kuwaiti symbol", "د.ك. 1.500", "", Amount{1500, "KWD"}},
		{"SR", "SR 99", "", Amount{9900, "SAR"}},
		{"KD", "2.5 KD", "", Amount{2500, "KWD"}},
		{"Dhs", "Dhs. 20", "", Amount{2000, "AED"}},
		{"riyal word with SAR default", "150 ريال", "SAR", Amount{15000, "SAR"}},
		{"riyal word with QAR default", "150 ريال", "QAR", Amount{15000, "QAR"}},
		{"largest", "10000000000.00", "SAR", Amount{MaxMinor, "SAR"}},
		{"largest KWD", "1000000000.000", "KWD", Amount{MaxMinor, "KWD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in, tt.def)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tt.in, tt.def, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q, %q) = %+v, want %+v", tt.in, tt.def, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, def string
		want          error
		msg           string
	}{
		{"empty", "", "SAR", ErrEmpty, `amount is empty`},
		{"blank", "   ", "SAR", ErrEmpty, `amount is empty`},
		{"letters", "abc", "SAR", ErrSyntax, `"abc" is not a number`},
		{"two dots", "1.2.3", "SAR", ErrSyntax, `"1.2.3" is not a number`},
		{"european decimal comma", "15,5", "SAR", ErrSyntax, `"15,5" is not a number (use "." for decimals and "," only between thousands)`},
		{"bad grouping", "1,25.00", "SAR", ErrSyntax, `"1,25.00" is not a number (use "." for decimals and "," only between thousands)`},
		{"inner space", "1 250", "SAR", ErrSyntax, `"1 250" is not a number`},
		{"codes on both sides", "SAR 15 SAR", "", ErrSyntax, `"SAR 15 SAR" is not a number`},
		{"exponent", "1e3", "SAR", ErrSyntax, `"1e3" is not a number`},
		{"too many decimals", "15.001 SAR", "", ErrPrecision, `"15.001 SAR" has 3 decimals but SAR allows 2`},
		{"trailing zero decimals", "15.000", "SAR", ErrPrecision, `"15.000" has 3 decimals but SAR allows 2`},
		{"KWD four decimals", "1.0001", "KWD", ErrPrecision, `"1.0001" has 4 decimals but KWD allows 3`},
		{"JPY decimals", "15.5", "JPY", ErrPrecision, `"15.5" has 1 decimals but JPY allows none`},
		{"unknown code", "15 XYZ", "", ErrCurrency, `"15 XYZ" has an unknown currency "XYZ"`},
		{"dollar sign", "$15", "", ErrCurrency, `"$15" has an unknown currency "$"`},
		{"unknown default", "15", "XX", ErrCurrency, `"15" has an unknown currency "XX"`},
		{"riyal word with KWD default", "150 ريال", "KWD", ErrCurrency, `"150 ريال" has an unknown currency "ريال"`},
		{"no currency", "15", "", ErrNoCurrency, `"15" has no currency code and no default currency is set`},
		{"negative", "-5", "SAR", ErrNegative, `"-5" must not be negative`},
		{"negative with code", "-5.00 SAR", "", ErrNegative, `"-5.00 SAR" must not be negative`},
		{"minus sign", "\u22125", "SAR", ErrNegative, "\"\u22125\" must not be negative"},
		{"above MaxMinor", "10000000000.01", "SAR", ErrRange, `"10000000000.01" is too large`},
		{"overflow", "92233720368547758.08", "SAR", ErrRange, `"92233720368547758.08" is too large`},
		{"huge", "99999999999999999999999", "SAR", ErrRange, `"99999999999999999999999" is too large`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in, tt.def)
			if err == nil {
				t.Fatalf("Parse(%q, %q) = %+v, want error", tt.in, tt.def, got)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Parse(%q, %q) error %v is not %v", tt.in, tt.def, err, tt.want)
			}
			if err.Error() != tt.msg {
				t.Errorf("Parse(%q, %q) error\n got %s\nwant %s", tt.in, tt.def, err, tt.msg)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Input != tt.in {
				t.Errorf("Parse(%q) error is not a *ParseError with the input", tt.in)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		a      Amount
		locale string
		want   string
	}{
		{"SAR en", Amount{15000, "SAR"}, "en", "SAR\u00a0150.00"},
		{"SAR ar", Amount{15000, "SAR"}, "ar", "\u200f١٥٠٫٠٠\u00a0ر.س.\u200f"},
		{"SAR ar-SA", Amount{15000, "SAR"}, "ar-SA", "\u200f١٥٠٫٠٠\u00a0ر.س.\u200f"},
		{"SAR ar-AE keeps CLDR latin digits", Amount{15000, "SAR"}, "ar-AE", "\u200f150.00\u00a0ر.س.\u200f"},
		{"trailing zeros kept", Amount{1500, "SAR"}, "en", "SAR\u00a015.00"},
		{"halalas", Amount{5, "SAR"}, "en", "SAR\u00a00.05"},
		{"KWD en", Amount{1500, "KWD"}, "en", "KWD\u00a01.500"},
		{"KWD ar", Amount{1500, "KWD"}, "ar", "\u200f١٫٥٠٠\u00a0د.ك.\u200f"},
		{"large SAR en", Amount{123456789, "SAR"}, "en", "SAR\u00a01,234,567.89"},
		{"large SAR ar", Amount{123456789, "SAR"}, "ar", "\u200f١٬٢٣٤٬٥٦٧٫٨٩\u00a0ر.س.\u200f"},
		{"large KWD en", Amount{123456789, "KWD"}, "en", "KWD\u00a0123,456.789"},
		{"large KWD ar", Amount{123456789, "KWD"}, "ar", "\u200f١٢٣٬٤٥٦٫٧٨٩\u00a0د.ك.\u200f"},
		{"AED ar", Amount{2000, "AED"}, "ar", "\u200f٢٠٫٠٠\u00a0د.إ.\u200f"},
		{"USD en", Amount{1500, "USD"}, "en", "$15.00"},
		{"regional english", Amount{15000, "SAR"}, "en-SA", "SAR\u00a0150.00"},
		{"empty locale is en", Amount{15000, "SAR"}, "", "SAR\u00a0150.00"},
		{"unknown locale is en", Amount{15000, "SAR"}, "fr", "SAR\u00a0150.00"},
		{"invalid currency", Amount{1500, "XYZ"}, "en", "1500 XYZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Format(tt.a, tt.locale); got != tt.want {
				t.Errorf("Format(%+v, %q)\n got %+q\nwant %+q", tt.a, tt.locale, got, tt.want)
			}
		})
	}
}

// TestRoundTrip holds that what Format and String write, Parse reads back.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	amounts := []Amount{{0, "SAR"}, {5, "SAR"}, {15000, "SAR"}, {123456789, "SAR"}, {1500, "KWD"}, {123456789, "KWD"}, {2000, "AED"}, {99, "QAR"}, {1, "BHD"}, {7, "OMR"}}
	for _, a := range amounts {
		for _, form := range []string{"string", "en", "ar", "ar-AE"} {
			t.Run(a.String()+"/"+form, func(t *testing.T) {
				t.Parallel()
				s := a.String()
				if form != "string" {
					s = Format(a, form)
				}
				got, err := Parse(s, "")
				if err != nil || got != a {
					t.Errorf("Parse(%+q) = %+v, %v; want %+v", s, got, err, a)
				}
			})
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a    Amount
		want string
	}{
		{Amount{14950, "SAR"}, "149.50 SAR"},
		{Amount{5, "SAR"}, "0.05 SAR"},
		{Amount{1500, "KWD"}, "1.500 KWD"},
		{Amount{1500, "JPY"}, "1500 JPY"},
		{Amount{-5, "SAR"}, "-0.05 SAR"},
		{Amount{1500, "XYZ"}, "1500 XYZ"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.a.String(); got != tt.want {
				t.Errorf("%+v.String() = %q, want %q", tt.a, got, tt.want)
			}
		})
	}
}
