package live

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// recentNames is how many newly published names each letter keeps for
// clients that reconnect with Last-Event-ID.
const recentNames = 1000

// namesOverlap is how far before the last build began a rebuild looks for
// names published by another server. A signature is stamped published
// before its transaction commits, so one committed after a build began
// may carry an earlier time; the overlap reads such names again, and
// remember drops those already sent. Without it, names whose commit took
// longer than the gap between two builds (seen under load on PostgreSQL)
// never reached the other server's stream.
const namesOverlap = 10 * time.Second

// HubConfig tunes the hub.
type HubConfig struct {
	// Interval is the most often the event stream sends an update (coalescing).
	Interval time.Duration
	// Now is the app's clock, which stamps signatures' publication.
	Now func() time.Time
	// MaxStale is how old a snapshot may be, after a change, before a page
	// request rebuilds it; zero means every request sees every change.
	MaxStale time.Duration
	// NamesPerCountry is how many organisations and how many individuals of
	// each country a snapshot holds for the letter page.
	NamesPerCountry int
}

// Hub holds each letter's snapshot and the subscribers to its updates.
type Hub struct {
	store *store.Store
	cfg   HubConfig
	log   *slog.Logger

	mu      sync.Mutex
	letters map[uint]*letterState
}

// letterState is the hub's memory of one letter, guarded by Hub.mu. Builds
// run outside that lock, one at a time, under buildMu.
type letterState struct {
	buildMu    sync.Mutex
	snap       *Snapshot
	builtAt    time.Time
	changed    map[string]bool
	published  []uint64
	dirty      bool
	urgent     bool      // a name stopped being public: rebuild at the next read, whatever MaxStale says
	all        bool      // changed by another server: rebuild every country
	seenSeq    int64     // the letter's change counter at the last build
	seenUnpub  int64     // and its counter of names taken off the list
	namesSince time.Time // when the last build began, for names published elsewhere
	sentSeq    uint64
	recent     []NameEvent
	// gone are the signatures that stopped being public on this server
	// since the rebuild in flight began: that rebuild may have read them just
	// before, and must not put them among the recent names.
	gone map[uint64]bool
	subs map[*Subscriber]struct{}
}

// NameEvent is a newly published signatory, with the snapshot it came in.
type NameEvent struct {
	Seq uint64
	store.PublicSignatory
}

// NewHub returns a hub over st.
func NewHub(st *store.Store, cfg HubConfig, log *slog.Logger) *Hub {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hub{store: st, cfg: cfg, log: log, letters: map[uint]*letterState{}}
}

func (h *Hub) now() time.Time { return h.cfg.Now() }

func (h *Hub) state(letterID uint) *letterState {
	s, ok := h.letters[letterID]
	if !ok {
		s = &letterState{changed: map[string]bool{}, gone: map[uint64]bool{}, subs: map[*Subscriber]struct{}{}}
		h.letters[letterID] = s
	}
	return s
}

// Notify records a change committed to the database. It is cheap: the work
// happens at the next page request or event-stream tick.
func (h *Hub) Notify(c store.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.state(c.LetterID)
	for _, code := range c.Countries {
		s.changed[code] = true
	}
	if len(c.Unpublished) > 0 {
		s.forget(c.Unpublished)
		s.urgent = true
	}
	s.published = append(s.published, c.Published...) // a correction's new name, for the next rebuild
	s.dirty = true
}

// forget drops signatures that stopped being public from everything the
// hub would still send of them: the recent names a reconnecting client
// catches up on, and those waiting for the next update.
func (s *letterState) forget(ids []uint64) {
	for _, id := range ids {
		s.gone[id] = true
	}
	s.recent = slices.DeleteFunc(s.recent, func(e NameEvent) bool { return slices.Contains(ids, e.ID) })
	s.published = slices.DeleteFunc(s.published, func(id uint64) bool { return slices.Contains(ids, id) })
}

// Snapshot returns the letter's current snapshot, rebuilding it first when it
// has changed and is older than MaxStale. While another request rebuilds it,
// the previous snapshot is returned rather than waiting.
func (h *Hub) Snapshot(ctx context.Context, letterID uint) (*Snapshot, error) {
	h.mu.Lock()
	s := h.state(letterID)
	snap := s.snap
	stale := snap == nil || s.urgent || (s.dirty && time.Since(s.builtAt) >= h.cfg.MaxStale)
	urgent := s.urgent
	h.mu.Unlock()
	if !stale {
		return snap, nil
	}
	if snap == nil || urgent { // no snapshot yet, or one still naming someone who withdrew
		s.buildMu.Lock()
	} else if !s.buildMu.TryLock() {
		return snap, nil
	}
	defer s.buildMu.Unlock()
	return h.rebuild(ctx, letterID, s)
}

