package dialog

import (
	"strings"
	"sync"
	"unicode"

	"concierge/internal/arabic"
)

// This file is the one place that lists the keywords the engine understands.
//
// Matching is on tokens of the normalised text: arabic.Normalize (hamza
// forms, ى/ي, ة/ه, diacritics, tatweel, digits, lower case), then everything
// that is not a letter, digit or mark becomes a separator (punctuation, emoji),
// and a letter repeated three or more times counts once ("hiii", "هلااا").
// The phrases below go through the same steps, so they are written naturally,
// with hamza and taa marbuta.
//
// Two modes:
//
//   - whole: the message consists only of the intent's phrases plus polite
//     filler ("please", "لو سمحت", "ابي", ...) and greetings. "stop please"
//     and "مرحبا، القائمة لو سمحت" match; "stop the car" and "I want the menu
//     of your restaurant" do not. Messages longer than maxWholeTokens never
//     match.
//   - anywhere: a phrase occurs anywhere in the message ("ابي اكلم موظف عن
//     طلبي" asks for a person).
//
// Intents are tried in table order; the first match wins.

// intent is what a turn asks for, from its reply id or its text.
type intent int

const (
	intentNone       intent = iota
	intentStop              // withdraw consent, stop messages
	intentAgent             // talk to a person
	intentLangAR            // switch to Arabic
	intentLangEN            // switch to English
	intentLanguage          // show the language prompt
	intentMenu              // show the main menu
	intentHelp              // show the help text
	intentGreeting          // hello
	intentAgree             // consent granted
	intentDecline           // consent declined
	intentCapability        // a reply id owned by a capability (or by none)
	intentUnknownID         // a reply id nobody owns
)

// locale returns the language a language intent switches to, or "".
func (i intent) locale() string {
	switch i {
	case intentLangAR:
		return LocaleAR
	case intentLangEN:
		return LocaleEN
	}
	return ""
}

// idIntent routes a structured reply id.
func idIntent(id string) intent {
	switch id {
	case IDLangAR:
		return intentLangAR
	case IDLangEN:
		return intentLangEN
	case IDLanguage:
		return intentLanguage
	case IDConsentAgree:
		return intentAgree
	case IDConsentDecline:
		return intentDecline
	case IDMenu:
		return intentMenu
	case IDHandoff:
		return intentAgent
	case IDHelp:
		return intentHelp
	}
	if capabilityOf(id) != "" {
		return intentCapability
	}
	return intentUnknownID
}

type matchMode int

const (
	whole matchMode = iota
	anywhere
)

// maxWholeTokens is the longest message a whole-mode intent can match.
const maxWholeTokens = 12

// keywords are the intents recognised in free text, in priority order.
var keywords = []struct {
	intent  intent
	mode    matchMode
	phrases []string
}{
	{intentStop, whole, []string{
		"stop", "stop messages", "stop sending", "stop all", "unsubscribe", "opt out", "optout",
		"إيقاف", "ايقاف الرسائل", "توقف", "أوقف", "وقف", "وقف الرسائل", "أوقف الرسائل",
		"إلغاء الاشتراك", "لا ترسل", "لا ترسلوا", "ستوب",
	}},
	{intentAgent, anywhere, []string{
		"agent", "live agent", "human", "representative", "operator", "real person",
		"talk to a person", "speak to a person", "talk to someone", "speak to someone",
		"speak with someone", "talk with someone", "customer service", "customer support", "customer care",
		"موظف", "الموظف", "موظفة", "موظفين", "خدمة العملاء", "خدمة عملاء", "خدمة الزبائن",
		"ممثل", "ممثل خدمة", "شخص حقيقي", "إنسان", "بشري", "الدعم الفني",
		"كلم أحد", "أكلم أحد", "اتكلم مع أحد", "أكلم شخص",
	}},
	{intentLangAR, whole, []string{
		"arabic", "in arabic", "عربي", "العربي", "عربية", "العربية", "بالعربي", "اللغة العربية", "لغة عربية",
	}},
	{intentLangEN, whole, []string{
		"english", "in english", "eng", "إنجليزي", "انقليزي", "انكليزي", "الإنجليزي", "الإنجليزية",
		"إنجليزية", "بالإنجليزي", "بالانقليزي", "اللغة الإنجليزية",
	}},
	{intentLanguage, whole, []string{
		"language", "languages", "lang", "change language", "اللغة", "لغة", "اللغات", "تغيير اللغة", "غير اللغة",
	}},
	{intentMenu, whole, []string{
		"menu", "main menu", "start", "start over", "restart", "options", "home", "back",
		"القائمة", "قائمة", "القائمة الرئيسية", "الرئيسية", "المنيو", "منيو", "الخيارات", "خيارات",
		"ابدأ", "البداية", "رجوع",
	}},
	{intentHelp, whole, []string{
		"help", "i need help", "how does this work", "how it works",
		"مساعدة", "المساعدة", "ساعدني", "ساعدوني", "احتاج مساعدة", "كيف استخدم",
	}},
	{intentGreeting, whole, greetings},
}

