package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/modules/whatsapp/cloudapi"
	"concierge/modules/whatsapp/dialog"
)

// What the bot, staff and notifications say becomes outbound rows: each
// message is stored with its send job in the transaction that decided it
// (a turn, a staff reply, a module's change), so nothing is sent for a
// rolled-back change and nothing is lost. send.go delivers them.

// outbound is an outbound message as stored (messages.payload): the Cloud
// API message and, for a notification, the approved template that replaces
// it if the 24-hour window has closed by the time it is sent.
type outbound struct {
	cloudapi.Outgoing
	OutsideWindow *cloudapi.Outgoing `json:"outside_window,omitempty"`
}

// toOutgoing turns a channel-neutral reply into Cloud API messages; the
// builders enforce WhatsApp's limits (long texts become several messages).
func toOutgoing(r dialog.Reply) []cloudapi.Outgoing {
	var out []cloudapi.Outgoing
	decorate := func(o cloudapi.Outgoing) cloudapi.Outgoing {
		if r.Header != "" {
			o = o.WithHeader(r.Header)
		}
		if r.Footer != "" {
			o = o.WithFooter(r.Footer)
		}
		return o
	}
	switch r.Kind {
	case dialog.ReplyButtons:
		bs := make([]cloudapi.Button, len(r.Options))
		for i, o := range r.Options {
			bs[i] = cloudapi.Button{ID: o.ID, Title: o.Title}
		}
		out = append(out, decorate(cloudapi.Buttons(r.Body, bs...)))
	case dialog.ReplyList:
		rows := make([]cloudapi.Row, len(r.Options))
		for i, o := range r.Options {
			rows[i] = cloudapi.Row{ID: o.ID, Title: o.Title, Description: o.Description}
		}
		for _, o := range cloudapi.ListPages(r.Body, r.ListButton, rows, func(page int) string { return fmt.Sprintf("menu:page:%d", page) }) {
			out = append(out, decorate(o))
		}
	case dialog.ReplyCTAURL:
		out = append(out, decorate(cloudapi.CTAURL(r.Body, r.ListButton, r.URL)))
	case dialog.ReplyImage:
		out = append(out, cloudapi.Image(r.ImageURL, r.Body))
	case dialog.ReplyProduct:
		o := cloudapi.Product(r.Body, r.CatalogID, r.ProductRetailerID)
		if r.Footer != "" {
			o = o.WithFooter(r.Footer)
		}
		out = append(out, o)
	case dialog.ReplyProductList:
		sections := make([]cloudapi.ProductSection, len(r.Sections))
		for i, s := range r.Sections {
			sections[i] = cloudapi.ProductSection{Title: s.Title, RetailerID: s.SKUs}
		}
		for _, o := range cloudapi.ProductList(r.Header, r.Body, r.CatalogID, sections) {
			if r.Footer != "" {
				o = o.WithFooter(r.Footer)
			}
			out = append(out, o)
		}
	default:
		out = append(out, cloudapi.TextPages(r.Body)...)
	}
	return out
}

// queueText stores a text and its send jobs (a long text is split into
// several messages) and returns the first message, or nil for a text with
// nothing to send.
func (s *Service) queueText(ctx context.Context, tx bun.Tx, conv *Conversation, author, text string) (*Message, error) {
	var first *Message
	for _, o := range cloudapi.TextPages(text) {
		m, err := s.queue(ctx, tx, conv, author, outbound{Outgoing: o})
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = m
		}
	}
	return first, nil
}

// queue stores one outbound message and, in the same transaction, the job
// that sends it.
func (s *Service) queue(ctx context.Context, tx bun.Tx, conv *Conversation, author string, o outbound) (*Message, error) {
	return s.queueWithID(ctx, tx, conv, uuid.Must(uuid.NewV7()), author, o)
}

func (s *Service) queueWithID(ctx context.Context, tx bun.Tx, conv *Conversation, id uuid.UUID, author string, o outbound) (*Message, error) {
	payload, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	m := &Message{ID: id, ConversationID: conv.ID, Direction: Out, Kind: string(o.Type),
		Body: truncate(o.Summary(), 4096), Payload: payload, Author: author, Status: StatusQueued, SentAt: s.now().UTC()}
	if err := insertOutbound(ctx, tx, conv.TenantID, m); err != nil {
		return nil, err
	}
	if err := s.jobs.InsertTx(ctx, tx, SendArgs{TenantID: conv.TenantID, MessageID: m.ID}, nil); err != nil {
		return nil, err
	}
	return m, nil
}
