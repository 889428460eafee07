package dialog

import (
	"maps"
	"slices"
)

// defaults holds every text the engine shows, key → locale → text. Tenants
// override any of them through Overrides. Placeholders:
//
//	{store}           the store name in the text's language (Tenant.NameAR / NameEN)
//	{privacy_url}     Tenant.PrivacyURL
//	{notice_version}  Tenant.NoticeVersion
//	{name}            Customer.Name (unused by the defaults)
//
// Button titles stay within MaxButtonTitle runes and list row titles within
// MaxListTitle (a test holds them to it); longer overrides are cut with "…".
var defaults = map[string]map[string]string{
	// The language prompt is shown in both languages at once, the suggested
	// (or the tenant's default) language first.
	"language.prompt": {
		"ar": "أهلًا بك في {store}! اختر اللغة التي تفضّلها:",
		"en": "Welcome to {store}! Please choose your language:",
	},
	"language.change": {
		"ar": "اختر اللغة التي تفضّلها:",
		"en": "Please choose your language:",
	},
	// Button titles: each language is named in itself, whatever the locale.
	"language.option.ar": {
		"ar": "العربية",
		"en": "العربية",
	},
	"language.option.en": {
		"ar": "English",
		"en": "English",
	},
	"language.set": {
		"ar": "تم، سنكمل معك بالعربية.",
		"en": "Done — we'll continue in English.",
	},

	// Consent (PDPL): the purposes, the notice and a clear question.
	"consent.request": {
		"ar": "قبل أن نبدأ نحتاج موافقتك. يستخدم {store} رقمك ورسائلك من أجل:\n" +
			"• الرد على استفساراتك\n" +
			"• استلام طلباتك وتوصيلها\n" +
			"• إرسال تحديثات طلباتك\n\n" +
			"التفاصيل في إشعار الخصوصية (الإصدار {notice_version}):\n{privacy_url}\n\n" +
			"هل توافق؟",
		"en": "Before we start, we need your consent. {store} uses your number and messages to:\n" +
			"• answer your questions\n" +
			"• take and deliver your orders\n" +
			"• send you order updates\n\n" +
			"Details are in our privacy notice (version {notice_version}):\n{privacy_url}\n\n" +
			"Do you agree?",
	},
	"consent.reminder": {
		"ar": "للمتابعة نحتاج موافقتك على استخدام بياناتك كما يوضّح إشعار الخصوصية:\n{privacy_url}",
		"en": "To continue, we need your consent to use your data as described in our privacy notice:\n{privacy_url}",
	},
	"consent.agree": {
		"ar": "موافق",
		"en": "I agree",
	},
	"consent.decline": {
		"ar": "لا أوافق",
		"en": "I don't agree",
	},
	"consent.declined": {
		"ar": "لا مشكلة، لن نستخدم بياناتك. يسعدنا تواصلك معنا مرة أخرى في أي وقت.",
		"en": "No problem — we won't use your data. You're welcome to write to us again anytime.",
	},
	"stop.confirm": {
		"ar": "تم إيقاف الرسائل وسحب موافقتك، ولن نراسلك بعد الآن. إذا أردت العودة فأرسل «مرحبا» في أي وقت.",
		"en": "Done — messages are stopped and your consent is withdrawn; we won't message you again. To come back, send \"hi\" anytime.",
	},

	// Main menu.
	"welcome": {
		"ar": "أهلًا بك في {store}! كيف يمكننا خدمتك اليوم؟",
		"en": "Welcome to {store}! How can we help you today?",
	},
	"menu.body": {
		"ar": "كيف يمكننا خدمتك؟ اختر من القائمة:",
		"en": "How can we help? Choose an option:",
	},
	"menu.button": {
		"ar": "القائمة",
		"en": "Menu",
	},
	"menu.handoff": {
		"ar": "التحدث مع موظف",
		"en": "Talk to a person",
	},
	"menu.handoff.desc": {
		"ar": "سيرد عليك أحد أعضاء فريقنا",
		"en": "A member of our team will reply",
	},
	"menu.language": {
		"ar": "اللغة",
		"en": "Language",
	},
	"menu.language.desc": {
		"ar": "العربية / English",
		"en": "العربية / English",
	},
	"menu.help": {
		"ar": "مساعدة",
		"en": "Help",
	},
	"menu.help.desc": {
		"ar": "كيف تستخدم هذه المحادثة",
		"en": "How this chat works",
	},
	"fallback": {
		"ar": "عذرًا، لم أفهم رسالتك. اختر من القائمة، أو أرسل «موظف» للتحدث مع أحد أعضاء فريقنا.",
		"en": "Sorry, I didn't understand that. Choose an option, or send \"agent\" to talk to a member of our team.",
	},
	"help": {
		"ar": "أنا المساعد الآلي في {store}، ويمكنك مراسلتي بالعربية أو الإنجليزية:\n" +
			"• «القائمة» لعرض الخيارات\n" +
			"• «موظف» للتحدث مع أحد أعضاء فريقنا\n" +
			"• «اللغة» لتغيير اللغة\n" +
			"• «إيقاف» لإيقاف الرسائل وسحب موافقتك",
		"en": "I'm the automated assistant of {store}. You can write to me in Arabic or English:\n" +
			"• \"menu\" to see the options\n" +
			"• \"agent\" to talk to a member of our team\n" +
			"• \"language\" to change the language\n" +
			"• \"stop\" to stop messages and withdraw your consent",
	},

	// Hand-off to a person.
	"handoff.ack": {
		"ar": "تم، سيرد عليك أحد أعضاء فريقنا هنا قريبًا.",
		"en": "Sure — a member of our team will reply here soon.",
	},
	// Sent by the conversation worker, not the engine, when staff hand the
	// conversation back to the assistant.
	"handoff.resumed": {
		"ar": "عاد المساعد الآلي لخدمتك. لعرض الخيارات أرسل «القائمة».",
		"en": "The automated assistant is back. To see the options, send \"menu\".",
	},
	"handoff.waiting": {
		"ar": "وصلتنا رسالتك، وسيرد عليك أحد أعضاء فريقنا هنا قريبًا. لعرض الخيارات أرسل «القائمة».",
		"en": "Got it — a member of our team will reply here soon. To see the options, send \"menu\".",
	},

	// Messages the engine cannot read.
	"media.received": {
		"ar": "شكرًا! لا نستطيع قراءة المرفقات آليًا بعد، وسيطّلع عليها أحد أعضاء فريقنا إذا لزم الأمر.",
		"en": "Thanks! We can't read attachments automatically yet; a member of our team will take a look if needed.",
	},
	"location.received": {
		"ar": "شكرًا، وصلنا موقعك.",
		"en": "Thanks, we've received your location.",
	},
	"order.received": {
		"ar": "شكرًا! وصلنا طلبك، وسيتواصل معك أحد أعضاء فريقنا قريبًا لتأكيده.",
		"en": "Thanks! We've received your order request; a member of our team will be in touch soon to confirm it.",
	},
	"unsupported": {
		"ar": "عذرًا، لا نستطيع قراءة هذا النوع من الرسائل بعد. أرسل لنا رسالة نصية من فضلك.",
		"en": "Sorry, we can't read this type of message yet. Please send us a text message.",
	},
}

// DefaultTexts returns a copy of the default texts, key → locale → text, for
// the admin UI to list next to the tenant's overrides.
func DefaultTexts() map[string]map[string]string {
	out := make(map[string]map[string]string, len(defaults))
	for k, v := range defaults {
		out[k] = maps.Clone(v)
	}
	return out
}

// Keys returns the text keys in sorted order.
func Keys() []string {
	return slices.Sorted(maps.Keys(defaults))
}
