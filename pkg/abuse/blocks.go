package abuse

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// Blocklist is the admins' list of email domains and networks that may not
// sign, kept in memory from the blocks table. The table is the truth; Reload
// refreshes the copy after a change, and on a timer so that several servers
// agree within a minute. A blocked domain blocks its subdomains too.
type Blocklist struct {
	st *store.Store

	mu       sync.RWMutex
	domains  domainSet
	networks []netip.Prefix
}

// NewBlocklist returns an empty list over st; call Reload to fill it.
func NewBlocklist(st *store.Store) *Blocklist {
	return &Blocklist{st: st, domains: domainSet{}}
}

// Reload reads the blocks table again.
func (b *Blocklist) Reload(ctx context.Context) error {
	rows, err := store.Blocks(b.st.Read(ctx))
	if err != nil {
		return fmt.Errorf("abuse: reload blocks: %w", err)
	}
	domains := domainSet{}
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

// Add puts a domain or network (as NormaliseBlock gives it) on the list,
// with the audit entry naming by, in one transaction, and applies it on this
// server at once; one already listed is left as it is.
func (b *Blocklist) Add(ctx context.Context, by store.Actor, kind, value, note string, now time.Time) error {
	err := b.st.Write(ctx, func(tx *gorm.DB) error {
		added, err := store.AddBlock(tx, &store.Block{Kind: kind, Value: value, Note: store.TruncateRunes(note, 300), StaffEmail: by.Name})
		if err != nil || !added {
			return err
		}
		return store.AuditAction(tx, by, "block_add", kind+" "+value, now)
	})
	if err != nil {
		return fmt.Errorf("abuse: block %s %s: %w", kind, value, err)
	}
	return b.Reload(ctx)
}

// Remove takes the block with id off the list, with the audit entry naming
// by, in one transaction, and applies it on this server at once. An unknown
// id is store.ErrNotFound.
func (b *Blocklist) Remove(ctx context.Context, by store.Actor, id uint, now time.Time) error {
	err := b.st.Write(ctx, func(tx *gorm.DB) error {
		block, err := store.RemoveBlock(tx, id)
		if err != nil {
			return err
		}
		return store.AuditAction(tx, by, "block_remove", block.Kind+" "+block.Value, now)
	})
	if err != nil {
		return fmt.Errorf("abuse: unblock %d: %w", id, err)
	}
	return b.Reload(ctx)
}

// Blocked reports whether a client address or an email address is blocked.
// An address is blocked when its domain is, or a parent of its domain within
// the registrable domain: a block on spam-co.example covers
// b@mx.spam-co.example, one on mx.spam-co.example covers that domain and its
// subdomains only.
func (b *Blocklist) Blocked(clientIP, email string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.domains.covers(EmailDomain(email)) {
		return true
	}
	addr, err := netip.ParseAddr(clientIP)
	return err == nil && inPrefixes(addr, b.networks)
}

// NormaliseBlock checks and normalises what an admin typed for a block: a
// domain (lower case, no "@"; not a public suffix such as co.uk, which
// nobody owns and which would match no address) or a network (an address or
// CIDR; an address alone blocks just itself).
func NormaliseBlock(kind, value string) (string, bool) {
	switch kind {
	case store.BlockDomain:
		d := EmailDomain("x@" + value)
		if d == "" || len(d) > 100 || !validDomain(d) || isPublicSuffix(d) {
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

// isPublicSuffix reports whether d is a public suffix (co.uk, blogspot.com)
// rather than within a registrable domain.
func isPublicSuffix(d string) bool {
	_, err := publicsuffix.EffectiveTLDPlusOne(d)
	return err != nil
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
