package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/modules/cms"
	"concierge/modules/whatsapp"
)

// The hand-off inbox: customers waiting for a person, conversations staff
// have, and those with the bot; one conversation with its messages, the
// reply box (typed text or a quick reply with its variables), take /
// release / back to the bot, and beside it what staff should know of the
// customer: consent, open cart, recent orders with their payment, and the
// time left in WhatsApp's 24-hour window. Pages open in full without
// JavaScript; with it, server-sent events (GET /admin/inbox/events) tell
// the page which parts to fetch again, so new messages appear without a
// reload.

const (
	inboxListSize = 50
	threadSize    = 100
)

// inbox is GET /admin/inbox: the queues.
func (a *Console) inbox(c *fiber.Ctx) error {
	v := a.view(c, "admin.inbox.title")
	in, err := a.queues(c, uuid.Nil)
	if err != nil {
		return a.fail(c, err)
	}
	return a.render(c, ui.InboxPage(v, in))
}

// inboxConversation is GET /admin/inbox/{id}: the queues and one
// conversation. Another tenant's conversation is 404.
func (a *Console) inboxConversation(c *fiber.Ctx) error {
	id, err := conversationID(c)
	if err != nil {
		return a.fail(c, err)
	}
	return a.conversationPage(c, id, ui.ReplyForm{}, nil)
}

func (a *Console) conversationPage(c *fiber.Ctx, id uuid.UUID, form ui.ReplyForm, bad map[string]string) error {
	v := a.view(c, "admin.inbox.title")
	conv, err := a.conversation(c, v, id)
	if err != nil {
		return a.fail(c, err)
	}
	conv.Form, conv.Errors = form, bad
	in, err := a.queues(c, id)
	if err != nil {
		return a.fail(c, err)
	}
	in.Convo = conv
	v.Title = conv.Name + " · " + v.T("admin.inbox.title")
	switch c.Query("done") {
	case "sent", "taken", "released", "resumed":
		v.Flash = v.T("admin.inbox.done." + c.Query("done"))
	}
	if len(bad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.InboxPage(v, in))
}

// inboxQueues is GET /admin/inbox/queues (?c= the open conversation): the
// queues alone, for the live page.
func (a *Console) inboxQueues(c *fiber.Ctx) error {
	v := a.view(c, "admin.inbox.title")
	open, _ := uuid.Parse(c.Query("c"))
	in, err := a.queues(c, open)
	if err != nil {
		return a.fail(c, err)
	}
	return a.render(c, ui.InboxQueues(v, in))
}

// inboxThread is GET /admin/inbox/{id}/thread: the conversation's header
// and messages alone, for the live page.
func (a *Console) inboxThread(c *fiber.Ctx) error { return a.fragment(c, ui.InboxThread) }

// inboxContext is GET /admin/inbox/{id}/context: the customer panel alone,
// for the live page.
func (a *Console) inboxContext(c *fiber.Ctx) error { return a.fragment(c, ui.InboxContext) }

// fragment renders a part of the open conversation's page.
func (a *Console) fragment(c *fiber.Ctx, part func(*ui.View, *ui.Convo) templ.Component) error {
	id, err := conversationID(c)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.inbox.title")
	conv, err := a.conversation(c, v, id)
	if err != nil {
		return a.fail(c, err)
	}
	conv.Live = true
	return a.render(c, part(v, conv))
}

func conversationID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, whatsapp.ErrNotFound
	}
	return id, nil
}

// queues reads the three queues: waiting for a person, with a person, with
// the bot.
func (a *Console) queues(c *fiber.Ctx, open uuid.UUID) (ui.Inbox, error) {
	ctx, r := c.UserContext(), reqOf(c)
	in := ui.Inbox{Open: open}
	for _, q := range []struct {
		handoff string
		into    *[]ui.InboxItem
	}{{whatsapp.HandoffWaiting, &in.Waiting}, {whatsapp.HandoffHuman, &in.Active}, {whatsapp.HandoffBot, &in.Bot}} {
		vs, err := a.d.Conversations.List(ctx, q.handoff, inboxListSize)
		if err != nil {
			return in, err
		}
		for _, cv := range vs {
			*q.into = append(*q.into, inboxItem(cv, r.p.UserID))
		}
	}
	return in, nil
}

func inboxItem(cv whatsapp.ConversationView, me uuid.UUID) ui.InboxItem {
	it := ui.InboxItem{ID: cv.Conversation.ID, Name: cv.Customer.ProfileName, Phone: "+" + cv.Customer.WAID,
		Last: cv.LastMessage, At: cv.Conversation.UpdatedAt, Handoff: cv.Conversation.Handoff,
		Mine: cv.Conversation.AssigneeID != nil && *cv.Conversation.AssigneeID == me}
	if cv.Conversation.HandoffAt != nil {
		it.At = *cv.Conversation.HandoffAt
	}
	if it.Name == "" {
		it.Name = it.Phone
	}
	return it
}

