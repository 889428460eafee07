// Package dialog is the WhatsApp conversation engine: one customer message in,
// the bot's replies, the next conversation state and the side effects out.
//
//	eng := dialog.NewWithWords(words, catalogFlows, cartFlows) // capabilities register here
//	res, err := eng.Handle(ctx, dialog.Request{Tenant: t, Customer: c, State: s, In: in, Now: now})
//	// send res.Replies, persist res.State (JSON), apply res.Effects to the customer
//
// Handle is pure and deterministic: it reads only its Request, its words
// (the tenant's text overrides and the message catalog) and the
// capabilities, touches no database and no clock. The caller
// (the conversation worker) owns persistence: it stores State as JSON, applies
// Effects (locale_set → customer locale, consent_* → a consent record,
// data_minimise → erase what the conversation no longer needs,
// handoff_requested → the staff inbox) and sends Replies through the WhatsApp
// adapter, which enforces the Cloud API limits.
//
// # Flow
//
// PDPL consent comes first. Until the customer has chosen a language and
// granted consent, nothing they send is processed beyond that:
//
//  1. First contact (no locale yet): a bilingual language prompt with the
//     buttons العربية / English (lang:ar, lang:en). If the first message is
//     clearly Arabic or English that language is written first, but the
//     customer still chooses. Typing a language name ("عربي", "English")
//     also chooses.
//  2. Language chosen: effect locale_set, then the consent request in that
//     language: the purposes (answering questions, taking and delivering
//     orders, order updates), the tenant's privacy notice link and version,
//     and the buttons Agree / Decline (consent:agree, consent:decline). While
//     waiting, any other message re-sends a short form of the request.
//  3. Agree: effect consent_granted, then the welcome with the main menu —
//     or, when a text sent before consent is one a Preemptive capability
//     claims (a storefront chat code), that capability's answer to it.
//     Decline: effects consent_declined and data_minimise, and a polite
//     goodbye; writing again starts the consent request again.
//  4. STOP (stop, unsubscribe, إيقاف, توقف, ...) at any time: effects
//     consent_withdrawn and data_minimise, and a confirmation. A later message
//     (a greeting, say) starts the consent request again; the locale is kept.
//
// After consent a turn is routed in this order (STOP always first):
//
//  0. a typed text a Preemptive capability claims (the storefront's chat
//     codes, "[#P-…]", "[#C-…]"): that capability;
//  1. by reply id (buttons, list rows, template buttons): lang:ar, lang:en,
//     lang (language prompt), consent:agree, consent:decline (withdraws
//     consent), menu, menu:<capability>, handoff, help, and <capability>:...
//     for a registered capability;
//  2. by keyword intent on the normalised text (see intents.go): stop, agent,
//     language, menu, help, greeting;
//  3. by the capabilities, in registration order, the one whose name prefixes
//     State.Step first — and before it, for a typed text made only of a
//     capability's keywords (Keyworded: "السلة", "view cart"), that
//     capability: a capability claims the turn by returning true;
//  4. by message kind: text → "didn't understand" with the menu (or "a person
//     will reply soon" while a hand-off is pending); image, document, audio,
//     video, sticker → "a person will look if needed"; location → "received";
//     order → "we received your order request" with a hand-off (until a
//     capability claims orders); reaction → no reply; anything else → "we
//     can't read this yet".
//
// The main menu is built from the capabilities' menu entries plus three
// built-in entries: talk to a person (handoff), language (lang) and help
// (help). Three entries or fewer are sent as reply buttons, more as a list.
//
// # Texts
//
// Every text a person sees is looked up through Words: the tenant's override
// (Overrides) of a key like "consent.request", else the catalog's message
// "bot.consent.request" (internal/i18n/messages/bot.ar.toml and
// bot.en.toml), with placeholders {store}, {privacy_url}, {notice_version}
// and {name}. DefaultTexts and Keys list them for the admin UI.
//
// # State
//
// State is the one persisted type (JSON). The engine keeps its own keys in
// State.Data under the "dialog." prefix; a capability keeps its keys under
// "<name>." and its steps as "<name>:<step>". Consent itself is not kept in
// State: Customer.Consent, fed from the consent records, is the source of truth.
package dialog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"concierge/internal/arabic"
)

// StateVersion is the version of the State format that Handle writes.
const StateVersion = 1

