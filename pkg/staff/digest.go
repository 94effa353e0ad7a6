package staff

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// ErrInvalidDigest is a digest choice that is none of store.Digests.
var ErrInvalidDigest = errors.New("staff: digest must be immediate, hourly, daily or never")

// SetDigest records how often member is mailed a digest of the signatures
// awaiting review, from their account page; the audit log records it in the
// same transaction.
func (s *Service) SetDigest(ctx context.Context, member *store.Staff, choice store.Digest) error {
	if !choice.Valid() {
		return ErrInvalidDigest
	}
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		if err := store.SetStaffDigest(tx, member, choice); err != nil {
			return err
		}
		return store.AuditAction(tx, store.StaffActor(member), "staff_digest", member.Email+": "+string(choice), s.d.Now())
	})
	if err != nil {
		return fmt.Errorf("staff: set digest of %s: %w", member.Email, err)
	}
	return nil
}
