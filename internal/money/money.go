// Package money is Concierge's one money type: an integer count of minor
// units (halalas, fils, cents) and an ISO 4217 currency code. Money is
// parsed once at the edge (feeds, the admin UI, WhatsApp replies) and
// never touches a float.
//
// Decimal digits per currency come from github.com/bojanz/currency's CLDR
// data, which follows ISO 4217: SAR, AED, QAR, USD, EUR have 2; KWD, BHD,
// OMR, JOD 3; JPY 0. Format uses the same library for locale formatting.
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/bojanz/currency"
	lru "github.com/hashicorp/golang-lru/v2"

	"concierge/internal/arabic"
)

// Amount is a sum of money: Minor units of Currency (an upper-case ISO 4217
// code), e.g. {14950, "SAR"} is 149.50 SAR and {1500, "KWD"} is 1.500 KWD.
type Amount struct {
	Minor    int64
	Currency string
}

// String returns the amount in plain machine form, the minor units written
// with the currency's decimals and the code after: "149.50 SAR",
// "1.500 KWD". Parse reads it back. An amount whose currency is not Valid
// is written as its minor units and the code: "1500 XYZ".
func (a Amount) String() string {
	d := Digits(a.Currency)
	if d < 0 {
		return fmt.Sprintf("%d %s", a.Minor, a.Currency)
	}
	return decimal(a.Minor, d) + " " + a.Currency
}

