package letters

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/undersigned/undersigned/pkg/store"
)

// Registry serves the letters from memory. It loads them from the database
// and loads them again whenever they change: at once when this server
// changed them, and on the next Refresh when another server sharing the
// database did. Readers never wait: a load swaps in a new, unchanging set.
type Registry struct {
	st       *store.Store
	markdown *Markdown
	set      atomic.Pointer[letterSet]
	loading  sync.Mutex // one load at a time
}

// letterSet is one load of the letters, never changed afterwards.
type letterSet struct {
	ordered []*Letter // oldest first
	bySlug  map[string]*Letter
	byID    map[uint]*Letter
	stamp   string // store.LettersStamp when loaded
}

// Load reads every letter from the database into a new registry.
func Load(ctx context.Context, st *store.Store, markdown *Markdown) (*Registry, error) {
	r := &Registry{st: st, markdown: markdown}
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// BySlug returns the letter with that slug, or false.
func (r *Registry) BySlug(slug string) (*Letter, bool) {
	l, ok := r.set.Load().bySlug[slug]
	return l, ok
}

// ByID returns the letter with that id, or false.
func (r *Registry) ByID(id uint) (*Letter, bool) {
	l, ok := r.set.Load().byID[id]
	return l, ok
}

// All returns every letter, drafts and archived ones included, oldest first.
func (r *Registry) All() []*Letter { return r.set.Load().ordered }

// Reload reads every letter from the database again.
func (r *Registry) Reload(ctx context.Context) error {
	r.loading.Lock()
	defer r.loading.Unlock()
	return r.load(ctx)
}

// Refresh reloads the letters when the database says they changed since
// the last load, and reports whether it did; servers sharing a database
// call it every few seconds.
func (r *Registry) Refresh(ctx context.Context) (bool, error) {
	r.loading.Lock()
	defer r.loading.Unlock()
	stamp, err := store.LettersStamp(r.st.Read(ctx))
	if err != nil {
		return false, err
	}
	if set := r.set.Load(); set != nil && set.stamp == stamp {
		return false, nil
	}
	return true, r.load(ctx)
}

func (r *Registry) load(ctx context.Context) error {
	db := r.st.Read(ctx)
	stamp, err := store.LettersStamp(db)
	if err != nil {
		return err
	}
	rows, texts, err := store.AllLetters(db)
	if err != nil {
		return err
	}
	set := &letterSet{bySlug: map[string]*Letter{}, byID: map[uint]*Letter{}, stamp: stamp}
	for _, row := range rows {
		l, err := fromRow(row, texts[row.ID], r.markdown.Render)
		if err != nil {
			return fmt.Errorf("letters: load %q: %w", row.Slug, err)
		}
		set.ordered = append(set.ordered, l)
		set.bySlug[l.Slug] = l
		set.byID[l.ID] = l
	}
	r.set.Store(set)
	return nil
}
