// Package abuse holds the defences of the public forms against scripted
// abuse: rate limits per client network and per email domain, allow-lists,
// and the form stamp that tells a person from a bot that posts at once. It
// knows nothing of HTTP: callers pass in the client's address.
package abuse

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/undersigned/undersigned/pkg/vault"
)

// Window is one rate: at most Count events in Period.
type Window struct {
	Count  int
	Period time.Duration
}

// Limiter counts events per key in sliding windows; it is the Counter of a
// server alone. It lives in memory: a restart forgets the counts, which
// errs on the side of letting people sign.
type Limiter struct {
	windows []Window
	now     func() time.Time

	mu    sync.Mutex
	hits  map[string][]time.Time
	calls int
}

// NewLimiter returns a limiter enforcing every window at once.
func NewLimiter(now func() time.Time, windows ...Window) *Limiter {
	return &Limiter{windows: windows, now: now, hits: map[string][]time.Time{}}
}

// pruneEvery is how many calls pass between sweeps of keys gone quiet.
const pruneEvery = 10000

// Allow records an event for key and reports whether it is within every
// window; an event refused is not recorded. It waits for nothing, so ctx
// goes unused.
func (l *Limiter) Allow(_ context.Context, key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls++; l.calls%pruneEvery == 0 {
		l.prune(now)
	}
	hits := l.recent(key, now)
	for _, w := range l.windows {
		in := 0
		for _, t := range hits {
			if now.Sub(t) < w.Period {
				in++
			}
		}
		if in >= w.Count {
			l.hits[key] = hits
			return false
		}
	}
	l.hits[key] = append(hits, now)
	return true
}

// recent drops the hits of key older than the longest window.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	longest := time.Duration(0)
	for _, w := range l.windows {
		longest = max(longest, w.Period)
	}
	hits := l.hits[key]
	keep := slices.IndexFunc(hits, func(t time.Time) bool { return now.Sub(t) < longest })
	if keep < 0 {
		return nil
	}
	return hits[keep:]
}

func (l *Limiter) prune(now time.Time) {
	for key := range l.hits {
		if len(l.recent(key, now)) == 0 {
			delete(l.hits, key)
		}
	}
}

// NetworkKey is the part of an address that one client controls: the whole
// IPv4 address, or the /64 of an IPv6 one (a household or phone gets a /64).
func NetworkKey(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// NetworkOf is the wider network an address belongs to, /24 for IPv4 and /48
// for IPv6, which is what bulk invalidation matches on.
func NetworkOf(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	bits := 24
	if addr.Is6() {
		bits = 48
	}
	p, _ := addr.Prefix(bits)
	return p
}

// NetworkHash is the keyed hash a signature keeps of the network (the /24 or
// /48) an address belongs to; signing stores it, bulk invalidation matches it.
func NetworkHash(v *vault.Vault, addr netip.Addr) string {
	return v.Hash(vault.PurposeNetwork, NetworkOf(addr).String())
}

// DomainHash is the keyed hash a signature keeps of its email's domain.
func DomainHash(v *vault.Vault, domain string) string {
	return v.Hash(vault.PurposeDomain, strings.ToLower(strings.TrimSpace(domain)))
}

// EmailDomain is the lower-cased domain of an address, or "".
func EmailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(email[at+1:]))
}