// Inbound kinds, as the channel adapter fills Inbound.Kind.
const (
	KindText           = "text"
	KindButtonReply    = "button_reply"
	KindListReply      = "list_reply"
	KindTemplateButton = "template_button"
	KindLocation       = "location"
	KindImage          = "image"
	KindDocument       = "document"
	KindAudio          = "audio"
	KindVideo          = "video"
	KindSticker        = "sticker"
	KindOrder          = "order"
	KindReaction       = "reaction"
	KindUnknown        = "unknown"
)

// Locales the engine speaks.
const (
	LocaleAR = "ar"
	LocaleEN = "en"
)

// Customer consent states (Customer.Consent).
const (
	ConsentUnknown   = "unknown"
	ConsentGranted   = "granted"
	ConsentDeclined  = "declined"
	ConsentWithdrawn = "withdrawn"
)

// Steps the engine itself writes to State.Step. Capabilities write
// "<name>:<step>".
const (
	StepLanguage = "language" // waiting for a language choice
	StepConsent  = "consent"  // waiting for agree / decline
	StepMenu     = "menu"     // consented, idle at the main menu
	StepHandoff  = "handoff"  // a person has been asked to reply
	StepDeclined = "declined" // the customer declined consent
	StepStopped  = "stopped"  // the customer sent STOP
)

// Reply kinds (Reply.Kind).
const (
	ReplyText    = "text"
	ReplyButtons = "buttons"
	ReplyList    = "list"
	ReplyCTAURL  = "cta_url"
	ReplyImage   = "image"
	// ReplyProduct is one product of the tenant's Meta catalog (CatalogID)
	// with an optional Body; ProductRetailerID is its retailer id (the SKU).
	ReplyProduct = "product"
	// ReplyProductList is products of the tenant's Meta catalog (CatalogID)
	// in titled Sections, with a Header (required by WhatsApp) and a Body.
	ReplyProductList = "product_list"
)

// Effect kinds (Effect.Kind).
const (
	// EffectLocaleSet: the customer chose a language; Value is "ar" or "en".
	EffectLocaleSet = "locale_set"
	// EffectConsentGranted: record consent for the purposes in the consent
	// request; Value is the privacy notice version shown with the request.
	EffectConsentGranted = "consent_granted"
	// EffectConsentDeclined: record the refusal; Value is the notice version
	// shown with the request.
	EffectConsentDeclined = "consent_declined"
	// EffectConsentWithdrawn: record the withdrawal (STOP); Value is the
	// notice version.
	EffectConsentWithdrawn = "consent_withdrawn"
	// EffectHandoffRequested: put the conversation in the staff inbox; Value
	// is "customer" when the customer asked for a person and "order" when an
	// order request needs one.
	EffectHandoffRequested = "handoff_requested"
	// EffectDataMinimise: keep only what is needed to honour the customer's
	// choice (phone, locale, consent record); erase the rest.
	EffectDataMinimise = "data_minimise"
	// EffectPurposeConsent: record the customer's consent to one more
	// purpose in the consent ledger (checkout: "order_fulfilment", the
	// data an order uses and why); Value is "<purpose>@<notice version>".
	// The conversation's general consent is unchanged.
	EffectPurposeConsent = "purpose_consent"
	// EffectFunnel: a step of the sales funnel the turn took, for the
	// store's analytics; Value is "<step>" or "<step>:<product id>"
	// (product_viewed, search, cart_added, checkout_started). Recording it
	// never changes the turn.
	EffectFunnel = "funnel"
)

// Funnel adds a funnel step to res (EffectFunnel); productID may be "".
func Funnel(res *Result, step, productID string) {
	v := step
	if productID != "" {
		v += ":" + productID
	}
	res.Effects = append(res.Effects, Effect{Kind: EffectFunnel, Value: v})
}

// Structured reply ids the engine itself answers. A capability's ids start
// with "<name>:"; its menu entry is "menu:<name>".
const (
	IDLangAR         = "lang:ar"
	IDLangEN         = "lang:en"
	IDLanguage       = "lang" // show the language prompt
	IDConsentAgree   = "consent:agree"
	IDConsentDecline = "consent:decline"
	IDMenu           = "menu"
	IDHandoff        = "handoff"
	IDHelp           = "help"
	// IDMenuPrefix prefixes a capability's menu entry: "menu:<name>".
	IDMenuPrefix = "menu:"
)