// greetings are greeting phrases; in whole mode they are also allowed around
// any other intent ("hi, menu please").
var greetings = []string{
	"hi", "hello", "hey", "hiya", "howdy", "hala", "marhaba", "ahlan", "salam", "salaam",
	"salam alaikum", "assalamu alaikum", "assalamualaikum", "as salam alaikum", "asalamualaikum",
	"good morning", "good afternoon", "good evening", "how are you",
	"مرحبا", "مرحبتين", "السلام عليكم", "سلام عليكم", "السلام", "سلام", "وعليكم السلام",
	"أهلا", "اهلين", "أهلا وسهلا", "هلا", "هلا والله", "هلا وغلا", "يا هلا", "هلو", "هاي",
	"صباح الخير", "مساء الخير", "صباح النور", "مساء النور", "صباح الورد", "مساء الورد",
	"كيف الحال", "كيف حالك", "كيفك", "شلونك", "شلونكم",
}

// greetingTails may follow a greeting ("السلام عليكم ورحمة الله وبركاته",
// "hi there").
var greetingTails = []string{
	"ورحمة الله", "ورحمة الله وبركاته", "وبركاته", "there", "all", "everyone", "guys", "team",
	"dear", "sir", "madam", "الجميع", "جميعا", "فيك", "فيكم", "بك", "بكم", "والله", "حبيبي", "أخوي", "أخي",
}

// fillers are polite words allowed around any whole-mode phrase.
var fillers = []string{
	"please", "pls", "plz", "kindly", "ok", "okay", "thanks", "thank you",
	"i want", "i need", "i would like", "can you", "can i", "could you", "show me", "show", "send me",
	"go to", "go", "to", "the", "me", "my", "now", "again", "i",
	"لو سمحت", "لوسمحت", "من فضلك", "رجاء", "ممكن", "أبي", "أبغى", "ابغا", "أريد", "بغيت", "ودي",
	"عطني", "أعطني", "أرسل", "ارسل لي", "الحين", "الآن", "لو تكرمت", "يا", "طال عمرك",
	"الله يعافيك", "تكفى", "مرة ثانية", "شكرا",
}

// consentAgree and consentDecline are typed answers to the consent request;
// they count only right after the request was shown.
var (
	consentAgree = []string{
		"agree", "i agree", "yes", "yes i agree", "accept", "i accept",
		"موافق", "موافقة", "أوافق", "انا موافق", "نعم", "نعم موافق", "ايوه", "ايوا",
	}
	consentDecline = []string{
		"decline", "i decline", "no", "disagree", "i disagree", "i do not agree", "i don't agree", "don't agree",
		"لا", "لا أوافق", "غير موافق", "مو موافق", "ما أوافق", "أرفض", "رفض",
	}
)

// Phrases are a capability's keywords (Keyworded), matched as the built-in
// whole-mode intents are: the text, normalised and split into words, must
// consist only of the phrases plus polite filler and greetings, and at most
// maxWholeTokens words ("السلة", "show my cart please", "ابي اشوف السلة"
// with "اشوف السلة" a phrase). The zero value matches nothing.
type Phrases struct{ phrases [][]string }

// NewPhrases compiles phrases (written naturally, with hamza and taa
// marbuta: they go through the same normalisation as the text).
func NewPhrases(phrases ...string) Phrases { return Phrases{phrases: tokenizeAll(phrases)} }

// Match reports whether text is one of the phrases, with polite filler.
func (p Phrases) Match(text string) bool {
	if len(p.phrases) == 0 {
		return false
	}
	return onlyOf(tokenize(text), p.phrases, politeWords())
}

// politeWords are the fillers, greetings and greeting tails allowed around
// a whole-mode phrase, tokenised once.
var politeWords = sync.OnceValue(func() [][]string {
	return concat(tokenizeAll(fillers), tokenizeAll(greetings), tokenizeAll(greetingTails))
})

