package sandbox

import (
	"time"
)

// The in-memory store: conversations keyed by business number and customer,
// each a bounded list of entries (customer and bot messages in order).

// Directions of an entry.
const (
	dirIn  = "in"  // customer → business, posted by the sandbox
	dirOut = "out" // business → customer, recorded by the emulator
)

type convKey struct{ pnid, wa string }

type conversation struct {
	entries  []*entry
	botTotal int           // bot messages ever recorded, evicted ones included
	tail     chan struct{} // closed when the last queued status job ends
	viewedAt time.Time     // last poll of the page for this chat
	convID   string        // Meta's conversation id in statuses
	convExp  time.Time     // its expiration
	num      numberInfo    // the business number, as last seen
}

type entry struct {
	seq, rev  int64
	key       convKey
	dir       string
	id        string // wamid
	typ       string
	at        time.Time
	status    string
	errCode   int
	errTitle  string
	raw       []byte   // out: the send request; in: the webhook's message object
	msg       *Message // out: the parsed request
	webhook   int      // in: the product's answer to the webhook
	readQueue bool     // out: a read status is queued or posted
}

func (x *entry) recorded() Recorded {
	r := Recorded{Seq: x.seq, ID: x.id, PhoneNumberID: x.key.pnid, To: x.key.wa, Type: x.typ,
		Raw: append([]byte(nil), x.raw...), Status: x.status, ErrorCode: x.errCode, At: x.at}
	if x.msg != nil {
		r.Message = *x.msg
	}
	return r
}

// notifyLocked marks a change of a message and wakes Wait. e.mu is held.
func (e *Emulator) notifyLocked() int64 {
	e.rev++
	e.broadcastLocked()
	return e.rev
}

// broadcastLocked wakes Wait and Flush. e.mu is held.
func (e *Emulator) broadcastLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *Emulator) convLocked(k convKey) *conversation {
	c := e.convs[k]
	if c == nil {
		c = &conversation{}
		e.convs[k] = c
	}
	return c
}

// addLocked appends an entry to its conversation, forgetting the oldest one
// past MaxPerConversation. e.mu is held.
func (e *Emulator) addLocked(x *entry) {
	c := e.convLocked(x.key)
	e.seq++
	x.seq = e.seq
	x.rev = e.notifyLocked()
	c.entries = append(c.entries, x)
	if x.dir == dirOut {
		c.botTotal++
	}
	if len(c.entries) > MaxPerConversation {
		old := c.entries[0]
		c.entries[0] = nil
		c.entries = c.entries[1:]
		if e.byID[old.id] == old {
			delete(e.byID, old.id)
		}
	}
	e.byID[x.id] = x
}

var statusRank = map[string]int{StatusAccepted: 0, StatusSent: 1, StatusDelivered: 2, StatusRead: 3}

// setStatus changes the status of the message with this wamid. Statuses only
// move forward (a read is never undone by a late delivered); failed always
// applies.
func (e *Emulator) setStatus(id, status string, errCode int, errTitle string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.byID[id]
	if x == nil {
		return
	}
	if status != StatusFailed && x.status != StatusFailed && statusRank[status] <= statusRank[x.status] {
		return
	}
	x.status, x.errCode, x.errTitle = status, errCode, errTitle
	x.rev = e.notifyLocked()
}

func (e *Emulator) sentLocked(k convKey) []Recorded {
	c := e.convs[k]
	if c == nil {
		return nil
	}
	var out []Recorded
	for _, x := range c.entries {
		if x.dir == dirOut {
			out = append(out, x.recorded())
		}
	}
	return out
}

// lastBotLocked returns the newest bot message of a conversation for which
// match holds, or nil.
func (e *Emulator) lastBotLocked(k convKey, match func(*entry) bool) *entry {
	c := e.convs[k]
	if c == nil {
		return nil
	}
	for i := len(c.entries) - 1; i >= 0; i-- {
		if x := c.entries[i]; x.dir == dirOut && match(x) {
			return x
		}
	}
	return nil
}

// mediaStore keeps the media customers "sent", bounded.
type mediaStore struct {
	items map[string]*mediaItem
	order []string
}

type mediaItem struct {
	pnid   string
	mime   string
	sha256 string
	data   []byte
}

const maxMedia = 1000

func (m *mediaStore) put(id string, it *mediaItem) {
	m.items[id] = it
	m.order = append(m.order, id)
	if len(m.order) > maxMedia {
		delete(m.items, m.order[0])
		m.order = m.order[1:]
	}
}