// Limits the engine keeps to (the WhatsApp adapter enforces the Cloud API's
// own limits as well).
const (
	MaxButtons         = 3  // options in a buttons reply
	MaxButtonTitle     = 20 // runes in a button title
	MaxListRows        = 10 // options in a list reply
	MaxListTitle       = 24 // runes in a list row title
	MaxListDescription = 72 // runes in a list row description
	MaxListButton      = 20 // runes in the list's button label
)

// ErrNoPrivacyNotice is returned by Handle when a consent request is due but
// the tenant has no privacy notice URL or version: consent asked without the
// notice would not be informed consent, so the engine fails closed.
var ErrNoPrivacyNotice = errors.New("dialog: tenant has no privacy notice URL or version")

// Inbound is one customer message as the channel adapter normalised it.
type Inbound struct {
	// Kind is one of the Kind constants; anything else is treated as
	// KindUnknown.
	Kind string
	// Text is the typed text, the caption of media, or the title of the tapped
	// button or row.
	Text string
	// ReplyID is the id of the tapped button or list row, or a template
	// button's payload.
	ReplyID string
	// Location is the shared pin of a KindLocation message.
	Location *Location
	// Media is the attachment of an image, document, audio, video or
	// sticker message: the channel's media id, to fetch it later.
	Media *Media
}

// Media is an attachment the customer sent, not yet downloaded.
type Media struct {
	ID       string // the channel's media id (Cloud API: fetched through GET /{media-id})
	MimeType string // as the channel declared it
	SHA256   string // as the channel declared it, when it does
}

// Location is a pin the customer shared.
type Location struct {
	Lat, Lng float64
	Name     string // the place's name, when WhatsApp has one
	Address  string
}

// Customer is what the engine knows about the person writing.
type Customer struct {
	// ID is the channel's stable id of the customer (the WhatsApp channel's
	// customer UUID), for capabilities that keep records per customer (the
	// cart); "" when the caller has none.
	ID      string
	Locale  string // "ar" or "en"; "" until the customer has chosen
	Consent string // ConsentUnknown ("" means unknown), granted, declined, withdrawn
	Name    string // WhatsApp profile name; only used by the {name} placeholder
	// WAID is the customer's WhatsApp id (the digits of their phone number),
	// for capabilities that need a contact number (checkout); "" when the
	// caller has none.
	WAID string
}

// Tenant is the merchant the customer is writing to.
type Tenant struct {
	NameAR        string // store name shown in Arabic texts ({store})
	NameEN        string // store name shown in English texts ({store})
	DefaultLocale string // "ar" or "en": the first language of bilingual texts
	PrivacyURL    string // the privacy notice ({privacy_url}); required for consent
	NoticeVersion string // its version ({notice_version}); required for consent
	// MetaCatalogID is the tenant's catalog in Meta Commerce Manager; when
	// set, capabilities may answer with product and product_list replies.
	MetaCatalogID string
}

// State is the conversation state between turns. It is a persistence format:
// the caller stores it as JSON and hands it back on the next turn; fields are
// only ever added, and Version says which format wrote it.
type State struct {
	Version int               `json:"version"`
	Step    string            `json:"step,omitempty"`
	Locale  string            `json:"locale,omitempty"` // mirrors the chosen locale
	Data    map[string]string `json:"data,omitempty"`
}

// Request is everything one turn depends on.
type Request struct {
	Tenant   Tenant
	Customer Customer
	State    State
	In       Inbound
	Now      time.Time
}

// Locale returns the language to answer in: the customer's chosen locale,
// else the one mirrored in State, else the tenant's default, else Arabic.
func (r Request) Locale() string {
	if l := chosenLocale(r); l != "" {
		return l
	}
	if l := normLocale(r.Tenant.DefaultLocale); l != "" {
		return l
	}
	return LocaleAR
}

// Option is one button or list row.
type Option struct {
	ID          string
	Title       string
	Description string // list rows only
}

// Reply is one channel-neutral bot message; the WhatsApp adapter turns it into
// a Cloud API message.
type Reply struct {
	Kind       string // one of the Reply constants
	Body       string // the text; the caption of an image; optional for product
	Header     string // optional text header (buttons, list, cta_url); required for product_list
	Footer     string // optional footer (buttons, list, cta_url, product, product_list)
	Options    []Option
	ListButton string // the list's button label; the link's label for cta_url
	URL        string // cta_url: the link
	ImageURL   string // image: the picture

	CatalogID         string           // product, product_list: the Meta catalog
	ProductRetailerID string           // product: the product's retailer id (SKU)
	Sections          []ProductSection // product_list: the products, grouped
}

