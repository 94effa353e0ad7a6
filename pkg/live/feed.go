package live

import (
	"context"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
)

// Update is one message of a letter's event stream: the counts as they are
// now and the names published since the subscriber's last update.
type Update struct {
	Seq       uint64                  `json:"seq"`
	Totals    Totals                  `json:"totals"`
	Countries []CountryCount          `json:"countries"`
	Names     []store.PublicSignatory `json:"names"`
}

// Subscriber receives a letter's updates on C until it unsubscribes. A
// subscriber that does not keep up misses updates; the next one it gets
// still has the current counts.
type Subscriber struct {
	C      chan Update
	letter uint
}

// subscriberBuffer is how many updates wait for a slow subscriber.
const subscriberBuffer = 8

// Subscribe registers for a letter's updates and returns the first one: the
// current counts and, for a client reconnecting with the id of the last
// update it saw, the names published since, as far as the hub remembers.
func (h *Hub) Subscribe(ctx context.Context, letterID uint, lastSeq uint64) (*Subscriber, Update, error) {
	snap, err := h.Snapshot(ctx, letterID)
	if err != nil {
		return nil, Update{}, err
	}
	sub := &Subscriber{C: make(chan Update, subscriberBuffer), letter: letterID}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.state(letterID)
	s.subs[sub] = struct{}{}
	first := update(snap, nil)
	if lastSeq > 0 {
		first.Names = namesAfter(s.recent, lastSeq, snap.Seq)
	}
	return sub, first, nil
}

// Unsubscribe stops a subscriber's updates.
func (h *Hub) Unsubscribe(sub *Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.state(sub.letter).subs
	if _, ok := subs[sub]; ok {
		delete(subs, sub)
		close(sub.C)
	}
}

// Close ends every subscription (their channels close) at shutdown, so the
// streams end and their clients reconnect to another server or to this one
// when it is back.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.letters {
		for sub := range s.subs {
			delete(s.subs, sub)
			close(sub.C)
		}
	}
}

// Subscribers counts the open event streams, for metrics and tests.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.letters {
		n += len(s.subs)
	}
	return n
}

// Run sends updates every Interval until ctx ends: at most one message per
// interval, however many signatures were published in it.
func (h *Hub) Run(ctx context.Context) {
	ticker := time.NewTicker(h.cfg.Interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			h.poll(ctx)
			h.Broadcast(ctx)
		}
	}
}

// Broadcast sends every letter with subscribers its changes since the last
// broadcast, if any.
func (h *Hub) Broadcast(ctx context.Context) {
	h.mu.Lock()
	var active []uint
	for id, s := range h.letters {
		if len(s.subs) > 0 {
			active = append(active, id)
		}
	}
	h.mu.Unlock()
	for _, id := range active {
		if err := h.broadcastLetter(ctx, id); err != nil && ctx.Err() == nil {
			h.log.Error("live: update failed", "letter", id, "err", err)
		}
	}
}

func (h *Hub) broadcastLetter(ctx context.Context, letterID uint) error {
	h.mu.Lock()
	s := h.state(letterID)
	h.mu.Unlock()
	s.buildMu.Lock()
	snap, err := h.rebuild(ctx, letterID, s)
	s.buildMu.Unlock()
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if snap.Seq <= s.sentSeq {
		return nil
	}
	u := update(snap, namesAfter(s.recent, s.sentSeq, snap.Seq))
	s.sentSeq = snap.Seq
	for sub := range s.subs {
		select {
		case sub.C <- u:
		default: // too slow: it gets the counts with the next update
		}
	}
	return nil
}

func update(snap *Snapshot, names []store.PublicSignatory) Update {
	if names == nil {
		names = []store.PublicSignatory{}
	}
	return Update{Seq: snap.Seq, Totals: snap.Totals, Countries: snap.Countries(), Names: names}
}

// namesAfter returns the remembered names that came after seq, up to upTo.
func namesAfter(recent []NameEvent, seq, upTo uint64) []store.PublicSignatory {
	var out []store.PublicSignatory
	for _, e := range recent {
		if e.Seq > seq && e.Seq <= upTo {
			out = append(out, e.PublicSignatory)
		}
	}
	return out
}
