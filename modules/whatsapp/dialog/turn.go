package dialog

import (
	"context"
	"maps"
)

// Turn is a capability's working copy of one turn: the request, the
// customer's language, and the result being built — its state a copy of
// the request's with a Data map of its own, so changing it never touches
// the caller's. Capabilities embed it in their own turn type and add their
// steps.
type Turn struct {
	Ctx    context.Context
	Req    Request
	Locale string
	Res    Result
	words  Words
	prefix string
}

// NewTurn starts a turn of the capability whose reply ids start with
// prefix + ":", speaking with words.
func NewTurn(ctx context.Context, req Request, words Words, prefix string) *Turn {
	t := &Turn{Ctx: ctx, Req: req, Locale: req.Locale(), words: words, prefix: prefix}
	t.Res.State = req.State
	t.Res.State.Data = maps.Clone(req.State.Data)
	if t.Res.State.Data == nil {
		t.Res.State.Data = map[string]string{}
	}
	return t
}

// Text is bot text key in the customer's language with vars filled.
func (t *Turn) Text(key string, pairs ...string) string {
	return t.words.Text(t.Ctx, t.Locale, key, pairs...)
}

// Say adds a text reply.
func (t *Turn) Say(body string) { t.Res.Replies = append(t.Res.Replies, TextReply(body)) }

// Buttons adds a reply with buttons.
func (t *Turn) Buttons(body string, opts ...Option) {
	t.Res.Replies = append(t.Res.Replies, ButtonsReply(body, opts...))
}

// Opt is a button of the capability: reply id prefix:id, titled by the bot
// text key.
func (t *Turn) Opt(id, key string) Option {
	return Option{ID: t.prefix + ":" + id, Title: t.Text(key)}
}

// Data reads a value kept in the state.
func (t *Turn) Data(k string) string { return t.Res.State.Data[k] }

// Set keeps a value in the state.
func (t *Turn) Set(k, v string) { t.Res.State.Data[k] = v }