// ProductSection is a titled group of a product_list reply: the retailer ids
// (SKUs) of products in the Meta catalog.
type ProductSection struct {
	Title string
	SKUs  []string
}

// Effect is a side effect the caller applies after the turn.
type Effect struct {
	Kind  string // one of the Effect constants
	Value string
}

// Result is the outcome of one turn.
type Result struct {
	Replies []Reply
	State   State
	Effects []Effect
}

// Overrides supplies tenant-specific texts. Lookup returns the tenant's text
// for key in locale ("ar" or "en"), or false to use the default. It cannot
// fail: an implementation that cannot reach its store answers false.
type Overrides interface {
	Lookup(ctx context.Context, key, locale string) (string, bool)
}

// Capability is a business capability's part of the conversation (catalog,
// cart, orders, ...). Capabilities only ever see turns after consent.
type Capability interface {
	// Name is the capability's reply-id prefix and step prefix: lower-case
	// letters, digits and '_' (e.g. "cart" owns "cart:..." ids and steps).
	Name() string
	// MenuEntry returns the capability's main menu entry in locale, or false
	// to stay out of the menu. An empty ID becomes "menu:<name>"; an ID that
	// starts neither with "menu:<name>" nor "<name>:" is replaced by it.
	MenuEntry(locale string) (Option, bool)
	// Handle is offered a turn routed to the capability by reply id, or any
	// turn no built-in intent took. req.Locale() is the customer's language,
	// req.State the current state (a copy the capability may change) and
	// req.In.Kind a Kind constant. It returns true to claim the turn, with
	// the full result: replies, the next state (the engine sets Version, and
	// Locale when empty) and effects. False lets the next capability or the
	// engine's default answer. An error fails the turn; Handle returns it
	// wrapped with the capability's name.
	Handle(ctx context.Context, req Request) (Result, bool, error)
}

// Keyworded is a Capability that also answers typed words from anywhere in
// the conversation ("cart", "السلة"): a text made only of one of its
// Keywords, plus the polite filler and greetings the built-in intents allow
// ("show my cart please"), is offered to it first, before the capability
// that owns the current step. The built-in intents (stop, agent, language,
// menu, help, greeting) still come first. The capability recognises its
// keywords itself with the same Phrases (Match).
type Keyworded interface {
	Capability
	Keywords() Phrases
}

// Preemptive is a Capability that claims some typed texts before anything
// else: the storefront's chat codes ("[#P-…]", "[#C-…]"), which mean one
// thing whatever words surround them. After consent such a text is offered
// to the capability first — before the built-in intents (STOP aside: it
// always comes first), the keywords and the step's owner. Before consent
// it is kept (State.Data "dialog.deferred") and offered as soon as the
// customer agrees, in place of the welcome, so a first message from the
// storefront is not lost. Preempts must be cheap and read only text.
type Preemptive interface {
	Capability
	Preempts(text string) bool
}

// Engine runs conversation turns. It is safe for concurrent use.
type Engine struct {
	words    Words
	caps     []Capability
	byName   map[string]Capability
	match    *matcher
	keywords []Keyworded // capabilities with keywords, in registration order
	preempt  []Preemptive
}

var capabilityName = regexp.MustCompile(`^[a-z0-9_]+$`)

// reservedNames are reply-id prefixes the engine answers itself.
var reservedNames = map[string]bool{"lang": true, "consent": true, "menu": true, "handoff": true, "help": true, "dialog": true}

// New returns an engine with tenant text overrides (nil: defaults only) over
// the process's message catalog (i18n.MustLoad) and the capabilities in menu
// order; see NewWithWords.
func New(texts Overrides, caps ...Capability) *Engine {
	return NewWithWords(Words{Overrides: texts}, caps...)
}

// NewWithWords returns an engine that finds its texts through words (the
// tenant's overrides, else the catalog's "bot.<key>" messages) and the
// capabilities in menu order. It panics when a capability's name is invalid,
// reserved (lang, consent, menu, handoff, help, dialog) or registered twice:
// that is a wiring mistake in the composition root.
func NewWithWords(words Words, caps ...Capability) *Engine {
	e := &Engine{words: words, byName: make(map[string]Capability, len(caps)), match: newMatcher()}
	for _, c := range caps {
		name := c.Name()
		switch {
		case !capabilityName.MatchString(name):
			panic(fmt.Sprintf("dialog: invalid capability name %q", name))
		case reservedNames[name]:
			panic(fmt.Sprintf("dialog: capability name %q is reserved", name))
		case e.byName[name] != nil:
			panic(fmt.Sprintf("dialog: capability %q registered twice", name))
		}
		e.byName[name] = c
		e.caps = append(e.caps, c)
		if k, ok := c.(Keyworded); ok {
			e.keywords = append(e.keywords, k)
		}
		if p, ok := c.(Preemptive); ok {
			e.preempt = append(e.preempt, p)
		}
	}
	return e
}

