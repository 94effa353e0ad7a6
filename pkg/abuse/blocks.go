package abuse

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/undersigned/undersigned/pkg/store"
)

// Blocklist is the admins' list of email domains and networks that may not
// sign, kept in memory from the blocks table. The table is the truth; Reload
// refreshes the copy after a change, and on a timer so that several servers
// agree within a minute.
type Blocklist struct {
	st *store.Store

	mu       sync.RWMutex
	domains  map[string]bool
	networks []netip.Prefix
}

// NewBlocklist returns an empty list over st; call Reload to fill it.
func NewBlocklist(st *store.Store) *Blocklist {
	return &Blocklist{st: st, domains: map[string]bool{}}
}

// Reload reads the blocks table again.
func (b *Blocklist) Reload(ctx context.Context) error {
	rows, err := store.Blocks(b.st.Read(ctx))
	if err != nil {
		return fmt.Errorf("abuse: reload blocks: %w", err)
	}
	domains := map[string]bool{}
	var networks []netip.Prefix
	for _, r := range rows {
		switch r.Kind {
		case store.BlockDomain:
			domains[r.Value] = true
		case store.BlockNetwork:
			if p, err := netip.ParsePrefix(r.Value); err == nil {
				networks = append(networks, p)
			}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.domains, b.networks = domains, networks
	return nil
}

// Blocked reports whether a client address or an email address is blocked.
func (b *Blocklist) Blocked(clientIP, email string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.domains[EmailDomain(email)] {
		return true
	}
	addr, err := netip.ParseAddr(clientIP)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range b.networks {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// NormaliseBlock checks and normalises what an admin typed for a block: a
// domain (lower case, no "@") or a network (an address or CIDR; an address
// alone blocks just itself).
func NormaliseBlock(kind, value string) (string, bool) {
	switch kind {
	case store.BlockDomain:
		d := EmailDomain("x@" + value)
		if d == "" || len(d) > 100 || !validDomain(d) {
			return "", false
		}
		return d, true
	case store.BlockNetwork:
		if p, err := netip.ParsePrefix(value); err == nil {
			return p.Masked().String(), true
		}
		if a, err := netip.ParseAddr(value); err == nil {
			return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()).String(), true
		}
	}
	return "", false
}

func validDomain(d string) bool {
	if len(d) < 3 || d[0] == '.' || d[len(d)-1] == '.' {
		return false
	}
	dot := false
	for _, r := range d {
		switch {
		case r == '.':
			dot = true
		case r == '-', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r > 127:
		default:
			return false
		}
	}
	return dot
}
