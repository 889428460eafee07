package dialog

import (
	"fmt"
	"sync"
	"time"
)

// Riyadh is the Gulf's time zone, in which texts show moments (read once;
// UTC+3 when the system has no zone database).
var Riyadh = sync.OnceValue(func() *time.Location {
	if l, err := time.LoadLocation("Asia/Riyadh"); err == nil {
		return l
	}
	return time.FixedZone("AST", 3*60*60)
})

var arabicMonths = [...]string{"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"}

// FormatTime is a moment as people read it in locale, in Riyadh time:
// "3 December, 14:30" or "٣ ديسمبر، ١٤:٣٠".
func FormatTime(t time.Time, locale string) string {
	t = t.In(Riyadh())
	if locale == LocaleAR {
		return Digits(fmt.Sprintf("%d %s، %02d:%02d", t.Day(), arabicMonths[t.Month()-1], t.Hour(), t.Minute()), LocaleAR)
	}
	return t.Format("2 January, 15:04")
}

// FormatDate is a day as people read it in locale, in Riyadh time:
// "3 December 2026" or "٣ ديسمبر ٢٠٢٦".
func FormatDate(t time.Time, locale string) string {
	t = t.In(Riyadh())
	if locale == LocaleAR {
		return Digits(fmt.Sprintf("%d %s %d", t.Day(), arabicMonths[t.Month()-1], t.Year()), LocaleAR)
	}
	return t.Format("2 January 2006")
}