// matcher recognises intents in text. It is built once per Engine.
type matcher struct {
	rules   []rule
	agree   [][]string
	decline [][]string
	polite  [][]string // fillers, greetings and greeting tails
}

type rule struct {
	intent  intent
	mode    matchMode
	phrases [][]string
	extra   [][]string // allowed around the phrases in whole mode
}

func newMatcher() *matcher {
	m := &matcher{
		agree:   tokenizeAll(consentAgree),
		decline: tokenizeAll(consentDecline),
	}
	fill := tokenizeAll(fillers)
	tails := tokenizeAll(greetingTails)
	greet := tokenizeAll(greetings)
	m.polite = concat(fill, greet, tails)
	for _, k := range keywords {
		r := rule{intent: k.intent, mode: k.mode, phrases: tokenizeAll(k.phrases), extra: m.polite}
		if k.intent == intentGreeting {
			r.extra = concat(fill, tails)
		}
		m.rules = append(m.rules, r)
	}
	return m
}

// intent returns the first intent whose keywords match text.
func (m *matcher) intent(text string) intent {
	toks := tokenize(text)
	if len(toks) == 0 {
		return intentNone
	}
	for _, r := range m.rules {
		switch r.mode {
		case whole:
			if onlyOf(toks, r.phrases, r.extra) {
				return r.intent
			}
		case anywhere:
			if containsAny(toks, r.phrases) {
				return r.intent
			}
		}
	}
	return intentNone
}

// consentAnswer returns intentAgree or intentDecline for a typed answer to
// the consent request, or intentNone.
func (m *matcher) consentAnswer(text string) intent {
	toks := tokenize(text)
	switch {
	case onlyOf(toks, m.agree, m.polite):
		return intentAgree
	case onlyOf(toks, m.decline, m.polite):
		return intentDecline
	}
	return intentNone
}

// tokenize normalises text and splits it into words (see the top of this
// file).
func tokenize(text string) []string {
	n := arabic.Normalize(text)
	words := strings.FieldsFunc(n, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	for i, w := range words {
		words[i] = collapseRepeats(w)
	}
	return words
}

// collapseRepeats writes a letter repeated three or more times once:
// "hiii" → "hi", "هلاااا" → "هلا". Doubled letters ("hello") and digits
// ("1000") are kept.
func collapseRepeats(w string) string {
	r := []rune(w)
	out := r[:0:0]
	for i := 0; i < len(r); {
		j := i
		for j < len(r) && r[j] == r[i] {
			j++
		}
		if j-i >= 3 && unicode.IsLetter(r[i]) {
			out = append(out, r[i])
		} else {
			out = append(out, r[i:j]...)
		}
		i = j
	}
	return string(out)
}

func tokenizeAll(phrases []string) [][]string {
	out := make([][]string, 0, len(phrases))
	for _, p := range phrases {
		if t := tokenize(p); len(t) > 0 {
			out = append(out, t)
		}
	}
	return out
}

func concat(lists ...[][]string) [][]string {
	var out [][]string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// onlyOf reports whether toks can be cut into phrases and extras with at least
// one phrase.
func onlyOf(toks []string, phrases, extras [][]string) bool {
	n := len(toks)
	if n == 0 || n > maxWholeTokens {
		return false
	}
	// reach[i][1]: toks[:i] is covered and contains a phrase; reach[i][0]: covered.
	reach := make([][2]bool, n+1)
	reach[0][0] = true
	for i := range n {
		for hit := range 2 {
			if !reach[i][hit] {
				continue
			}
			for _, p := range phrases {
				if hasAt(toks, i, p) {
					reach[i+len(p)][1] = true
				}
			}
			for _, p := range extras {
				if hasAt(toks, i, p) {
					reach[i+len(p)][hit] = true
				}
			}
		}
	}
	return reach[n][1]
}

// containsAny reports whether any phrase occurs in toks.
func containsAny(toks []string, phrases [][]string) bool {
	for i := range toks {
		for _, p := range phrases {
			if hasAt(toks, i, p) {
				return true
			}
		}
	}
	return false
}

// hasAt reports whether phrase p occurs in toks at position i.
func hasAt(toks []string, i int, p []string) bool {
	if i+len(p) > len(toks) {
		return false
	}
	for j, w := range p {
		if toks[i+j] != w {
			return false
		}
	}
	return true
}
