package web

import (
	"strings"
	"sync"
)

// pageCache keeps rendered responses of one generation, dropping them all
// when a newer generation comes. Letter pages use the form stamp's second as
// the generation: a page depends only on the letter's snapshot, the reader's
// language, the kind of sign form and the stamp, so a launch-day crowd is
// served one rendering per second and language instead of one per request,
// and nothing stale outlives its second. The JSON totals use the snapshot's
// version.
type pageCache struct {
	mu     sync.Mutex
	second string // the stamp's second the entries belong to
	pages  map[string][]byte
}

func newPageCache() *pageCache { return &pageCache{pages: map[string][]byte{}} }

// get returns the page for key, made in the same second as stamp.
func (p *pageCache) get(stamp, key string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.second != secondOf(stamp) {
		return nil, false
	}
	b, ok := p.pages[key]
	return b, ok
}

// put keeps a page, dropping every page of an older second.
func (p *pageCache) put(stamp, key string, page []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := secondOf(stamp); s != p.second {
		p.second, p.pages = s, map[string][]byte{}
	}
	p.pages[key] = page
}

func secondOf(stamp string) string {
	s, _, _ := strings.Cut(stamp, ".")
	return s
}