// Valid reports whether code is a known ISO 4217 currency code, written in
// upper case ("SAR"; not "sar" or "SR").
func Valid(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := range len(code) {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return currency.IsValid(code)
}

// Digits returns the number of decimal digits of code's minor unit (2 for
// SAR, 3 for KWD, 0 for JPY), or -1 when code is not Valid.
func Digits(code string) int {
	if !Valid(code) {
		return -1
	}
	d, ok := currency.GetDigits(code)
	if !ok {
		return -1
	}
	return int(d)
}

// MaxMinor is the largest amount, in minor units, that a price, a payment or
// a total may have: 10^12 (10 billion SAR, 1 billion KWD). Bounding amounts
// this far below int64 keeps every sum and product of a bounded quantity
// exact. Request fields of money carry `validate:"min=0,max=1000000000000"`.
const MaxMinor int64 = 1_000_000_000_000

// Sentinel errors of Parse; a *ParseError wraps exactly one of them.
var (
	ErrEmpty      = errors.New("amount is empty")
	ErrSyntax     = errors.New("amount is not a number")
	ErrPrecision  = errors.New("amount has more decimals than its currency allows")
	ErrCurrency   = errors.New("unknown currency")
	ErrNoCurrency = errors.New("amount has no currency")
	ErrNegative   = errors.New("amount is negative")
	ErrRange      = errors.New("amount is too large")
)

// ParseError is the error of Parse. Its message is an English sentence
// that starts with the quoted input, so a caller can put the field name in
// front: `price "15.001 SAR" has 3 decimals but SAR allows 2`.
type ParseError struct {
	Input string // the text given to Parse
	Err   error  // one of the Err sentinels
	// Currency is the unknown currency token (ErrCurrency) or the currency
	// whose decimals were exceeded (ErrPrecision).
	Currency string
	// Decimals and Allowed, for ErrPrecision: the decimals given and the
	// currency's.
	Decimals, Allowed int
	// Comma, for ErrSyntax: a comma stood where a decimal point belongs.
	Comma bool
	msg   string
}

func (e *ParseError) Error() string { return e.msg }

// Unwrap returns the sentinel, for errors.Is.
func (e *ParseError) Unwrap() error { return e.Err }

func withFields(err error, set func(*ParseError)) error {
	set(err.(*ParseError))
	return err
}

func parseErr(in string, sentinel error, format string, args ...any) error {
	return &ParseError{Input: in, Err: sentinel, msg: fmt.Sprintf("%q ", in) + fmt.Sprintf(format, args...)}
}

// Parse reads an amount written in major units, as merchants type it:
//
//	"15", "15.5", "15.00", "1,250.50", " 15.00 SAR ", "SAR 15.00",
//	"15.000 KWD", "١٥٠٫٠٠", "١٬٢٥٠٫٥٠ ر.س."
//
// The currency is the code in s when there is one, otherwise
// defaultCurrency. Codes are ISO 4217 in any case ("sar" is SAR); the common
// Gulf abbreviations SR, QR, KD, BD, RO, Dhs and the Arabic symbols
// (ر.س. د.إ. د.ك. ر.ق. د.ب. ر.ع. د.أ.) are accepted too, as are the words
// ريال, دينار, درهم and the sign ﷼ when defaultCurrency is one of the
// currencies they can mean.
//
// Arabic-Indic and Persian digits and the Arabic decimal and thousands
// separators (٫ ٬) are read as 0–9 . and ,. The decimal separator is "."
// only; "," may only group thousands, so "15,5" is an error rather than a
// guess. A number may not have more decimals than its currency: "15.001
// SAR" and "15.000 SAR" are errors (the second could be a European
// fifteen thousand). Negative amounts are rejected.
//
// Errors are *ParseError wrapping ErrEmpty, ErrSyntax, ErrPrecision,
// ErrCurrency, ErrNoCurrency (no code in s and no default), ErrNegative
// or ErrRange (more than MaxMinor minor units).
func Parse(s, defaultCurrency string) (Amount, error) {
	t := clean(s)
	if t == "" {
		return Amount{}, &ParseError{Input: s, Err: ErrEmpty, msg: "amount is empty"}
	}
	num, token, err := split(s, t)
	if err != nil {
		return Amount{}, err
	}
	code := defaultCurrency
	if token != "" {
		if code = currencyOf(token, defaultCurrency); code == "" {
			return Amount{}, withFields(parseErr(s, ErrCurrency, "has an unknown currency %q", token), func(e *ParseError) { e.Currency = token })
		}
	}
	negative := false
	switch {
	case strings.HasPrefix(num, "-"):
		negative, num = true, num[1:]
	case strings.HasPrefix(num, "+"):
		num = num[1:]
	}
	intPart, frac, _ := strings.Cut(num, ".")
	if !validInt(intPart) || strings.ContainsFunc(frac, notDigit) || intPart == "" && frac == "" {
		if strings.Contains(num, ",") {
			return Amount{}, withFields(parseErr(s, ErrSyntax, `is not a number (use "." for decimals and "," only between thousands)`), func(e *ParseError) { e.Comma = true })
		}
		return Amount{}, parseErr(s, ErrSyntax, "is not a number")
	}
	if negative {
		return Amount{}, parseErr(s, ErrNegative, "must not be negative")
	}
	switch {
	case code == "":
		return Amount{}, parseErr(s, ErrNoCurrency, "has no currency code and no default currency is set")
	case !Valid(code):
		return Amount{}, withFields(parseErr(s, ErrCurrency, "has an unknown currency %q", code), func(e *ParseError) { e.Currency = code })
	}
	digits := Digits(code)
	if len(frac) > digits {
		allows := fmt.Sprint(digits)
		if digits == 0 {
			allows = "none"
		}
		return Amount{}, withFields(parseErr(s, ErrPrecision, "has %d decimals but %s allows %s", len(frac), code, allows), func(e *ParseError) {
			e.Currency, e.Decimals, e.Allowed = code, len(frac), digits
		})
	}
	var minor int64
	for _, part := range []string{strings.ReplaceAll(intPart, ",", ""), frac + strings.Repeat("0", digits-len(frac))} {
		for i := range len(part) {
			d := int64(part[i] - '0')
			if minor > (math.MaxInt64-d)/10 {
				return Amount{}, parseErr(s, ErrRange, "is too large")
			}
			minor = minor*10 + d
		}
	}
	if minor > MaxMinor {
		return Amount{}, parseErr(s, ErrRange, "is too large")
	}
	return Amount{Minor: minor, Currency: code}, nil
}

// clean maps Arabic digits and separators to ASCII, drops bidi marks,
// turns every space into an ASCII space and trims.
func clean(s string) string {
	s = arabic.DigitsToASCII(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '٫':
			return '.'
		case r == '٬':
			return ','
		case r == '\u2212': // minus sign
			return '-'
		case r == '\u200e' || r == '\u200f' || r == '\u061c' || r == '\ufeff' || 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069:
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// split separates the number of t from a currency token before or after
// it. s is the original input, for errors.
func split(s, t string) (num, token string, err error) {
	first := strings.IndexFunc(t, isDigit)
	if first < 0 {
		return "", "", parseErr(s, ErrSyntax, "is not a number")
	}
	last := strings.LastIndexFunc(t, isDigit)
	start, end := first, last+1
	for start > 0 && strings.ContainsRune("+-.", rune(t[start-1])) {
		start--
	}
	// A trailing "." belongs to the number ("15.") unless it starts a
	// symbol such as "ر.س.", which has no digit or space after it anyway.
	if end < len(t) && t[end] == '.' && (end+1 == len(t) || t[end+1] == ' ') {
		end++
	}
	prefix, suffix := strings.TrimSpace(t[:start]), strings.TrimSpace(t[end:])
	if prefix != "" && suffix != "" {
		return "", "", parseErr(s, ErrSyntax, "is not a number")
	}
	token = prefix + suffix
	if strings.ContainsFunc(token, isDigit) {
		return "", "", parseErr(s, ErrSyntax, "is not a number")
	}
	return t[start:end], token, nil
}

// localCodes are the unambiguous Gulf abbreviations and Arabic symbols.
var localCodes = map[string]string{
	"SR": "SAR", "ر.س.": "SAR", "ر.س": "SAR", "رس": "SAR",
	"QR": "QAR", "ر.ق.": "QAR", "ر.ق": "QAR",
	"KD": "KWD", "د.ك.": "KWD", "د.ك": "KWD",
	"BD": "BHD", "د.ب.": "BHD", "د.ب": "BHD",
	"RO": "OMR", "ر.ع.": "OMR", "ر.ع": "OMR",
	"DHS": "AED", "DHS.": "AED", "DH": "AED", "د.إ.": "AED", "د.إ": "AED",
	"د.أ.": "JOD", "د.أ": "JOD",
}

// wordCodes are words and signs that name one of several currencies; they
// resolve to the default currency when it is one of them.
var wordCodes = map[string][]string{
	"ريال":  {"SAR", "QAR", "OMR", "YER"},
	"﷼":     {"SAR", "QAR", "OMR", "YER"},
	"دينار": {"KWD", "BHD", "JOD", "IQD", "LYD", "TND"},
	"درهم":  {"AED", "MAD"},
}

// currencyOf resolves a currency token, or returns "".
func currencyOf(token, defaultCurrency string) string {
	up := strings.ToUpper(token)
	if Valid(up) {
		return up
	}
	if c, ok := localCodes[up]; ok {
		return c
	}
	for _, c := range wordCodes[token] {
		if c == defaultCurrency {
			return c
		}
	}
	return ""
}

// validInt reports whether s is empty or an integer with optional
// thousands grouping ("1250", "1,250").
func validInt(s string) bool {
	if !strings.Contains(s, ",") {
		return !strings.ContainsFunc(s, notDigit)
	}
	groups := strings.Split(s, ",")
	for i, g := range groups {
		if strings.ContainsFunc(g, notDigit) || i == 0 && (g == "" || len(g) > 3) || i > 0 && len(g) != 3 {
			return false
		}
	}
	return true
}

func isDigit(r rune) bool  { return '0' <= r && r <= '9' }
func notDigit(r rune) bool { return !isDigit(r) }

// decimal writes minor units with d decimals: decimal(-5, 2) = "-0.05".
// Decimal is the amount in major units with the currency's decimals and no
// code: {14900, "SAR"} → "149.00", {12500, "KWD"} → "12.500". A currency that
// is not Valid is written with 2 decimals.
func (a Amount) Decimal() string {
	d := Digits(a.Currency)
	if d < 0 {
		d = 2
	}
	return decimal(a.Minor, d)
}

func decimal(minor int64, d int) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", -u
	}
	s := fmt.Sprint(u)
	if d == 0 {
		return sign + s
	}
	if len(s) <= d {
		s = strings.Repeat("0", d-len(s)+1) + s
	}
	return sign + s[:len(s)-d] + "." + s[len(s)-d:]
}

// Format returns a for display to a person in locale, with grouping and
// exactly the currency's decimals (CLDR, via bojanz/currency):
//
//	en  (and en-*): "SAR 1,250.50", "KWD 1.500", "$15.00"
//	ar  (shown as ar-SA): "‏١٬٢٥٠٫٥٠ ر.س.‏", Arabic-Indic digits
//	ar-AE, ar-MA, ...: as CLDR has them (ar-AE: Latin digits)
//
// The space between number and currency is a no-break space (U+00A0), and
// the Arabic forms are wrapped in right-to-left marks (U+200F) as CLDR
// prescribes, so they stay in order inside English text. Bare "ar" means
// the Saudi form because that is the one a Gulf shopper reads as Arabic:
// CLDR's generic "ar" uses Latin digits. An empty or unknown locale
// formats as "en". An amount whose currency is not Valid is formatted as
// String does.
func Format(a Amount, locale string) string {
	amt, err := currency.NewAmountFromInt64(a.Minor, a.Currency)
	if err != nil || !Valid(a.Currency) {
		return a.String()
	}
	key := formatKey{a.Minor, a.Currency, locale}
	if s, ok := formatted.Get(key); ok {
		return s
	}
	loc := currency.NewLocale(locale)
	switch {
	case loc.Language == "ar" && loc.Territory == "":
		loc = currency.NewLocale("ar-SA")
	case loc.Language != "ar" && loc.Language != "en":
		loc = currency.NewLocale("en")
	}
	s := currency.NewFormatter(loc).Format(amt)
	formatted.Add(key, s)
	return s
}

// formatted remembers recent answers of Format: a page lists the same
// prices again and again, and CLDR formatting builds a replacer per call.
var formatted, _ = lru.New[formatKey, string](8192)

type formatKey struct {
	minor            int64
	currency, locale string
}