// Handle runs one turn. It does not modify req. Errors are ErrNoPrivacyNotice,
// a capability's error, or the context's error.
func (e *Engine) Handle(ctx context.Context, req Request) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	t := e.newTurn(ctx, req)
	if err := t.run(); err != nil {
		return Result{}, err
	}
	return t.res, nil
}

// turn is the working state of one Handle call.
type turn struct {
	e      *Engine
	ctx    context.Context
	req    Request // with a private copy of State.Data
	locale string  // the chosen locale, "" until the customer chose one
	kind   string  // canonical inbound kind
	id     string  // reply id of an interactive message, "" otherwise
	intent intent  // from the reply id or the text
	res    Result
}

func (e *Engine) newTurn(ctx context.Context, req Request) *turn {
	req.State.Data = maps.Clone(req.State.Data)
	t := &turn{e: e, ctx: ctx, req: req, locale: chosenLocale(req), kind: canonicalKind(req.In.Kind)}
	if t.kind == KindButtonReply || t.kind == KindListReply || t.kind == KindTemplateButton {
		t.id = strings.TrimSpace(req.In.ReplyID)
	}
	switch {
	case t.id != "":
		t.intent = idIntent(t.id)
	case t.kind == KindText || t.kind == KindButtonReply || t.kind == KindListReply || t.kind == KindTemplateButton:
		t.intent = e.match.intent(req.In.Text)
	}
	t.res.State = req.State
	t.res.State.Version = StateVersion
	t.res.State.Locale = t.locale
	return t
}

// run routes the turn: STOP first, then the language choice, the consent
// gate, and only then everything else.
func (t *turn) run() error {
	if t.intent == intentStop {
		t.stop()
		return nil
	}
	if t.kind == KindReaction && (t.locale == "" || !t.consented()) {
		return nil // a reaction never needs an answer
	}
	if t.locale == "" {
		return t.chooseLanguage()
	}
	if !t.consented() {
		return t.consentGate()
	}
	return t.consentedTurn()
}

func (t *turn) consented() bool { return t.req.Customer.Consent == ConsentGranted }

// chooseLanguage handles a turn before the customer has chosen a language.
func (t *turn) chooseLanguage() error {
	t.deferPreempted()
	if l := t.intent.locale(); l != "" {
		t.setLocale(l)
		if t.consented() {
			return t.greet()
		}
		return t.consentRequest()
	}
	if l := detectLocale(t.req.In.Text); l != "" {
		t.setData(dataSuggestedLocale, l)
	}
	t.languagePrompt("language.prompt")
	return nil
}

// consentGate handles a turn after the language choice and before consent:
// nothing but the language and the consent answer is processed.
func (t *turn) consentGate() error {
	t.deferPreempted()
	switch t.intent {
	case intentLangAR, intentLangEN:
		t.setLocale(t.intent.locale())
		return t.consentRequest()
	case intentLanguage:
		t.languagePrompt("language.change")
		return nil
	case intentAgree:
		t.effect(EffectConsentGranted, t.shownNotice())
		delete(t.res.State.Data, dataNoticeVersion)
		return t.greet()
	case intentDecline:
		t.effect(EffectConsentDeclined, t.shownNotice())
		t.effect(EffectDataMinimise, "")
		t.res.State.Step = StepDeclined
		t.res.State.Data = nil
		t.text("consent.declined")
		return nil
	}
	// Typed answers count only right after the request was shown.
	if t.req.State.Step == StepConsent && t.id == "" {
		switch t.e.match.consentAnswer(t.req.In.Text) {
		case intentAgree:
			t.intent = intentAgree
			return t.consentGate()
		case intentDecline:
			t.intent = intentDecline
			return t.consentGate()
		}
		return t.consentReminder()
	}
	return t.consentRequest()
}

