package live

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
)

// recentNames is how many newly published names each letter keeps for
// clients that reconnect with Last-Event-ID.
const recentNames = 1000

// HubConfig tunes the hub.
type HubConfig struct {
	// Interval is the most often the event stream sends an update (coalescing).
	Interval time.Duration
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
	buildMu   sync.Mutex
	snap      *Snapshot
	builtAt   time.Time
	changed   map[string]bool
	published []uint64
	dirty     bool
	sentSeq   uint64
	recent    []NameEvent
	subs      map[*Subscriber]struct{}
}

// NameEvent is a newly published signatory, with the snapshot it came in.
type NameEvent struct {
	Seq uint64
	store.PublicSignatory
}

// NewHub returns a hub over st.
func NewHub(st *store.Store, cfg HubConfig, log *slog.Logger) *Hub {
	return &Hub{store: st, cfg: cfg, log: log, letters: map[uint]*letterState{}}
}

func (h *Hub) state(letterID uint) *letterState {
	s, ok := h.letters[letterID]
	if !ok {
		s = &letterState{changed: map[string]bool{}, subs: map[*Subscriber]struct{}{}}
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
	s.published = append(s.published, c.Published...)
	s.dirty = true
}

// Snapshot returns the letter's current snapshot, rebuilding it first when it
// has changed and is older than MaxStale. While another request rebuilds it,
// the previous snapshot is returned rather than waiting.
func (h *Hub) Snapshot(ctx context.Context, letterID uint) (*Snapshot, error) {
	h.mu.Lock()
	s := h.state(letterID)
	snap := s.snap
	stale := snap == nil || (s.dirty && time.Since(s.builtAt) >= h.cfg.MaxStale)
	h.mu.Unlock()
	if !stale {
		return snap, nil
	}
	if snap == nil {
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
	prev, changed, published := s.snap, s.changed, s.published
	s.dirty, s.changed, s.published = false, map[string]bool{}, nil
	h.mu.Unlock()

	snap, events, err := h.load(ctx, letterID, prev, changed, published)

	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		for code := range changed { // keep the changes for the next attempt
			s.changed[code] = true
		}
		s.published, s.dirty = append(published, s.published...), true
		return nil, err
	}
	s.snap, s.builtAt = snap, time.Now()
	s.recent = append(s.recent, events...)
	if over := len(s.recent) - recentNames; over > 0 {
		s.recent = slices.Delete(s.recent, 0, over)
	}
	return snap, nil
}

func (h *Hub) load(ctx context.Context, letterID uint, prev *Snapshot, changed map[string]bool, published []uint64) (*Snapshot, []NameEvent, error) {
	db := h.store.Read(ctx)
	snap, err := build(ctx, db, letterID, prev, changed, h.cfg.NamesPerCountry)
	if err != nil {
		return nil, nil, err
	}
	if len(published) == 0 {
		return snap, nil, nil
	}
	names, err := store.PublishedByID(db, letterID, published)
	if err != nil {
		return nil, nil, fmt.Errorf("live: new names of letter %d: %w", letterID, err)
	}
	events := make([]NameEvent, len(names))
	for i, n := range names {
		events[i] = NameEvent{Seq: snap.Seq, PublicSignatory: n}
	}
	return snap, events, nil
}
