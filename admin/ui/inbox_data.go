package ui

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"concierge/internal/i18n"
	"concierge/modules/cms"
	"concierge/modules/whatsapp"
)

// Inbox is the hand-off inbox: its queues and, when one is open, a
// conversation.
type Inbox struct {
	Waiting, Active, Bot []InboxItem
	Open                 uuid.UUID // the open conversation (uuid.Nil: none)
	Convo                *Convo
}

// InboxItem is a conversation in a queue.
type InboxItem struct {
	ID          uuid.UUID
	Name, Phone string
	Last        string    // the last message's text
	At          time.Time // when it entered its queue, else its last activity
	Handoff     string
	Mine        bool // assigned to the signed-in user
}

// Convo is one conversation as staff see it.
type Convo struct {
	ID                  uuid.UUID
	Name, Phone, Locale string
	Consent             string // unknown, granted, declined, withdrawn
	Handoff             string
	Mine, Assigned      bool
	Messages            []ThreadMessage
	InWindow            bool
	WindowEnds          time.Time // zero: the customer never wrote
	WindowLeft          time.Duration
	Reengage            string // the template replies outside the window go out in ("" none)
	Cart                *whatsapp.CartSummary
	Orders              []whatsapp.OrderSummary
	Quick               []cms.QuickReply
	Vars                []string // the quick-reply variables staff fill
	CanWrite            bool
	Form                ReplyForm
	Errors              map[string]string
	Live                bool // rendered for the live page's refresh
}

// ReplyForm is the reply box as typed.
type ReplyForm struct {
	Text  string
	Quick string
	Vars  map[string]string
}

// ThreadMessage is one message of the conversation.
type ThreadMessage struct {
	ID     uuid.UUID
	Out    bool
	Author string // customer, bot, user:<id> (staff) or system:<what>
	Kind   string
	Body   string
	At     time.Time
	Status string
	Error  bool
}

// CanReply: a reply can be sent now (in the window, or outside it in the
// re-engagement template).
func (c *Convo) CanReply() bool { return c.CanWrite && (c.InWindow || c.Reengage != "") }

// Path is the conversation's page.
func (c *Convo) Path() string { return "/admin/inbox/" + c.ID.String() }

// EventsPath is the live page's event stream.
func (in Inbox) EventsPath() string {
	if in.Open == uuid.Nil {
		return "/admin/inbox/events"
	}
	return "/admin/inbox/events?c=" + in.Open.String()
}

// QueuesPath is the queues' fragment.
func (in Inbox) QueuesPath() string {
	if in.Open == uuid.Nil {
		return "/admin/inbox/queues"
	}
	return "/admin/inbox/queues?c=" + in.Open.String()
}

// who names a message's author for staff.
func (v *View) who(m ThreadMessage) string {
	switch {
	case m.Author == "customer" || !m.Out:
		return v.T("admin.inbox.author.customer")
	case m.Author == "bot":
		return v.T("admin.inbox.author.bot")
	case strings.HasPrefix(m.Author, "user:"):
		return v.T("admin.inbox.author.staff")
	default:
		return v.T("admin.inbox.author.system")
	}
}

// Left says how long until the time, in hours and minutes.
func (v *View) Left(d time.Duration) string {
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	return v.T("admin.inbox.left", "hours", v.Number(h), "minutes", v.Number(m))
}

// Digits writes a number given as text in the view's digits.
func (v *View) Digits(s string) string {
	if v.Lang == "ar" {
		return i18n.Digits(s)
	}
	return s
}

// inboxCSS lays the inbox out: queues, conversation, customer side by side
// on a laptop, one under the other on a phone; the messages scroll with
// the newest at the bottom (column-reverse keeps the view there without a
// script).
const inboxCSS = `.inbox{display:grid;gap:16px;align-items:start}@media(min-width:1100px){.inbox{grid-template-columns:260px 1fr 260px}}
.queues,.convo,.context{background:#fff;border:1px solid #dfe2df;border-radius:8px;padding:8px 12px;min-width:0}
.queues h2{font-size:1rem;margin:10px 0 6px}
.qlist{list-style:none;margin:0;padding:0}
.qlist a{display:grid;gap:2px;padding:8px;border-radius:6px;text-decoration:none;color:inherit;border-bottom:1px solid #eceeec}
.qlist a[aria-current=page],.qlist a:hover,.qlist a:focus{background:#eef6f2}
.qlist .badge{justify-self:start}
.qname{font-weight:600}.qlast{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.qtime{font-size:.85rem}
.chead{display:flex;justify-content:space-between;gap:12px;flex-wrap:wrap;border-bottom:1px solid #eceeec;padding-bottom:8px}
.chead h2{margin:4px 0}.chead p{margin:0}
.actions{display:flex;gap:8px;flex-wrap:wrap;align-items:flex-start}
.scroll{display:flex;flex-direction:column-reverse;overflow-y:auto;max-height:55vh;margin:8px 0}
.msgs{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:8px}
.msg{max-width:80%;padding:8px 10px;border-radius:10px;background:#f1f3f1;align-self:flex-start}
.msg.out{background:#e3f1ea;align-self:flex-end}
.msg p{margin:2px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.msg .who,.msg .st{font-size:.8rem;color:#4d524f}.msg .st.err{color:#a3261b;font-weight:600}
.reply textarea{width:100%}
.reply details{margin:8px 0}
.facts{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:0 0 12px}.facts dt{font-weight:600}.facts dd{margin:0}
.context h3{font-size:1rem;margin:12px 0 6px}
.olist{list-style:none;margin:0;padding:0}.olist li{padding:6px 0;border-bottom:1px solid #eceeec;display:flex;flex-wrap:wrap;gap:6px}
`

// Plural is the plural form of id for n in the view's language ({{.Count}}).
func (v *View) Plural(id string, n int) string { return v.texts.Count(v.Lang, id, n, nil) }