// consentedTurn routes a turn after consent.
func (t *turn) consentedTurn() error {
	if t.kind == KindText {
		if claimed, err := t.preempted(Inbound{Kind: KindText, Text: t.req.In.Text}); err != nil || claimed {
			return err
		}
	}
	switch t.intent {
	case intentLangAR, intentLangEN:
		t.setLocale(t.intent.locale())
		t.res.State.Step = StepMenu
		t.res.Replies = append(t.res.Replies, t.menu(t.lookup("language.set")+"\n"+t.lookup("menu.body")))
		return nil
	case intentLanguage:
		t.languagePrompt("language.change")
		return nil
	case intentAgree, intentGreeting:
		t.welcome()
		return nil
	case intentDecline: // a stale consent button: the customer withdraws
		t.stop()
		return nil
	case intentMenu:
		t.res.State.Step = StepMenu
		t.res.Replies = append(t.res.Replies, t.menu(t.lookup("menu.body")))
		return nil
	case intentHelp:
		t.text("help")
		return nil
	case intentAgent:
		t.effect(EffectHandoffRequested, "customer")
		t.res.State.Step = StepHandoff
		t.text("handoff.ack")
		return nil
	case intentCapability:
		if c := t.e.byName[capabilityOf(t.id)]; c != nil {
			claimed, err := t.offer(c)
			if err != nil || claimed {
				return err
			}
		}
		t.notUnderstood()
		return nil
	case intentUnknownID:
		t.notUnderstood()
		return nil
	}
	claimed, err := t.offerAll()
	if err != nil || claimed {
		return err
	}
	t.byKind()
	return nil
}

// offerAll offers the turn to the capabilities: one whose keywords the typed
// text is first, then the one that owns the current step, then the others in
// registration order.
func (t *turn) offerAll() (bool, error) {
	var keyword Capability
	if t.kind == KindText {
		for _, k := range t.e.keywords {
			if k.Keywords().Match(t.req.In.Text) {
				keyword = k
				if claimed, err := t.offer(k); err != nil || claimed {
					return claimed, err
				}
				break
			}
		}
	}
	owner := t.e.byName[capabilityOf(t.req.State.Step)]
	if owner != nil && owner != keyword {
		if claimed, err := t.offer(owner); err != nil || claimed {
			return claimed, err
		}
	}
	for _, c := range t.e.caps {
		if c == owner || c == keyword {
			continue
		}
		if claimed, err := t.offer(c); err != nil || claimed {
			return claimed, err
		}
	}
	return false, nil
}

// preempted offers in (a typed text) to the preemptive capabilities that
// claim it, in registration order.
func (t *turn) preempted(in Inbound) (bool, error) {
	for _, p := range t.e.preempt {
		if !p.Preempts(in.Text) {
			continue
		}
		if claimed, err := t.offerIn(p, in); err != nil || claimed {
			return claimed, err
		}
	}
	return false, nil
}

// deferPreempted keeps a typed text sent before consent that a preemptive
// capability claims, to offer it once the customer agrees (greet); a newer
// one replaces it.
func (t *turn) deferPreempted() {
	if t.kind != KindText {
		return
	}
	for _, p := range t.e.preempt {
		if p.Preempts(t.req.In.Text) {
			t.setData(dataDeferred, t.req.In.Text)
			return
		}
	}
}

// greet answers the customer who just consented: the text kept from before
// consent (deferPreempted) when a capability claims it, else the welcome.
func (t *turn) greet() error {
	text := t.res.State.Data[dataDeferred]
	delete(t.res.State.Data, dataDeferred)
	if text != "" {
		if claimed, err := t.preempted(Inbound{Kind: KindText, Text: text}); err != nil || claimed {
			return err
		}
	}
	t.welcome()
	return nil
}

// offer hands the turn to one capability and takes its result if it claims
// the turn.
func (t *turn) offer(c Capability) (bool, error) {
	in := t.req.In
	in.Kind = t.kind
	return t.offerIn(c, in)
}

// offerIn hands the turn to one capability as inbound in and takes its
// result if it claims the turn.
func (t *turn) offerIn(c Capability, in Inbound) (bool, error) {
	req := t.req
	req.In = in
	req.State = t.res.State
	req.State.Data = maps.Clone(t.res.State.Data)
	res, claimed, err := c.Handle(t.ctx, req)
	if err != nil {
		return false, fmt.Errorf("dialog: capability %s: %w", c.Name(), err)
	}
	if !claimed {
		return false, nil
	}
	res.State.Version = StateVersion
	if res.State.Locale == "" {
		res.State.Locale = t.res.State.Locale
	}
	res.Effects = append(t.res.Effects, res.Effects...)
	t.res = res
	return true, nil
}

