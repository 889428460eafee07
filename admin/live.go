package admin

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"concierge/modules/whatsapp"
)

// The inbox is live: the WhatsApp channel publishes a staff event on Redis
// (whatsapp.EventsChannel) once a conversation's change is committed, and
// every open inbox page of that tenant hears of it through server-sent
// events. One pattern subscription per process serves every page: the hub
// below fans the events out by tenant, so an open page costs no Redis
// connection of its own.

// liveEvent is one staff event: what happened to which conversation.
type liveEvent struct {
	Event          string    `json:"event"`
	ConversationID uuid.UUID `json:"conversation_id"`
}

// listener is one open inbox page's queue of events.
type listener struct {
	tenant uuid.UUID
	ch     chan liveEvent
}

// hub subscribes to every tenant's staff events once (on the first
// listener) and hands each to the listeners of its tenant. A listener that
// does not keep up loses events, never blocks the others: its page
// refreshes whole on the next event it does get.
type hub struct {
	rdb    redis.UniversalClient
	prefix string

	mu        sync.Mutex
	listeners map[uuid.UUID]map[*listener]struct{}
	started   bool
	ready     chan struct{} // closed once the subscription is confirmed
	ctx       context.Context
	stop      context.CancelFunc
}

func newHub(rdb redis.UniversalClient, prefix string) *hub {
	ctx, stop := context.WithCancel(context.Background())
	return &hub{rdb: rdb, prefix: prefix, listeners: map[uuid.UUID]map[*listener]struct{}{}, ready: make(chan struct{}),
		ctx: ctx, stop: stop}
}

// listen registers a listener for tenant's events; the subscription is
// confirmed by Redis before listen returns (an event published after it
// returns reaches the listener), unless the hub is closed or Redis does not
// answer within two seconds.
func (h *hub) listen(tenant uuid.UUID) *listener {
	l := &listener{tenant: tenant, ch: make(chan liveEvent, 32)}
	h.mu.Lock()
	if h.listeners[tenant] == nil {
		h.listeners[tenant] = map[*listener]struct{}{}
	}
	h.listeners[tenant][l] = struct{}{}
	if !h.started && h.rdb != nil {
		h.started = true
		go h.run()
	}
	h.mu.Unlock()
	// Redis down: the page still opens, and refreshes when it can.
	wait := time.NewTimer(2 * time.Second)
	defer wait.Stop()
	select {
	case <-h.ready:
	case <-h.ctx.Done():
	case <-wait.C:
	}
	return l
}

// leave removes a listener.
func (h *hub) leave(l *listener) {
	h.mu.Lock()
	delete(h.listeners[l.tenant], l)
	if len(h.listeners[l.tenant]) == 0 {
		delete(h.listeners, l.tenant)
	}
	h.mu.Unlock()
}

// done is closed when the hub closes (the server shuts down): open streams
// end.
func (h *hub) done() <-chan struct{} { return h.ctx.Done() }

// close ends the subscription and every stream.
func (h *hub) close() { h.stop() }

// run holds the pattern subscription (go-redis resubscribes after a lost
// connection) and fans the events out.
func (h *hub) run() {
	pattern := whatsapp.EventsChannel(h.prefix, uuid.Nil)
	pattern = strings.TrimSuffix(pattern, "{"+uuid.Nil.String()+"}") + "*"
	ps := h.rdb.PSubscribe(h.ctx, pattern)
	defer ps.Close()
	for {
		// The first reply confirms the subscription; later ones are events
		// (and confirmations again after a reconnect).
		msg, err := ps.Receive(h.ctx)
		if err != nil {
			// go-redis reconnects on the next Receive; wait a little
			// first, so a Redis that is down is not called in a loop.
			select {
			case <-h.ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			h.confirm()
		case *redis.Message:
			h.deliver(m)
		}
	}
}

func (h *hub) confirm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.ready:
	default:
		close(h.ready)
	}
}

// deliver hands a published event to its tenant's listeners.
func (h *hub) deliver(m *redis.Message) {
	open, shut := strings.LastIndexByte(m.Channel, '{'), strings.LastIndexByte(m.Channel, '}')
	if open < 0 || shut < open {
		return
	}
	tenant, err := uuid.Parse(m.Channel[open+1 : shut])
	if err != nil {
		return
	}
	var ev liveEvent
	if json.Unmarshal([]byte(m.Payload), &ev) != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for l := range h.listeners[tenant] {
		select {
		case l.ch <- ev:
		default: // a slow page: it catches up on its next event
		}
	}
}
