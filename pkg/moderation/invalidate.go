package moderation

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/store"
)

// ErrNoCriteria is returned when an invalidation names neither a domain nor a
// network: a time window alone would sweep honest signers too.
var ErrNoCriteria = errors.New("moderation: name an email domain or a network")

// ReasonInvalidated is the reason code of signatures invalidated in bulk.
const ReasonInvalidated = "invalidated"

// Criteria select signatures to invalidate: from one email domain and/or one
// network (matched by their keyed hashes, as the addresses are not stored),
// created within a time window.
type Criteria struct {
	LetterID uint
	Domain   string       // e.g. "spam.example"
	Network  netip.Prefix // widened to the /24 or /48 signatures are kept by
	From, To time.Time    // created in [From, To); zero means open
}

// invalidateChunk is the most signatures one transaction of an
// invalidation moves: on SQLite every transaction holds the one writer, and
// signers queue behind it. A chunk of 250 holds it about 22 ms, one of 1,000
// about 80 ms (BenchmarkInvalidate100k, docs/benchmarks.md).
const invalidateChunk = 250

// PreviewInvalidation counts the signatures an invalidation would take off.
func (s *Service) PreviewInvalidation(ctx context.Context, c Criteria) (int64, error) {
	m, err := s.match(c)
	if err != nil {
		return 0, err
	}
	n, err := store.CountInvalidatable(s.d.Store.Read(ctx), m)
	if err != nil {
		return 0, fmt.Errorf("moderation: preview invalidation: %w", err)
	}
	return n, nil
}

// match turns criteria into the store's terms.
func (s *Service) match(c Criteria) (store.InvalidationMatch, error) {
	if c.Domain == "" && !c.Network.IsValid() {
		return store.InvalidationMatch{}, ErrNoCriteria
	}
	m := store.InvalidationMatch{LetterID: c.LetterID, From: c.From, To: c.To}
	if c.Domain != "" {
		m.DomainHash = abuse.DomainHash(s.d.Vault, c.Domain)
	}
	if c.Network.IsValid() {
		m.NetworkHash = abuse.NetworkHash(s.d.Vault, c.Network.Addr())
	}
	return m, nil
}

// Invalidate rejects every signature matching c, invalidateChunk at a time,
// each chunk in a transaction of its own: counts repaired, each change
// audited, no mail sent (the addresses are presumed fake). After each chunk
// it calls progress with how many it has invalidated so far. Staff can
// restore any of them one by one. A failure stops it; the chunks committed
// stay, and running it again takes on the rest.
func (s *Service) Invalidate(ctx context.Context, actor *store.Staff, c Criteria, progress func(done int)) (int, error) {
	m, err := s.match(c)
	if err != nil {
		return 0, err
	}
	d := Decision{Action: "invalidate", Reason: ReasonInvalidated, Note: criteriaNote(c)}
	done := 0
	for after := uint64(0); ; {
		n, last, err := s.invalidateChunk(ctx, actor, m, d, after)
		if err != nil {
			return done, fmt.Errorf("moderation: invalidate after signature %d: %w", after, err)
		}
		if last == 0 {
			return done, nil
		}
		done, after = done+n, last
		if progress != nil {
			progress(done)
		}
	}
}

// invalidateChunk moves the next chunk of matching signatures, with ids
// above after, and returns how many it moved and the last id it looked at
// (0 once none is left).
func (s *Service) invalidateChunk(ctx context.Context, actor *store.Staff, m store.InvalidationMatch, d Decision, after uint64) (n int, last uint64, err error) {
	var changes changeSet
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		n, last, changes = 0, 0, changeSet{}
		sigs, err := store.Invalidatable(tx, m, after, invalidateChunk)
		if err != nil {
			return err
		}
		for i := range sigs {
			last = sigs[i].ID
			moved, err := s.d.Store.MoveSignature(tx, &sigs[i], store.Move{Event: store.EventInvalidate, To: store.Target(store.EventInvalidate, sigs[i].Status),
				By: store.StaffActor(actor), At: s.d.Now(), Reason: d.Reason, Note: d.Note})
			if errors.Is(err, store.ErrMoveNotAllowed) || errors.Is(err, store.ErrAlreadyMoved) {
				continue
			}
			if err != nil {
				return err
			}
			changes.add(moved)
			n++
		}
		return nil
	})
	if err == nil {
		changes.notify(s.d.Live)
	}
	return n, last, err
}

func criteriaNote(c Criteria) string {
	note := "bulk invalidation"
	if c.Domain != "" {
		note += ", domain " + c.Domain
	}
	if c.Network.IsValid() {
		note += ", network " + abuse.NetworkOf(c.Network.Addr()).String()
	}
	return note
}
