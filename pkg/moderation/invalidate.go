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

func (s *Service) matching(tx *gorm.DB, c Criteria) (*gorm.DB, error) {
	if c.Domain == "" && !c.Network.IsValid() {
		return nil, ErrNoCriteria
	}
	q := tx.Model(&store.Signature{}).Where("letter_id = ? AND status NOT IN ?", c.LetterID,
		[]store.Status{store.StatusRejected, store.StatusWithdrawn})
	if c.Domain != "" {
		q = q.Where("email_domain_hash = ?", abuse.DomainHash(s.d.Vault, c.Domain))
	}
	if c.Network.IsValid() {
		q = q.Where("network_hash = ?", abuse.NetworkHash(s.d.Vault, c.Network.Addr()))
	}
	if !c.From.IsZero() {
		q = q.Where("created_at >= ?", c.From)
	}
	if !c.To.IsZero() {
		q = q.Where("created_at < ?", c.To)
	}
	return q, nil
}

// PreviewInvalidation counts the signatures an invalidation would take off.
func (s *Service) PreviewInvalidation(ctx context.Context, c Criteria) (int64, error) {
	q, err := s.matching(s.d.Store.Read(ctx), c)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("moderation: preview invalidation: %w", err)
	}
	return n, nil
}

// Invalidate rejects every signature matching c, in one transaction: counts
// repaired, each change audited, no mail sent (the addresses are presumed
// fake). Staff can restore any of them one by one.
func (s *Service) Invalidate(ctx context.Context, actor *store.Staff, c Criteria) (int, error) {
	changes := map[uint]*store.Change{}
	n := 0
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		clear(changes)
		n = 0
		q, err := s.matching(tx, c)
		if err != nil {
			return err
		}
		var sigs []store.Signature
		if err := q.Find(&sigs).Error; err != nil {
			return err
		}
		d := Decision{Action: "invalidate", Reason: ReasonInvalidated, Note: criteriaNote(c)}
		for i := range sigs {
			if err := s.move(tx, actor, &sigs[i], store.StatusRejected, d); err != nil {
				return err
			}
			recordChange(changes, &sigs[i], store.StatusRejected)
			n++
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNoCriteria) {
			return 0, err
		}
		return 0, fmt.Errorf("moderation: invalidate: %w", err)
	}
	for _, ch := range changes {
		s.d.Live.Notify(*ch)
	}
	return n, nil
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