// conversation reads one conversation for the page: its messages, the
// customer's context and the window.
func (a *Console) conversation(c *fiber.Ctx, v *ui.View, id uuid.UUID) (*ui.Convo, error) {
	ctx, r := c.UserContext(), reqOf(c)
	cv, err := a.d.Conversations.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	msgs, err := a.d.Conversations.Messages(ctx, id, threadSize)
	if err != nil {
		return nil, err
	}
	now := a.d.Now()
	it := inboxItem(*cv, r.p.UserID)
	out := &ui.Convo{ID: id, Name: it.Name, Phone: it.Phone, Locale: cv.Customer.Locale, Consent: cv.Customer.Consent,
		Handoff: cv.Conversation.Handoff, Mine: it.Mine, Assigned: cv.Conversation.AssigneeID != nil,
		InWindow: cv.Conversation.InWindow(now), Reengage: a.cfg.ReengageTemplate,
		CanWrite: r.access.Can("conversations", "write"), Vars: quickVars}
	if last := cv.Conversation.LastInboundAt; last != nil {
		out.WindowEnds = last.Add(24 * time.Hour)
		out.WindowLeft = out.WindowEnds.Sub(now)
	}
	for _, m := range msgs {
		out.Messages = append(out.Messages, ui.ThreadMessage{ID: m.ID, Out: m.Direction == whatsapp.Out, Author: m.Author,
			Kind: m.Kind, Body: m.Body, At: m.SentAt, Status: m.Status, Error: m.ErrorCode != nil})
	}
	if a.d.Contexts != nil {
		cc, err := a.d.Contexts.CustomerContext(ctx, cv.Customer.ID, it.Phone)
		if err != nil {
			return nil, err
		}
		out.Cart, out.Orders = cc.Cart, cc.Orders
	}
	if out.CanWrite && a.d.QuickReplies != nil {
		qs, err := a.d.QuickReplies.QuickReplies(ctx, "")
		if err != nil && errs.CodeOf(err) != errs.CodeNotFound {
			return nil, err
		}
		out.Quick = qs
	}
	return out, nil
}

// quickVars are the quick-reply variables staff fill in the reply box; the
// others (customer_name, store_name, order_number) are filled for them.
var quickVars = slices.DeleteFunc(slices.Clone(cms.QuickReplyVars), func(name string) bool {
	return name == "customer_name" || name == "store_name" || name == "order_number"
})

// maxReply bounds a typed reply (WhatsApp's text limit).
const maxReply = 4096

// inboxReply is POST /admin/inbox/{id}/reply: a typed text, or a quick
// reply (by shortcut) with its variables, sent as the signed-in staff
// member. A problem comes back next to its field with what was typed.
func (a *Console) inboxReply(c *fiber.Ctx) error {
	id, err := conversationID(c)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.inbox.title")
	form := ui.ReplyForm{Text: c.FormValue("text"), Quick: strings.TrimSpace(c.FormValue("quick")), Vars: map[string]string{}}
	for _, name := range quickVars {
		if val := strings.TrimSpace(c.FormValue("var_" + name)); val != "" {
			form.Vars[name] = val
		}
	}
	bad := map[string]string{}
	switch {
	case form.Quick != "" && strings.TrimSpace(form.Text) != "":
		bad["text"] = v.T("admin.inbox.one_of")
	case form.Quick == "" && strings.TrimSpace(form.Text) == "":
		bad["text"] = v.T("admin.field.required")
	case utf8.RuneCountInString(form.Text) > maxReply:
		bad["text"] = v.T("admin.field.too_long", "max", v.Number(maxReply))
	}
	if len(bad) > 0 {
		return a.replyFailed(c, id, form, bad)
	}
	ctx := c.UserContext()
	if form.Quick != "" {
		_, err = a.d.Conversations.ReplyQuick(ctx, id, form.Quick, form.Vars)
	} else {
		_, err = a.d.Conversations.Reply(ctx, id, form.Text)
	}
	if err != nil {
		switch errs.CodeOf(err) {
		case errs.CodeInvalid:
			for _, fe := range errs.FieldsOf(err) {
				field := "text"
				if name, ok := strings.CutPrefix(fe.Field, "vars["); ok {
					field = "var_" + strings.TrimSuffix(name, "]")
				}
				bad[field] = a.d.Texts.Message(v.Lang, fe.Msg)
			}
			if len(bad) == 0 {
				bad["text"] = v.T("admin.error.invalid")
			}
			return a.replyFailed(c, id, form, bad)
		case errs.CodeNotFound:
			if form.Quick != "" { // the conversation exists (it was read); the quick reply does not
				if _, gerr := a.d.Conversations.Get(ctx, id); gerr == nil {
					return a.replyFailed(c, id, form, map[string]string{"quick": v.T("admin.inbox.no_quick")})
				}
			}
		}
		return a.fail(c, err)
	}
	if c.Get("HX-Request") == "true" {
		// The live page: a fresh conversation pane, the reply box empty.
		return a.pane(c, v, id, ui.ReplyForm{}, nil)
	}
	return c.Redirect("/admin/inbox/"+id.String()+"?done=sent", fiber.StatusSeeOther)
}