// byKind answers a turn nobody claimed, by message kind.
func (t *turn) byKind() {
	switch t.kind {
	case KindText, KindButtonReply, KindListReply, KindTemplateButton:
		if t.req.State.Step == StepHandoff {
			t.text("handoff.waiting")
			return
		}
		t.notUnderstood()
	case KindImage, KindDocument, KindAudio, KindVideo, KindSticker:
		t.text("media.received")
	case KindLocation:
		t.text("location.received")
	case KindOrder:
		t.effect(EffectHandoffRequested, "order")
		t.text("order.received")
	case KindReaction:
		// no reply
	default:
		t.text("unsupported")
	}
}

// stop withdraws consent at the customer's request.
func (t *turn) stop() {
	locale := t.locale
	if locale == "" {
		locale = detectLocale(t.req.In.Text)
	}
	if locale == "" {
		locale = t.req.Locale()
	}
	t.effect(EffectConsentWithdrawn, t.req.Tenant.NoticeVersion)
	t.effect(EffectDataMinimise, "")
	t.res.State.Step = StepStopped
	t.res.State.Data = nil
	t.res.Replies = append(t.res.Replies, TextReply(t.lookupIn("stop.confirm", locale)))
}

// setLocale records the customer's language choice.
func (t *turn) setLocale(l string) {
	if l != t.locale {
		t.effect(EffectLocaleSet, l)
	}
	t.locale = l
	t.res.State.Locale = l
	delete(t.res.State.Data, dataSuggestedLocale)
}

// languagePrompt sends the bilingual language prompt text key with the two
// language buttons, the suggested (or default) language first.
func (t *turn) languagePrompt(key string) {
	first := t.res.State.Data[dataSuggestedLocale]
	if first == "" {
		first = t.locale
	}
	if first == "" {
		first = t.req.Locale()
	}
	second := LocaleEN
	if first == LocaleEN {
		second = LocaleAR
	}
	t.res.State.Step = StepLanguage
	t.res.Replies = append(t.res.Replies, Reply{
		Kind: ReplyButtons,
		Body: t.lookupIn(key, first) + "\n\n" + t.lookupIn(key, second),
		Options: []Option{
			{ID: IDLangAR, Title: Clip(t.lookupIn("language.option.ar", LocaleAR), MaxButtonTitle)},
			{ID: IDLangEN, Title: Clip(t.lookupIn("language.option.en", LocaleEN), MaxButtonTitle)},
		},
	})
}

// consentRequest sends the full consent request.
func (t *turn) consentRequest() error {
	return t.consentButtons("consent.request")
}

// consentReminder sends the short consent request.
func (t *turn) consentReminder() error {
	return t.consentButtons("consent.reminder")
}

func (t *turn) consentButtons(key string) error {
	if t.req.Tenant.PrivacyURL == "" || t.req.Tenant.NoticeVersion == "" {
		return ErrNoPrivacyNotice
	}
	t.res.State.Step = StepConsent
	t.setData(dataNoticeVersion, t.req.Tenant.NoticeVersion)
	t.res.Replies = append(t.res.Replies, Reply{
		Kind: ReplyButtons,
		Body: t.lookup(key),
		Options: []Option{
			{ID: IDConsentAgree, Title: Clip(t.lookup("consent.agree"), MaxButtonTitle)},
			{ID: IDConsentDecline, Title: Clip(t.lookup("consent.decline"), MaxButtonTitle)},
		},
	})
	return nil
}

// shownNotice is the privacy notice version the customer's answer refers to:
// the one shown with the last consent request, else the current one.
func (t *turn) shownNotice() string {
	if v := t.res.State.Data[dataNoticeVersion]; v != "" {
		return v
	}
	return t.req.Tenant.NoticeVersion
}

// welcome sends the welcome with the main menu.
func (t *turn) welcome() {
	t.res.State.Step = StepMenu
	t.res.Replies = append(t.res.Replies, t.menu(t.lookup("welcome")))
}

// notUnderstood sends the apology with the main menu.
func (t *turn) notUnderstood() {
	t.res.State.Step = StepMenu
	t.res.Replies = append(t.res.Replies, t.menu(t.lookup("fallback")))
}

