package cart

import (
	"errors"
	"strings"

	"concierge/internal/errs"
	"concierge/modules/catalog"
	"concierge/modules/whatsapp/dialog"
)

// A web cart's hand-off code in the conversation ("[#C-…]", the message of
// the storefront cart's "Chat to order" link, CartTextFor): the cart's
// lines are copied into the customer's WhatsApp cart (Service.Handoff) and
// the cart is shown with its Checkout button, before anything else once the
// customer has consented (dialog.Preemptive), and the first thing after
// consent when it was their first message.

// Preempts implements dialog.Preemptive: the texts whose last chat code is
// a cart code.
func (f *Flows) Preempts(text string) bool {
	c, ok := catalog.LastCode(text)
	return ok && c.Kind == catalog.CodeCart
}

// cartCode is the cart code a typed text ends its codes with.
func cartCode(text string) (catalog.Code, bool) {
	c, ok := catalog.LastCode(text)
	return c, ok && c.Kind == catalog.CodeCart
}

// handoff answers cart code c: the web cart's lines brought into the
// customer's cart, which is then shown with a note of what was added (or
// was there already, or could not be); an unknown, expired or checked-out
// code gets a helpful answer.
func (t *turn) handoff(c catalog.Code) error {
	cid, ok := t.customer()
	if !ok {
		t.say(t.text("cart.unavailable"))
		return nil
	}
	var (
		h   *Handoff
		err error
	)
	if c.Value != "" {
		h, err = t.f.svc.Handoff(t.ctx, c.Value, cid)
	}
	switch {
	case c.Value == "" || errors.Is(err, errs.ErrNotFound):
		t.step(stepEmpty)
		t.buttons(t.text("cart.handoff.none", "{code}", dialog.Clip(c.Text, 64)), t.browseButton(),
			dialog.Option{ID: dialog.IDHandoff, Title: t.text("cart.button.staff")})
		return nil
	case errs.CodeOf(err) == errs.CodeInvalid: // the cart's value over the limit
		t.buttons(t.text("cart.too_large"), t.editButton(), t.viewButton())
		return nil
	case err != nil:
		return err
	case len(h.Lines) == 0:
		t.step(stepEmpty)
		t.buttons(t.text("cart.handoff.empty"), t.browseButton())
		return nil
	}
	return t.show(t.acknowledged(h.Cart), t.handoffNote(h))
}

// handoffNote says what a hand-off did: done (something was added) or
// again (what could be added was there already), then a line for each web
// cart line short of stock, no longer sold or without room.
func (t *turn) handoffNote(h *Handoff) string {
	var lines []string
	added := false
	for _, l := range h.Lines {
		added = added || l.Added > 0
		name := lineName(l.Line, t.locale)
		switch l.Outcome {
		case HandoffShort:
			lines = append(lines, t.text("cart.handoff.short", "{product}", name, "{available}", dialog.Number(l.Available, t.locale)))
		case HandoffUnavailable:
			lines = append(lines, t.text("cart.handoff.unavailable", "{product}", name))
		case HandoffFull:
			lines = append(lines, t.text("cart.handoff.full", "{product}", name))
		}
	}
	switch {
	case added:
		lines = append([]string{t.text("cart.handoff.done")}, lines...)
	case h.Again():
		lines = append([]string{t.text("cart.handoff.again")}, lines...)
	}
	return strings.Join(lines, "\n")
}
