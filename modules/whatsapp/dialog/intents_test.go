package dialog

import "testing"

func TestIntent(t *testing.T) {
	t.Parallel()
	m := newMatcher()
	tests := []struct {
		text string
		want intent
	}{
		// greetings
		{"hi", intentGreeting},
		{"Hiii!!", intentGreeting},
		{"Hello there 👋", intentGreeting},
		{"hey", intentGreeting},
		{"salam", intentGreeting},
		{"Good morning", intentGreeting},
		{"مرحبا", intentGreeting},
		{"مرحباً", intentGreeting},
		{"مـــرحبا", intentGreeting},
		{"مَرْحَبًا", intentGreeting},
		{"السلام عليكم", intentGreeting},
		{"السلام عليكم ورحمة الله وبركاته", intentGreeting},
		{"السلام عليكم ورحمه الله وبركاته", intentGreeting},
		{"وعليكم السلام", intentGreeting},
		{"أهلا", intentGreeting},
		{"اهلا وسهلا", intentGreeting},
		{"هلا", intentGreeting},
		{"هلاااا والله", intentGreeting},
		{"صباح الخير", intentGreeting},
		{"شلونك", intentGreeting},
		{"hi, do you have dates?", intentNone},
		{"مرحبا عندكم تمر؟", intentNone},

		// menu
		{"menu", intentMenu},
		{"MENU please", intentMenu},
		{"start", intentMenu},
		{"القائمة", intentMenu},
		{"القائمه", intentMenu},
		{"قائمة", intentMenu},
		{"القائمة لو سمحت", intentMenu},
		{"مرحبا، القائمة لو سمحت", intentMenu},
		{"show me the menu", intentMenu},
		{"I want the menu of your restaurant", intentNone},

		// help
		{"help", intentHelp},
		{"Help me", intentHelp},
		{"help?", intentHelp},
		{"مساعدة", intentHelp},
		{"مساعده", intentHelp},
		{"ساعدني", intentHelp},
		{"ممكن مساعدة", intentHelp},
		{"help with my order 1234", intentNone},

		// language
		{"language", intentLanguage},
		{"change language", intentLanguage},
		{"اللغة", intentLanguage},
		{"تغيير اللغة", intentLanguage},
		{"english", intentLangEN},
		{"English please", intentLangEN},
		{"in English", intentLangEN},
		{"إنجليزي", intentLangEN},
		{"انجليزي", intentLangEN},
		{"بالانجليزي لو سمحت", intentLangEN},
		{"عربي", intentLangAR},
		{"العربية", intentLangAR},
		{"عربى", intentLangAR},
		{"Arabic", intentLangAR},
		{"do you sell english tea", intentNone},

		// stop
		{"stop", intentStop},
		{"STOP", intentStop},
		{"Stop.", intentStop},
		{"stop please", intentStop},
		{"unsubscribe", intentStop},
		{"إيقاف", intentStop},
		{"ايقاف", intentStop},
		{"توقف", intentStop},
		{"ايقاف الرسائل", intentStop},
		{"إلغاء الاشتراك", intentStop},
		{"I want to stop", intentStop},
		{"stop the delivery of order 55", intentNone},
		{"don't stop", intentNone},

		// agent
		{"agent", intentAgent},
		{"human please", intentAgent},
		{"I want to talk to a person", intentAgent},
		{"can I speak to someone about my order", intentAgent},
		{"customer service", intentAgent},
		{"موظف", intentAgent},
		{"كلم موظف", intentAgent},
		{"ابي اكلم موظف عن طلبي", intentAgent},
		{"أبغى أكلم أحد", intentAgent},
		{"خدمة العملاء", intentAgent},
		{"خدمه العملاء", intentAgent},
		{"التحدث مع موظف", intentAgent},

		// nothing
		{"", intentNone},
		{"   ", intentNone},
		{"👍", intentNone},
		{"كم سعر التمر؟", intentNone},
		{"iPhone ١٥", intentNone},
		{"1000", intentNone},
		{"موافق", intentNone}, // consent answers are matched separately
	}
	for _, tc := range tests {
		if got := m.intent(tc.text); got != tc.want {
			t.Errorf("intent(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestConsentAnswer(t *testing.T) {
	t.Parallel()
	m := newMatcher()
	tests := []struct {
		text string
		want intent
	}{
		{"موافق", intentAgree},
		{"أوافق", intentAgree},
		{"اوافق", intentAgree},
		{"نعم موافق", intentAgree},
		{"I agree", intentAgree},
		{"yes", intentAgree},
		{"Yes, I agree.", intentAgree},
		{"ok i agree", intentAgree},
		{"لا أوافق", intentDecline},
		{"لا اوافق", intentDecline},
		{"لا", intentDecline},
		{"لا شكرا", intentDecline},
		{"no", intentDecline},
		{"No thanks", intentDecline},
		{"I don't agree", intentDecline},
		{"I do not agree", intentDecline},
		{"ok", intentNone},
		{"maybe", intentNone},
		{"yes but what is this", intentNone},
		{"كم السعر", intentNone},
	}
	for _, tc := range tests {
		if got := m.consentAnswer(tc.text); got != tc.want {
			t.Errorf("consentAnswer(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestCollapseRepeats(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"hiii": "hi", "hello": "hello", "هلااا": "هلا", "1000": "1000", "aaa": "a", "": "",
	} {
		if got := collapseRepeats(in); got != want {
			t.Errorf("collapseRepeats(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCapabilityOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"menu:cart": "cart", "cart:add:12": "cart", "menu": "", "cart": "", "handoff": "",
		"cart:qty": "cart", "menu:cart:x": "cart", "": "", "lang:ar": "lang",
	} {
		if got := capabilityOf(in); got != want {
			t.Errorf("capabilityOf(%q) = %q, want %q", in, got, want)
		}
	}
}