// rebuild makes a new snapshot from the database, if anything changed, and
// records the names published since the last one. The caller holds buildMu.
func (h *Hub) rebuild(ctx context.Context, letterID uint, s *letterState) (*Snapshot, error) {
	h.mu.Lock()
	if s.snap != nil && !s.dirty {
		snap := s.snap
		h.mu.Unlock()
		return snap, nil
	}
	w := work{prev: s.snap, changed: s.changed, published: s.published, all: s.all, since: s.namesSince.Add(-namesOverlap),
		seenUnpub: s.seenUnpub, urgent: s.urgent}
	for _, e := range s.recent {
		w.recheck = append(w.recheck, e.ID)
	}
	s.dirty, s.urgent, s.changed, s.published, s.all, s.gone = false, false, map[string]bool{}, nil, false, map[uint64]bool{}
	h.mu.Unlock()

	started := h.now()
	snap, events, public, counters, err := h.load(ctx, letterID, w)

	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		for code := range w.changed { // keep the changes for the next attempt
			s.changed[code] = true
		}
		s.published, s.dirty, s.all = append(w.published, s.published...), true, s.all || w.all
		s.urgent = s.urgent || w.urgent
		return nil, err
	}
	s.snap, s.builtAt, s.seenSeq, s.seenUnpub, s.namesSince = snap, time.Now(), counters.Seq, counters.Unpublished, started
	if public != nil { // rechecked: some of the recent names may have been unpublished elsewhere
		s.recent = slices.DeleteFunc(s.recent, func(e NameEvent) bool { return slices.Contains(w.recheck, e.ID) && !public[e.ID] })
	}
	s.remember(events)
	return snap, nil
}

// remember adds the names newly published to those a reconnecting client can
// catch up on, once each, keeping the last recentNames.
func (s *letterState) remember(events []NameEvent) {
	if len(events) == 0 {
		return
	}
	seen := map[uint64]bool{}
	for _, e := range s.recent {
		seen[e.ID] = true
	}
	for _, e := range events {
		if !seen[e.ID] && !s.gone[e.ID] {
			s.recent = append(s.recent, e)
			seen[e.ID] = true
		}
	}
	if over := len(s.recent) - recentNames; over > 0 {
		s.recent = slices.Delete(s.recent, 0, over)
	}
}

// work is what a rebuild has to take into account.
type work struct {
	prev      *Snapshot
	changed   map[string]bool // countries changed on this server
	published []uint64        // signatures published on this server
	all       bool            // another server changed the letter: read everything again
	since     time.Time       // with all: names published since then
	recheck   []uint64        // the recent names, to check they are still public should one have left
	seenUnpub int64           // the letter's counter of names taken off the list at the last build
	urgent    bool            // a name stopped being public: a failed rebuild must not forget it
}

// load reads the next snapshot and the newly published names, and the
// letter's change counters as they were before the reading began. When a
// name left the public list since the last build, here or on another server
// (the counters say so), it reads every country again and returns which of
// the recent names are still public; otherwise that map is nil.
func (h *Hub) load(ctx context.Context, letterID uint, w work) (*Snapshot, []NameEvent, map[uint64]bool, store.LetterChange, error) {
	var none store.LetterChange
	db := h.store.ReadLive(ctx)
	counters, err := store.LetterCounters(db, letterID)
	if err != nil {
		return nil, nil, nil, none, err
	}
	unpublished := w.prev != nil && counters.Unpublished > w.seenUnpub
	snap, err := build(ctx, db, letterID, w.prev, w.changed, w.all || unpublished, h.cfg.NamesPerCountry)
	if err != nil {
		return nil, nil, nil, none, err
	}
	var names []store.PublicSignatory
	if len(w.published) > 0 {
		if names, err = store.PublishedByID(db, letterID, w.published); err != nil {
			return nil, nil, nil, none, fmt.Errorf("live: new names of letter %d: %w", letterID, err)
		}
	}
	if w.all && w.prev != nil {
		elsewhere, err := store.PublishedSince(db, letterID, w.since)
		if err != nil {
			return nil, nil, nil, none, fmt.Errorf("live: names published elsewhere for letter %d: %w", letterID, err)
		}
		names = append(names, elsewhere...)
	}
	var public map[uint64]bool
	if unpublished {
		if public, err = stillPublic(db, letterID, w.recheck); err != nil {
			return nil, nil, nil, none, err
		}
	}
	events := make([]NameEvent, len(names))
	for i, n := range names {
		events[i] = NameEvent{Seq: snap.Seq, PublicSignatory: n}
	}
	return snap, events, public, counters, nil
}

// stillPublic tells which of the signatures ids are published and named.
func stillPublic(db *gorm.DB, letterID uint, ids []uint64) (map[uint64]bool, error) {
	public := map[uint64]bool{}
	if len(ids) == 0 {
		return public, nil
	}
	still, err := store.PublishedByID(db, letterID, ids)
	if err != nil {
		return nil, fmt.Errorf("live: recent names of letter %d: %w", letterID, err)
	}
	for _, n := range still {
		public[n.ID] = true
	}
	return public, nil
}

// poll reads every followed letter's change counter and marks the letters
// that another server changed, so the next read or broadcast rebuilds them.
func (h *Hub) poll(ctx context.Context) {
	h.mu.Lock()
	var ids []uint
	for id, s := range h.letters {
		if s.snap != nil {
			ids = append(ids, id)
		}
	}
	h.mu.Unlock()
	for _, id := range ids {
		c, err := store.LetterCounters(h.store.ReadLive(ctx), id)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Error("live: poll", "letter", id, "err", err)
			}
			continue
		}
		h.mu.Lock()
		s := h.state(id)
		switch {
		case c.Unpublished > s.seenUnpub:
			// A name left the list, here or elsewhere: whatever this server
			// is doing, read every country and recheck the recent names now.
			s.dirty, s.all, s.urgent = true, true, true
		case c.Seq > s.seenSeq && !s.dirty:
			s.dirty, s.all = true, true
		}
		h.mu.Unlock()
	}
}
