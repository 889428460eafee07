package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/internal/money"
	"concierge/modules/identity"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// Notifications: a message to a customer that is not a reply to them (an
// order's status, a payment link, a COD confirmation), sent by another
// module, usually in the transaction of the change it tells about.
//
//	err := scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
//		... the order moves to "shipped" ...
//		_, err := channel.NotifyTx(ctx, tx, whatsapp.Recipient{CustomerID: o.CustomerID}, whatsapp.Notification{
//			Key:      "order:" + o.ID.String() + ":shipped",
//			Author:   identity.SystemActor("orders"),
//			Text:     "orders.shipped", Vars: []string{"{order}", o.Number},
//			Template: whatsapp.Template{Name: "order_shipped", Params: []string{o.Number}},
//		})
//		return err
//	})
//
// Inside the customer's 24-hour window the customer gets the session text
// (the bot text Text: the tenant's override, else the catalog's
// "bot.<Text>"); outside it the named approved template, never a free-form
// message Meta would refuse (131047). It is recorded like any outbound
// message (author Author, "system:orders"), sent by the same send job, and
// leaves the conversation's hand-off and dialog state alone.

// MaxNotificationKey bounds a notification's key, in characters.
const MaxNotificationKey = 200

// Notification is what to tell a customer, in both forms.
type Notification struct {
	// Key makes the notification happen once per tenant: Notify with a key
	// already used returns the message it queued then and queues nothing
	// (a retried order transition does not notify twice). Required, one
	// line, at most MaxNotificationKey characters; "order:<id>:shipped".
	Key string
	// Author is who sends it, recorded as the message's author
	// (identity.SystemActor("orders") → "system:orders"); a zero Author is
	// identity.ActorFrom(ctx).
	Author identity.Actor
	// Text is the bot text key of the session message, sent inside the
	// 24-hour window: catalog message "bot.<Text>" unless the tenant
	// overrides the key. Vars fill its placeholders as pairs ("{order}",
	// "1042"); {store} and {name} are filled for every notification.
	Text string
	Vars []string
	// Amounts are money placeholders ("{total}") formatted in the language
	// the customer gets the message in; a template parameter that is such
	// a placeholder is replaced too.
	Amounts map[string]money.Amount
	// Localized are placeholder pairs per language ("ar", "en"): those of
	// the language the customer gets the message in are added to Vars (an
	// item list, an address, a deadline written for that language); a
	// template parameter that is such a placeholder is replaced too.
	Localized map[string][]string
	// Template is sent instead outside the window (and when a queued
	// session text finds the window closed by the time it is sent).
	Template Template
	// Buttons (at most 3) turn the session message into reply buttons and
	// are the template's quick-reply payloads outside the window (button i
	// of the template gets Buttons[i].ID). Taps come back to the dialog as
	// reply ids, routed like any button ("checkout:cod_confirm:<order>").
	Buttons []NotificationButton
	// URL, when set, makes the session message a call-to-action button that
	// opens it (a payment page), titled by the bot text URLText; outside the
	// window the template carries the link as a parameter. Not with Buttons.
	URL     string
	URLText string
}

// NotificationButton is a reply button of a notification: its id and the
// bot text key of its title.
type NotificationButton struct {
	ID   string
	Text string
}

// Template is an approved WhatsApp message template.
type Template struct {
	Name string
	// Language is the template's language code; "" is the customer's
	// language (ar or en).
	Language string
	// Params are the body parameters {{1}}, {{2}}, ... (flattened to one
	// line each, as WhatsApp requires).
	Params []string
}

// Recipient names the customer to notify: by id, or by WhatsApp id (their
// phone number in E.164 digits). The message goes to their most recent
// conversation.
type Recipient struct {
	CustomerID uuid.UUID
	WAID       string
}

// Notify queues n for the customer in its own transaction; see NotifyTx.
func (s *Service) Notify(ctx context.Context, to Recipient, n Notification) (*Message, error) {
	var out *Message
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = s.NotifyTx(ctx, tx, to, n)
		return err
	})
	return out, err
}

