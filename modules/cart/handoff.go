package cart

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/modules/catalog"
)

// The web cart's hand-off to WhatsApp ("Chat to order" on the storefront's
// cart, docs/chat-to-order.md): the cart gets a short, unguessable code
// (HandoffCode, "C-" and 50 random bits, unique per tenant), the storefront
// links to the tenant's WhatsApp number with CartTextFor's message, and
// when the customer sends it the bot copies the cart's lines into their
// WhatsApp cart (Handoff, flows_handoff.go). The code format is the
// catalog's (catalog.NewCartCode, catalog.ParseCodes).

// Outcomes of a web cart's line in a hand-off (HandoffLine.Outcome).
const (
	HandoffAdded       = "added"       // added in full
	HandoffAlready     = "already"     // the WhatsApp cart already holds as many
	HandoffShort       = "short"       // less in stock: what there is was added
	HandoffUnavailable = "unavailable" // no longer sold, or sold out
	HandoffFull        = "full"        // no room for another line in the cart
)

// Handoff is what a hand-off did.
type Handoff struct {
	// Cart is the customer's WhatsApp cart after it.
	Cart *Cart
	// Lines are the web cart's lines, in its order, with their outcome.
	Lines []HandoffLine
}

// HandoffLine is one web cart line's outcome.
type HandoffLine struct {
	Line      Line   // the web cart's line
	Outcome   string // one of the Handoff constants
	Added     int    // pieces added now
	Available int    // HandoffShort: the stock
}

// Again reports whether the hand-off added nothing because the customer's
// cart already held what could be added (the same code sent twice): no
// line was added, and at least one was there already (or as much of it as
// the stock allows); the rest is no longer sold.
func (h *Handoff) Again() bool {
	there := false
	for _, l := range h.Lines {
		switch {
		case l.Added > 0 || l.Outcome == HandoffFull:
			return false
		case l.Outcome == HandoffAlready || l.Outcome == HandoffShort:
			there = true
		}
	}
	return there
}

// HandoffCode returns the hand-off code of cart id ("C-7K3M9QXDAB"), made
// on first ask and the same ever after: the code the cart's "Chat to
// order" link carries (CartTextFor). Errors: not_found (unknown, expired or
// another tenant's id), conflict (checked out).
func (s *Service) HandoffCode(ctx context.Context, id string) (string, error) {
	if !validID(id) {
		return "", errs.New(errs.CodeNotFound, "cart.not_found")
	}
	var code string
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := handoffRow(ctx, tx, id)
		switch {
		case err != nil:
			return err
		case r.ExpiresAt != nil && !r.ExpiresAt.After(s.now()):
			return errs.New(errs.CodeNotFound, "cart.not_found")
		case r.Status == StatusConverted:
			return errs.New(errs.CodeConflict, "cart.closed")
		case r.HandoffCode != nil:
			code = *r.HandoffCode
			return nil
		}
		// 50 random bits: a second try is already a curiosity.
		for range 5 {
			c := catalog.NewCartCode()
			ok, err := setHandoffCode(ctx, tx, id, c)
			if err != nil || ok {
				code = c
				return err
			}
		}
		return errs.Wrap(errs.CodeInternal, errors.New("cart: no free hand-off code after 5 tries"), "")
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// CartTextFor is the message a web cart's "Chat to order" link prefills
// with hand-off code (HandoffCode), in locale (Arabic unless "en…"):
// "أرغب بإكمال طلبي من المتجر [#C-…]" / "I'd like to complete my order from
// the web store [#C-…]" (the catalog's message chatcode.cart).
func CartTextFor(locale, code string) string {
	return i18n.MustLoad().Text(i18n.Normalize(locale), "chatcode.cart", map[string]any{"code": catalog.CodeTag(code)})
}

// Handoff copies the lines of the cart with hand-off code (canonical,
// "C-…") into customer's open WhatsApp cart (made when missing), in one
// transaction (a WhatsApp turn's, when called in one). Each line goes
// through the cart's add, so prices, stock and limits are checked, and only
// up to the web cart's quantity: the same code sent twice, or a message
// redelivered, adds nothing more. A line short of stock adds what there is.
// Errors: not_found (no cart of the tenant has the code, it expired or was
// checked out; the customer is unknown), invalid (the cart's value over
// the limit).
func (s *Service) Handoff(ctx context.Context, code string, customer uuid.UUID) (*Handoff, error) {
	if !catalog.ValidCartCode(code) {
		return nil, errs.New(errs.CodeNotFound, "cart.not_found")
	}
	h := &Handoff{}
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		id, err := cartByHandoff(ctx, tx, code)
		if err != nil {
			return err
		}
		src, err := s.open(ctx, tx, target{id: id}, false)
		if err != nil {
			return err
		}
		if src.row.Status == StatusConverted {
			return errs.New(errs.CodeNotFound, "cart.not_found")
		}
		h.Cart, err = s.change(ctx, target{customer: customer, create: true}, func(w *working) error {
			for _, l := range src.lines {
				hl, err := w.takeOver(l, src.variants[l.VariantID])
				if err != nil {
					return err
				}
				h.Lines = append(h.Lines, hl)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// takeOver brings web cart line l (of variant v as the catalog sells it
// now) into the cart, up to l's quantity.
func (w *working) takeOver(l Line, v catalog.SaleVariant) (HandoffLine, error) {
	hl := HandoffLine{Line: l, Outcome: HandoffUnavailable}
	if !l.Available || !v.OnSale() {
		return hl, nil
	}
	have := 0
	if i := w.findVariant(l.VariantID); i >= 0 {
		have = w.lines[i].Quantity
	}
	if have >= l.Quantity {
		hl.Outcome = HandoffAlready
		return hl, nil
	}
	n := l.Quantity - have
	err := w.add(v, n)
	var se *stockError
	switch {
	case err == nil:
		hl.Outcome, hl.Added = HandoffAdded, n
	case errors.As(err, &se):
		hl.Outcome, hl.Available = HandoffShort, se.Available
		if room := se.Available - have; room > 0 {
			switch err := w.add(v, room); {
			case err == nil:
				hl.Added = room
			case errs.CodeOf(err) == errs.CodeConflict: // cart.full
				hl.Outcome = HandoffFull
			default:
				return hl, err
			}
		}
	case errs.CodeOf(err) == errs.CodeConflict: // cart.full
		hl.Outcome = HandoffFull
	case errs.CodeOf(err) == errs.CodeInvalid: // no longer sold in the cart's currency
	default:
		return hl, err
	}
	return hl, nil
}