// menu builds the main menu with body: the capabilities' entries, then talk
// to a person, language and help. Buttons when there are at most three
// entries, a list otherwise (capability entries beyond the list's ten rows
// are left out).
func (t *turn) menu(body string) Reply {
	builtin := []Option{
		{ID: IDHandoff, Title: t.lookup("menu.handoff"), Description: t.lookup("menu.handoff.desc")},
		{ID: IDLanguage, Title: t.lookup("menu.language"), Description: t.lookup("menu.language.desc")},
		{ID: IDHelp, Title: t.lookup("menu.help"), Description: t.lookup("menu.help.desc")},
	}
	var opts []Option
	for _, c := range t.e.caps {
		if len(opts) == MaxListRows-len(builtin) {
			break
		}
		o, ok := c.MenuEntry(t.locale)
		if !ok {
			continue
		}
		name := c.Name()
		if o.ID != IDMenuPrefix+name && !strings.HasPrefix(o.ID, name+":") {
			o.ID = IDMenuPrefix + name
		}
		opts = append(opts, o)
	}
	opts = append(opts, builtin...)
	if len(opts) <= MaxButtons {
		return ButtonsReply(body, opts...)
	}
	return ListReply(body, t.lookup("menu.button"), opts)
}

// text appends a plain text reply.
func (t *turn) text(key string) {
	t.res.Replies = append(t.res.Replies, TextReply(t.lookup(key)))
}

func (t *turn) effect(kind, value string) {
	t.res.Effects = append(t.res.Effects, Effect{Kind: kind, Value: value})
}

func (t *turn) setData(key, value string) {
	if t.res.State.Data == nil {
		t.res.State.Data = map[string]string{}
	}
	t.res.State.Data[key] = value
}

// lookup returns the text for key in the turn's locale.
func (t *turn) lookup(key string) string {
	l := t.locale
	if l == "" {
		l = t.req.Locale()
	}
	return t.lookupIn(key, l)
}

// lookupIn returns the tenant's text for key in locale, or the catalog's,
// with its placeholders filled.
func (t *turn) lookupIn(key, locale string) string {
	tn := t.req.Tenant
	store := tn.NameAR
	if locale == LocaleEN || store == "" {
		store = tn.NameEN
	}
	if store == "" {
		store = tn.NameAR
	}
	return t.e.words.Text(t.ctx, locale, key,
		"{store}", store,
		"{privacy_url}", tn.PrivacyURL,
		"{notice_version}", tn.NoticeVersion,
		"{name}", t.req.Customer.Name,
	)
}

// Keys the engine keeps in State.Data.
const (
	// dataSuggestedLocale holds the language guessed from the first message.
	dataSuggestedLocale = "dialog.suggested_locale"
	// dataNoticeVersion holds the privacy notice version shown with the last
	// consent request, so the consent record names what the customer saw.
	dataNoticeVersion = "dialog.notice_version"
	// dataDeferred holds a text sent before consent that a Preemptive
	// capability claims, to answer once the customer agrees.
	dataDeferred = "dialog.deferred"
)

// chosenLocale is the customer's chosen locale, or the one mirrored in State
// (when the caller has not applied locale_set yet), or "".
func chosenLocale(r Request) string {
	if l := normLocale(r.Customer.Locale); l != "" {
		return l
	}
	return normLocale(r.State.Locale)
}

// normLocale maps "ar", "ar-SA", "EN_gb", ... to "ar" or "en", and anything
// else to "".
func normLocale(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, LocaleAR):
		return LocaleAR
	case strings.HasPrefix(s, LocaleEN):
		return LocaleEN
	}
	return ""
}

// detectLocale guesses the language of a text: "ar" when it is mainly Arabic
// script, "en" when it has Latin letters otherwise, "" when it has no letters.
func detectLocale(s string) string {
	if arabic.IsArabic(s) {
		return LocaleAR
	}
	for _, r := range s {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return LocaleEN
		}
	}
	return ""
}

// canonicalKind maps the adapter's kind to a Kind constant.
func canonicalKind(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	switch k {
	case KindText, KindButtonReply, KindListReply, KindTemplateButton, KindLocation,
		KindImage, KindDocument, KindAudio, KindVideo, KindSticker, KindOrder, KindReaction:
		return k
	}
	return KindUnknown
}

// capabilityOf returns the capability name a reply id or step points at:
// "menu:cart" → "cart", "cart:add:12" → "cart", "menu" → "".
func capabilityOf(s string) string {
	if rest, ok := strings.CutPrefix(s, IDMenuPrefix); ok {
		name, _, _ := strings.Cut(rest, ":")
		return name
	}
	name, _, ok := strings.Cut(s, ":")
	if !ok {
		return ""
	}
	return name
}