// NotifyTx queues n for the customer inside tx, a transaction of the
// tenant of ctx (tenants.Scope.InTenantTx), so the message and its send job
// commit or roll back with the caller's change: nothing is ever sent for a
// rolled-back change. It returns the queued message, or the one queued
// earlier under the same key. Errors: invalid (n incomplete, or its text
// unknown), not_found (no such customer of this tenant:
// ErrCustomerNotFound), conflict (the customer has not consented, or
// withdrew: ErrNoConsent; outside the window, the template is not approved
// in the tenant's registry: ErrTemplateNotApproved).
func (s *Service) NotifyTx(ctx context.Context, tx bun.Tx, to Recipient, n Notification) (*Message, error) {
	if err := s.checkNotification(n); err != nil {
		return nil, err
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	cust, err := findCustomer(ctx, tx, to.CustomerID, strings.TrimPrefix(strings.TrimSpace(to.WAID), "+"))
	if errors.Is(err, errs.ErrNotFound) {
		return nil, ErrCustomerNotFound
	}
	if err != nil {
		return nil, err
	}
	if earlier, err := s.notified(ctx, tx, n.Key); err != nil || earlier != nil {
		return earlier, err
	}
	if cust.Consent != ConsentGranted {
		return nil, ErrNoConsent
	}
	conv, err := latestConversation(ctx, tx, cust.ID)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, ErrCustomerNotFound
	}
	if err != nil {
		return nil, err
	}
	if ctx, err = loadOverrides(ctx, tx); err != nil {
		return nil, err
	}
	locale := localeOf(t, cust)
	lang := n.Template.Language
	if lang == "" {
		lang = locale
	}
	inWindow := conv.InWindow(s.now())
	if !inWindow && s.templates != nil {
		code, err := s.templates.ApprovedLanguageTx(ctx, tx, n.Template.Name, lang)
		if err != nil {
			return nil, err
		}
		if code == "" {
			s.metrics.notifications.WithLabelValues("template_not_approved").Inc()
			return nil, ErrTemplateNotApproved
		}
		lang = code // Meta wants the exact code it approved
	}
	inLang := localized(n, lang)
	params := make([]string, len(n.Template.Params))
	for i, p := range n.Template.Params {
		if v, ok := inLang[p]; ok {
			p = v
		}
		// Template text parameters may not hold new lines, tabs or runs of
		// spaces.
		params[i] = cloudapi.Truncate(strings.Join(strings.Fields(p), " "), 1024)
	}
	payloads := make([]string, len(n.Buttons))
	for i, b := range n.Buttons {
		payloads[i] = b.ID
	}
	tpl := cloudapi.TemplateMessage(n.Template.Name, lang, params, payloads)
	msg := outbound{Outgoing: tpl}
	form := "template"
	if inWindow {
		vars := append(customerVars(t, cust, locale), n.Vars...)
		for k, v := range localized(n, locale) {
			vars = append(vars, k, v)
		}
		body := s.words.Text(ctx, locale, n.Text, vars...)
		session := cloudapi.TextMessage(body)
		if len(n.Buttons) > 0 {
			bs := make([]cloudapi.Button, len(n.Buttons))
			for i, b := range n.Buttons {
				bs[i] = cloudapi.Button{ID: b.ID, Title: s.words.Text(ctx, locale, b.Text)}
			}
			session = cloudapi.Buttons(body, bs...)
		} else if n.URL != "" {
			session = cloudapi.CTAURL(body, s.words.Text(ctx, locale, n.URLText), n.URL)
		}
		msg = outbound{Outgoing: session, OutsideWindow: &tpl}
		form = "session"
	}
	author := n.Author
	if author.Kind == "" {
		author = identity.ActorFrom(ctx)
	}
	id := uuid.Must(uuid.NewV7())
	claimed, err := claimNotification(ctx, tx, conv.TenantID, n.Key, cust.ID, id, author.String())
	if err != nil {
		return nil, err
	}
	if !claimed {
		// The same key, notified meanwhile by a transaction that committed
		// while this one waited for it.
		return s.notified(ctx, tx, n.Key)
	}
	m, err := s.queueWithID(ctx, tx, conv, id, author.String(), msg)
	if err != nil {
		return nil, err
	}
	s.metrics.notifications.WithLabelValues(form).Inc()
	return m, nil
}

// localized are n's placeholders written for lang (a locale, or a
// template's language code such as en_US): its amounts formatted and its
// pairs for that language.
func localized(n Notification, lang string) map[string]string {
	locale := "ar"
	if strings.HasPrefix(lang, "en") {
		locale = "en"
	}
	out := make(map[string]string, len(n.Amounts)+len(n.Localized[locale])/2)
	for k, a := range n.Amounts {
		out[k] = money.Format(a, locale)
	}
	pairs := n.Localized[locale]
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

// notified returns the message queued earlier under key, or nil.
func (s *Service) notified(ctx context.Context, tx bun.IDB, key string) (*Message, error) {
	id, err := notificationMessage(ctx, tx, key)
	if err != nil || id == uuid.Nil {
		return nil, err
	}
	s.metrics.notifications.WithLabelValues("repeated").Inc()
	return getMessage(ctx, tx, id)
}

// checkNotification refuses a notification that could not be sent in both
// forms.
func (s *Service) checkNotification(n Notification) error {
	var fields []errs.FieldError
	switch {
	case strings.TrimSpace(n.Key) == "":
		fields = append(fields, errs.Field("key", "required", "field.required"))
	case utf8.RuneCountInString(n.Key) > MaxNotificationKey:
		fields = append(fields, errs.Field("key", "max", "field.max", "param", MaxNotificationKey))
	default:
		if err := input.Check(n.Key, input.SingleLine); err != nil {
			fields = append(fields, errs.TextError("key", err))
		}
	}
	switch {
	case n.Text == "":
		fields = append(fields, errs.Field("text", "required", "field.required"))
	case !s.catalog.Has(botTextID(n.Text)):
		fields = append(fields, errs.Field("text", "unknown", "whatsapp.notify.unknown_text", "key", n.Text))
	}
	if strings.TrimSpace(n.Template.Name) == "" {
		fields = append(fields, errs.Field("template.name", "required", "field.required"))
	}
	if len(n.Buttons) > cloudapi.MaxButtons {
		fields = append(fields, errs.Field("buttons", "max", "field.max", "param", cloudapi.MaxButtons))
	}
	if n.URL != "" && (len(n.Buttons) > 0 || !s.catalog.Has(botTextID(n.URLText))) {
		fields = append(fields, errs.Field("url_text", "unknown", "whatsapp.notify.unknown_text", "key", n.URLText))
	}
	for i, b := range n.Buttons {
		if b.ID == "" || !s.catalog.Has(botTextID(b.Text)) {
			fields = append(fields, errs.Field(fmt.Sprintf("buttons[%d]", i), "unknown", "whatsapp.notify.unknown_text", "key", b.Text))
		}
	}
	if len(fields) > 0 {
		return errs.Invalid(fields...)
	}
	return nil
}

// botTextID is the catalog message of bot text key.
func botTextID(key string) string { return "bot." + key }
