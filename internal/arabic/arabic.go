// Package arabic is the one text normaliser of Concierge: the form that
// customer messages, keywords and catalog text are compared in.
//
// Normalize is for matching only. Its output is never shown to a person: it
// drops diacritics and merges letters that a careful writer keeps apart (ة and
// ه, ى and ي), because customers typing on a phone do not keep them apart.
// Both sides of a comparison must go through it.
//
// The steps, in order:
//
//  1. Invalid UTF-8 bytes become U+FFFD.
//  2. Unicode NFKC: presentation forms and ligatures become plain letters
//     (ﻻ → لا, ﷲ → الله), full-width Latin becomes ASCII (Ｈｉ → Hi), a letter
//     and its combining hamza are composed (ا + ◌ٔ → أ).
//  3. Rune by rune, the rules below.
//  4. Unicode NFC again, so that removing a mark never leaves a sequence that
//     a second pass would compose (this keeps Normalize idempotent).
//
// Steps 2 and 4 are skipped for text of ASCII and plain Arabic letters, where
// they cannot change the result (a test holds both paths equal); such text
// costs one allocation.
//
// The rune rules of step 3:
//
//   - Every whitespace rune (unicode.IsSpace: tabs, new lines, NBSP, ...) is
//     a separator; runs collapse to one ASCII space, ends are trimmed.
//   - Tatweel (ـ U+0640, the stretching stroke) and invisible format
//     characters are removed: bidi marks and controls (ALM U+061C, LRM, RLM,
//     U+202A–U+202E, U+2066–U+2069), zero-width space and non-joiner
//     (U+200B, U+200C), the byte order mark (U+FEFF) and the soft hyphen
//     (U+00AD). The zero-width joiner (U+200D) is kept: it binds emoji
//     sequences.
//   - Every non-spacing mark (category Mn) of the Arabic blocks is removed:
//     the harakat U+064B–U+065F (tanween, fatha, damma, kasra, shadda,
//     sukun, maddah, hamza above and below, ...), the superscript alef
//     U+0670 and the Quranic annotation marks (U+0610–U+061A,
//     U+06D6–U+06DC, U+06DF–U+06E4, U+06E7–U+06E8, U+06EA–U+06ED,
//     U+08CA–U+08FF but U+08E2). Quranic signs that are not marks (۝ end of
//     ayah, ۞) are kept.
//   - Letter forms are unified (see below).
//   - Arabic-Indic (٠–٩) and Extended Arabic-Indic/Persian (۰–۹) digits
//     become ASCII 0–9.
//   - The Arabic comma ، semicolon ؛ question mark ؟ percent sign ٪ and the
//     Arabic decimal and thousands separators ٫ ٬ become , ; ? % . and ,
//     ("١٬٢٥٠٫٥٠" → "1,250.50").
//   - Everything else is lower-cased with unicode.ToLower (Latin, Greek,
//     Cyrillic, ...; Arabic has no case) and otherwise kept: punctuation,
//     symbols and emoji stay.
//
// Letter unification, and why:
//
//   - أ إ آ ٱ → ا: hamza and madda on alef are routinely omitted in chat
//     ("احمد" for "أحمد", "اسف" for "آسف"); wasla (ٱ) only appears in pasted
//     Quranic text.
//   - ى → ي: alef maqsura and final yaa are written interchangeably in the
//     Gulf and Egypt ("مستشفى"/"مستشفي").
//   - ة → ه: taa marbuta is commonly typed as haa ("مدرسه"); the reverse
//     merge would wrongly change every final haa ("الله").
//   - ؤ → و and ئ → ي: the hamza seat is dropped in casual spelling
//     ("مسوول", "شاطي"). A standalone hamza (ء) is a letter of its own and
//     is kept.
//   - ی (Persian yeh, U+06CC) → ي and ک (keheh, U+06A9) → ك: phones with a
//     Persian or Urdu keyboard layout produce them for the same sounds; the
//     text looks identical to an Arabic reader.
package arabic

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in matching form (see the package documentation).
// It is idempotent: Normalize(Normalize(s)) == Normalize(s), and its result
// is always valid UTF-8.
func Normalize(s string) string {
	if isPlain(s) {
		return mapRunes(s)
	}
	return normalizeFull(s)
}

// normalizeFull is Normalize with both Unicode normalisation passes.
func normalizeFull(s string) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	s = norm.NFKC.String(s)
	s = mapRunes(s)
	return norm.NFC.String(s)
}

// DigitsToASCII replaces Arabic-Indic (٠–٩, U+0660–U+0669) and Extended
// Arabic-Indic/Persian (۰–۹, U+06F0–U+06F9) digits with ASCII digits and
// leaves every other rune as it is: "٣ قطع" → "3 قطع", "۴" → "4".
func DigitsToASCII(s string) string {
	if !strings.ContainsFunc(s, isEasternDigit) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if d, ok := asciiDigit(r); ok {
			return d
		}
		return r
	}, s)
}

