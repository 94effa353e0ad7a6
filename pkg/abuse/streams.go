package abuse

import (
	"net/netip"
	"sync"
)

// StreamLimit caps the event streams each client network holds open at
// once, so that one client cannot tie up the server's connections and
// memory with thousands of them. A network is what the rate limits count
// by (NetworkKey); networks in abuse.ip_allowlist are not capped. The web
// layer asks it before it opens a letter's event stream.
type StreamLimit struct {
	limit   int
	allowed []netip.Prefix

	mu   sync.Mutex
	open map[string]int // streams open per network; a network with none has no entry
}

// NewStreamLimit allows limit streams per network, and any number from the
// networks in ipAllowlist (checked by config.Validate).
func NewStreamLimit(limit int, ipAllowlist []string) *StreamLimit {
	return &StreamLimit{limit: limit, allowed: parsePrefixes(ipAllowlist), open: map[string]int{}}
}

// Open counts a stream from the client at clientIP and returns the function
// to call once it has closed; ok is false, and nothing is counted, when the
// client's network holds the most it may already. A client whose address
// does not parse is not counted.
func (s *StreamLimit) Open(clientIP string) (closed func(), ok bool) {
	addr, err := netip.ParseAddr(clientIP)
	if err != nil || inPrefixes(addr, s.allowed) {
		return func() {}, true
	}
	key := NetworkKey(addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[key] >= s.limit {
		return nil, false
	}
	s.open[key]++
	var once sync.Once
	return func() { once.Do(func() { s.release(key) }) }, true
}

// release counts one stream of the network key as closed.
func (s *StreamLimit) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[key]--; s.open[key] <= 0 {
		delete(s.open, key)
	}
}
