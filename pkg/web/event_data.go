package web

import "sync"

// eventData keeps the data of each broadcast update, per language, made once
// for every stream of a letter: an update reaches every subscriber alike,
// and with thousands of streams open, translating and marshalling it for
// each one (a heading per country) cost more than all else they do.
type eventData struct {
	mu     sync.Mutex
	latest map[uint]uint64 // letter → the update whose data is kept
	data   map[eventKey][]byte
}

type eventKey struct {
	letter uint
	seq    uint64
	lang   string
}

func newEventData() *eventData {
	return &eventData{latest: map[uint]uint64{}, data: map[eventKey][]byte{}}
}

// get returns the data kept for a letter's update in a language.
func (e *eventData) get(k eventKey) ([]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.data[k]
	return d, ok
}

// put keeps the data of a letter's update in a language, dropping the
// letter's older updates.
func (e *eventData) put(k eventKey, d []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if k.seq < e.latest[k.letter] {
		return
	}
	if k.seq > e.latest[k.letter] {
		for old := range e.data {
			if old.letter == k.letter {
				delete(e.data, old)
			}
		}
		e.latest[k.letter] = k.seq
	}
	e.data[k] = d
}