// replyFailed answers a reply that was not sent: the pane (htmx) or the
// page with the field errors.
func (a *Console) replyFailed(c *fiber.Ctx, id uuid.UUID, form ui.ReplyForm, bad map[string]string) error {
	if c.Get("HX-Request") == "true" {
		c.Status(fiber.StatusUnprocessableEntity)
		return a.pane(c, a.view(c, "admin.inbox.title"), id, form, bad)
	}
	return a.conversationPage(c, id, form, bad)
}

// pane renders the conversation's pane (thread and reply box).
func (a *Console) pane(c *fiber.Ctx, v *ui.View, id uuid.UUID, form ui.ReplyForm, bad map[string]string) error {
	conv, err := a.conversation(c, v, id)
	if err != nil {
		return a.fail(c, err)
	}
	conv.Form, conv.Errors, conv.Live = form, bad, true
	return a.render(c, ui.InboxPane(v, conv))
}

// inboxHandoff is POST /admin/inbox/{id}/take, /release and /resume: take
// the conversation (the bot pauses), put it back in the queue, or hand it
// back to the bot (the customer is told). Audited with the staff member.
func (a *Console) inboxHandoff(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := conversationID(c)
		if err != nil {
			return a.fail(c, err)
		}
		ctx := c.UserContext()
		done := map[string]string{"take": "taken", "release": "released", "resume": "resumed"}[action]
		switch action {
		case "take":
			_, err = a.d.Conversations.TakeOver(ctx, id)
		case "release":
			_, err = a.d.Conversations.Release(ctx, id)
		default:
			_, err = a.d.Conversations.Resume(ctx, id)
		}
		if err != nil {
			return a.fail(c, err)
		}
		return c.Redirect("/admin/inbox/"+id.String()+"?done="+done, fiber.StatusSeeOther)
	}
}

// ssePing is how often an open stream is checked: a comment keeps proxies
// from closing it, a closed browser is noticed, and a session that ended
// (signed out, idle) ends the stream.
const ssePing = 15 * time.Second

// inboxEvents is GET /admin/inbox/events (?c= the open conversation): a
// server-sent event stream telling the page what to fetch again —
// "queues" when any conversation of the store changed, "thread" when the
// open one did (with data "status" when only the delivery ticks of its
// sent messages moved: the queues do not show them). It names no customer
// and carries no text: the page reads those through the ordinary,
// authorised routes. On connecting it sends both once, so nothing that
// happened while it connected is missed.
func (a *Console) inboxEvents(c *fiber.Ctx) error {
	r := reqOf(c)
	open, _ := uuid.Parse(c.Query("c"))
	tenant, key := r.tenant.ID, r.key
	conn := c.Context().Conn()
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	l := a.live.listen(tenant)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer a.live.leave(l)
		send := func(lines string) bool {
			// The server's write timeout counts from the response's start:
			// each write of a long stream gets its own.
			if conn != nil {
				_ = conn.SetWriteDeadline(time.Now().Add(ssePing))
			}
			if _, err := w.WriteString(lines); err != nil {
				return false
			}
			return w.Flush() == nil
		}
		events := func(thread bool) string {
			s := "event: queues\ndata: \n\n"
			if thread {
				s += "event: thread\ndata: \n\n"
			}
			return s
		}
		if !send("retry: 3000\n\n" + events(open != uuid.Nil)) {
			return
		}
		ping := time.NewTicker(ssePing)
		defer ping.Stop()
		for {
			select {
			case ev := <-l.ch:
				mine := open != uuid.Nil && ev.ConversationID == open
				lines := events(mine)
				if ev.Event == whatsapp.EventStatus { // ticks: the open thread only
					lines = ""
					if mine {
						lines = "event: thread\ndata: status\n\n"
					}
				}
				if lines != "" && !send(lines) {
					return
				}
			case <-ping.C:
				if !a.sessionAlive(key) || !send(": ping\n\n") {
					return
				}
			case <-a.live.done():
				return
			}
		}
	})
	return nil
}

// Close ends the inbox's open event streams (the server is shutting down).
func (a *Console) Close() { a.live.close() }

// sessionAlive reports whether the session under key is still signed in:
// not signed out, not idle for longer than idle (an open stream does not
// keep a session alive by itself). Redis unreachable counts as alive.
func (a *Console) sessionAlive(key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := a.d.Redis.Get(ctx, key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return false
	case err != nil:
		return true
	}
	var s session
	if json.Unmarshal(b, &s) != nil {
		return false
	}
	return a.d.Now().Sub(time.UnixMilli(s.Seen)) <= a.cfg.IdleTimeout
}