// IsArabic reports whether s is written mainly in Arabic script.
//
// Letters decide: s is Arabic when it has more Arabic-script letters than
// letters of any other script together ("hi مرحبا" is Arabic, "iPhone ١٥ سعر"
// is not). On a tie the first letter decides ("كلام word" is Arabic,
// "word كلام" is not). A text without letters is Arabic when it contains
// an Arabic-Indic or Persian digit or Arabic punctuation ("٣", "؟"), so a bare
// quantity typed on an Arabic keyboard counts as Arabic. Empty text is not
// Arabic.
func IsArabic(s string) bool {
	var arabicLetters, otherLetters int
	first := 0 // +1: first letter Arabic, -1: first letter other script
	arabicMark := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			if unicode.Is(unicode.Arabic, r) {
				arabicLetters++
				if first == 0 {
					first = 1
				}
			} else {
				otherLetters++
				if first == 0 {
					first = -1
				}
			}
		case isEasternDigit(r), r == '،', r == '؛', r == '؟', r == '٪':
			arabicMark = true
		}
	}
	switch {
	case arabicLetters > otherLetters:
		return true
	case arabicLetters < otherLetters:
		return false
	case arabicLetters > 0:
		return first > 0
	default:
		return arabicMark
	}
}

// mapRunes is step 3 of Normalize: whitespace collapse, removal of format
// characters and Arabic marks, letter unification, digits, punctuation and
// lower case.
func mapRunes(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a separator is pending
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		m, keep := mapRune(r)
		if !keep {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(m)
	}
	return b.String()
}

// mapRune returns the replacement of one non-space rune, or false when the
// rune is removed.
func mapRune(r rune) (rune, bool) {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A'), true
		}
		return r, true
	case isArabicBlock(r):
		return mapArabic(r)
	case isInvisible(r):
		return 0, false
	}
	return unicode.ToLower(r), true
}

// mapArabic maps a rune of the Arabic blocks: Arabic has no case, so only the
// removals, letter forms, digits and punctuation apply.
func mapArabic(r rune) (rune, bool) {
	if d, ok := asciiDigit(r); ok {
		return d, true
	}
	switch r {
	case 'ـ', 0x061C, 0xFEFF: // tatweel, Arabic letter mark, byte order mark
		return 0, false
	case 'أ', 'إ', 'آ', 'ٱ':
		return 'ا', true
	case 'ى', 'ی':
		return 'ي', true
	case 'ة':
		return 'ه', true
	case 'ؤ':
		return 'و', true
	case 'ئ':
		return 'ي', true
	case 'ک':
		return 'ك', true
	case '،':
		return ',', true
	case '؛':
		return ';', true
	case '؟':
		return '?', true
	case '٪':
		return '%', true
	case '٫':
		return '.', true
	case '٬':
		return ',', true
	}
	// Harakat (U+064B–U+065F), superscript alef (U+0670) and the Quranic
	// marks are all non-spacing marks of these blocks.
	if unicode.Is(unicode.Mn, r) {
		return 0, false
	}
	return r, true
}

// isInvisible reports whether r is an invisible format character outside
// the Arabic blocks that Normalize removes.
func isInvisible(r rune) bool {
	return r == 0x00AD || // soft hyphen
		r == 0x200B || r == 0x200C || // zero-width space, non-joiner
		r == 0x200E || r == 0x200F || // LRM, RLM
		0x202A <= r && r <= 0x202E || // bidi embeddings and overrides
		0x2066 <= r && r <= 0x2069 // bidi isolates
}

// isArabicBlock reports whether r is in one of the Arabic Unicode blocks
// (Arabic, Supplement, Extended-A/B, presentation forms).
func isArabicBlock(r rune) bool {
	return 0x0600 <= r && r <= 0x06FF ||
		0x0750 <= r && r <= 0x077F ||
		0x0870 <= r && r <= 0x08FF ||
		0xFB50 <= r && r <= 0xFDFF ||
		0xFE70 <= r && r <= 0xFEFF
}

// isEasternDigit reports whether r is an Arabic-Indic or Persian digit.
func isEasternDigit(r rune) bool {
	return 0x0660 <= r && r <= 0x0669 || 0x06F0 <= r && r <= 0x06F9
}

// asciiDigit maps an Arabic-Indic or Persian digit to its ASCII digit.
func asciiDigit(r rune) (rune, bool) {
	switch {
	case 0x0660 <= r && r <= 0x0669:
		return '0' + (r - 0x0660), true
	case 0x06F0 <= r && r <= 0x06F9:
		return '0' + (r - 0x06F0), true
	}
	return r, false
}

// isPlain reports whether s holds only ASCII and Arabic-block runes on which
// NFKC and NFC cannot change the result of mapRunes: the only compositions
// and decompositions in the Arabic block involve maddah and hamza above/below
// (U+0653–U+0655) and the high-hamza letters (U+0675–U+0678); every other
// combining mark there is removed, so reordering marks is moot. Most chat
// text takes this path and skips both normalisation passes.
func isPlain(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 0x0600 || r > 0x06FF || 0x0653 <= r && r <= 0x0655 || 0x0675 <= r && r <= 0x0678 {
			return false
		}
		i += size
	}
	return true
}
