package catalog

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"concierge/modules/whatsapp/dialog"
)

// The storefront's "Chat to order" in the conversation: a text whose last
// chat code (chatcode.go) is a product code opens that product with the
// code's variant chosen, before anything else once the customer has
// consented (dialog.Preemptive), and the first thing after consent when it
// was their first message. A cart code ("[#C-…]") is the cart
// capability's.

// Preempts implements dialog.Preemptive: the texts whose last chat code is
// a product code.
func (f *Flows) Preempts(text string) bool {
	c, ok := LastCode(text)
	return ok && c.Kind == CodeProduct
}

// productCode is the product code a typed text ends its codes with; a text
// whose last code is a cart code is left to the cart (ok false, cart true).
func productCode(text string) (c Code, ok, cart bool) {
	c, found := LastCode(text)
	return c, found && c.Kind == CodeProduct, found && c.Kind == CodeCart
}

// CodeVariant resolves the SKU of a product code: the variant with sku
// (archived or not; an archived variant is not among its product's
// Variants) and its product while on sale (nil when the product was
// withdrawn or is a draft). Errors: not_found (no variant has sku).
func (s *Service) CodeVariant(ctx context.Context, sku string) (Variant, *Product, error) {
	var r *variantRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		r, err = variantBySKUAny(ctx, tx, strings.TrimSpace(sku))
		return err
	})
	if err != nil {
		return Variant{}, nil, err
	}
	v := toVariant(*r)
	p, err := s.Product(ctx, r.ProductID.String())
	switch {
	case errors.Is(err, ErrNotFound):
		return v, nil, nil
	case err != nil:
		return Variant{}, nil, err
	}
	if i := slices.IndexFunc(p.Variants, func(w Variant) bool { return w.ID == v.ID }); i >= 0 {
		v = p.Variants[i] // as the product shows it (the same read)
	}
	return v, p, nil
}

// chatCode answers product code c found in text: the product's detail with
// the code's variant chosen ("Add to cart" when it can be ordered); an
// option withdrawn since: the product as it is now, after a note; an
// unknown code, or a product no longer on sale: a helpful answer.
func (t *turn) chatCode(c Code, text string) error {
	if c.Value == "" {
		return t.codeNone(c, text, "catalog.code.none")
	}
	v, p, err := t.f.svc.CodeVariant(t.ctx, c.Value)
	switch {
	case errors.Is(err, ErrNotFound):
		return t.codeNone(c, text, "catalog.code.none")
	case err != nil:
		return err
	case p == nil:
		return t.codeNone(c, text, "catalog.code.gone")
	}
	if i := slices.IndexFunc(p.Variants, func(w Variant) bool { return w.ID == v.ID }); i >= 0 {
		return t.detail(p, &p.Variants[i], true)
	}
	opts := optionLabel(v, t.locale)
	if opts == "" {
		opts = v.SKU
	}
	t.res.Replies = append(t.res.Replies, dialog.TextReply(
		t.text("catalog.code.option_gone", "{options}", opts, "{product}", p.Title(t.locale))))
	if len(p.Variants) == 1 { // the one option left: named
		return t.detail(p, &p.Variants[0], optionLabel(p.Variants[0], t.locale) != "")
	}
	return t.detail(p, nil, false)
}

// codeNone answers a code that names nothing on sale with text key: a
// search for the words around the code (the title the storefront wrote),
// browsing, or a person.
func (t *turn) codeNone(c Code, text, key string) error {
	t.step(stepNotFound)
	opts := []dialog.Option{}
	if q := codeQuery(text); q != "" {
		opts = append(opts, dialog.Option{ID: idSearch + q, Title: t.text("catalog.code.search")})
	}
	opts = append(opts, t.browseButton(), t.staffButton())
	t.buttons(t.text(key, "{code}", dialog.Clip(c.Text, 64)), opts...)
	return nil
}

// idSearch prefixes the reply id of a search for the words after it
// ("catalog:q:<words>").
const idSearch = FlowsName + ":q:"

// anyTag is a chat code tag, well formed or not.
var anyTag = regexp.MustCompile(`\[\s*#[^\[\]]*\]`)

// codeQuery is what to search for after a code that names nothing: the
// words of the message without its tags, without the lead up to the first
// colon ("I'd like to order:") and the options after " — "; "" when fewer
// than two letters are left. It fits a reply id.
func codeQuery(text string) string {
	s := anyTag.ReplaceAllString(strings.Map(codeRune, text), " ")
	if _, after, ok := strings.Cut(s, ":"); ok {
		s = after
	}
	if before, _, ok := strings.Cut(s, " - "); ok { // the em dash, as codeRune writes it
		s = before
	}
	q := searchText(s)
	if letters(q) < 2 {
		return ""
	}
	for len(idSearch)+len(q) > maxID {
		_, size := utf8.DecodeLastRuneInString(q)
		q = strings.TrimSpace(q[:len(q)-size])
	}
	return q
}
