package orders

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"concierge/internal/arabic"
)

// ErrPhone is a phone number that is not a valid mobile or fixed number.
var ErrPhone = errors.New("orders: not a phone number")

// ParsePhone reads a phone number as people write it in the Gulf (+966 5x,
// 05x, 9665x, Arabic-Indic digits) and returns it in E.164 ("+9665...").
// Numbers without a country code are Saudi.
func ParsePhone(s string) (string, error) {
	s = strings.TrimSpace(arabic.DigitsToASCII(s))
	if s == "" || len(s) > 32 {
		return "", ErrPhone
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	} else if strings.HasPrefix(s, "966") && !strings.HasPrefix(s, "+") {
		s = "+" + s
	}
	n, err := phonenumbers.Parse(s, "SA")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrPhone
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}
