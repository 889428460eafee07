package cloudapi

import "time"

// Kind is what an inbound message is, after normalisation.
type Kind string

// The inbound kinds.
const (
	KindText           Kind = "text"
	KindButtonReply    Kind = "button_reply"    // tap on a reply button
	KindListReply      Kind = "list_reply"      // choice of a list row
	KindTemplateButton Kind = "template_button" // tap on a template quick reply
	KindLocation       Kind = "location"
	KindImage          Kind = "image"
	KindDocument       Kind = "document"
	KindAudio          Kind = "audio"
	KindVideo          Kind = "video"
	KindSticker        Kind = "sticker"
	KindOrder          Kind = "order"
	KindReaction       Kind = "reaction"
	KindUnknown        Kind = "unknown" // "unsupported" and any type this package does not know
)

// Inbound is a customer message flattened for the dialog engine: one Kind,
// the text the customer typed or tapped, the reply id of a tap, and the
// per-kind details.
type Inbound struct {
	// WAMessageID is Meta's message id (wamid...), unique per message: the
	// idempotency key for Meta's webhook retries.
	WAMessageID string
	// From is the customer's WhatsApp id (digits of the phone number).
	From string
	// Timestamp is when the customer sent it (UTC), the zero time if Meta's
	// value was not a number.
	Timestamp time.Time
	Kind      Kind
	// Text is the text body, the title of the tapped button or row, the
	// template button's text, the media caption, or the order's note.
	Text string
	// ReplyID is the id of the tapped reply button or list row, or the
	// payload of the tapped template quick reply.
	ReplyID  string
	Location *Location
	Media    *Media
	Order    *Order
	Reaction *Reaction
	// ContextID is the id of the message this one answers (for a tap, the
	// message that carried the buttons), or "".
	ContextID string
	// ReferredProduct is set when the customer asks about a catalog product.
	ReferredProduct *ReferredProduct
	// Errors explain an unknown message.
	Errors []Error

	// PhoneNumberID, DisplayPhoneNumber and ProfileName are filled by
	// Payload.Inbound from the change the message came in: the business
	// number (which resolves the tenant) and the customer's profile name.
	PhoneNumberID      string
	DisplayPhoneNumber string
	ProfileName        string
}

// Normalise flattens a webhook message into an Inbound. A message whose type
// is known but whose per-type object is missing is KindUnknown.
func (m Message) Normalise() Inbound {
	in := Inbound{
		WAMessageID: m.ID,
		From:        m.From,
		Timestamp:   m.Timestamp.Time(),
		Kind:        KindUnknown,
		Errors:      m.Errors,
	}
	if m.Context != nil {
		in.ContextID = m.Context.ID
		in.ReferredProduct = m.Context.ReferredProduct
	}
	media := func(k Kind, md *Media) {
		if md != nil {
			in.Kind, in.Media, in.Text = k, md, md.Caption
		}
	}
	switch m.Type {
	case TypeText:
		if m.Text != nil {
			in.Kind, in.Text = KindText, m.Text.Body
		}
	case TypeInteractive:
		if r := m.Interactive; r != nil {
			switch {
			case r.Type == "button_reply" && r.ButtonReply != nil:
				in.Kind, in.ReplyID, in.Text = KindButtonReply, r.ButtonReply.ID, r.ButtonReply.Title
			case r.Type == "list_reply" && r.ListReply != nil:
				in.Kind, in.ReplyID, in.Text = KindListReply, r.ListReply.ID, r.ListReply.Title
			}
		}
	case TypeButton:
		if m.Button != nil {
			in.Kind, in.ReplyID, in.Text = KindTemplateButton, m.Button.Payload, m.Button.Text
		}
	case TypeLocation:
		if m.Location != nil {
			in.Kind, in.Location = KindLocation, m.Location
		}
	case TypeImage:
		media(KindImage, m.Image)
	case TypeDocument:
		media(KindDocument, m.Document)
	case TypeAudio:
		media(KindAudio, m.Audio)
	case TypeVideo:
		media(KindVideo, m.Video)
	case TypeSticker:
		media(KindSticker, m.Sticker)
	case TypeOrder:
		if m.Order != nil {
			in.Kind, in.Order, in.Text = KindOrder, m.Order, m.Order.Text
		}
	case TypeReaction:
		if m.Reaction != nil {
			in.Kind, in.Reaction = KindReaction, m.Reaction
		}
	}
	return in
}
