package moderation

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// ErrMediaNotPending is what a decision on a statement or logo fails with
// when none awaits review: another reviewer decided first, or there is none.
var ErrMediaNotPending = errors.New("moderation: no statement or logo awaiting review")

// MediaActions are the audit log's actions for decisions on statements and
// logos, apart from the signature's own.
func MediaActions() []string {
	var out []string
	for _, item := range []store.MediaItem{store.MediaStatement, store.MediaLogo} {
		out = append(out, "approve_"+string(item), "reject_"+string(item))
	}
	return out
}

// Media returns the statement and logo of signature id, whatever their
// review says, for staff; nil when it has none.
func (s *Service) Media(ctx context.Context, id uint64) (*store.SignatureMedia, error) {
	m, err := store.MediaOf(s.d.Store.Read(ctx), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("moderation: media of %d: %w", id, err)
	}
	return m, nil
}

// DecideMedia approves or rejects the statement or logo of signature id
// awaiting review, audited in the same transaction. An approved one is
// public while the signature is published.
func (s *Service) DecideMedia(ctx context.Context, actor *store.Staff, id uint64, item store.MediaItem, approve bool) error {
	if item != store.MediaStatement && item != store.MediaLogo {
		return ErrUnknownAction
	}
	to := store.MediaRejected
	if approve {
		to = store.MediaApproved
	}
	var change *store.Change
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		sig, err := store.ConfirmedSignatureByID(tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		change, err = store.DecideMedia(tx, sig, item, to, store.StaffActor(actor), s.d.Now())
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return err
	case errors.Is(err, store.ErrMediaNotPending):
		return ErrMediaNotPending
	case err != nil:
		return fmt.Errorf("moderation: decide the %s of %d: %w", item, id, err)
	}
	if change != nil {
		s.d.Live.Notify(*change)
	}
	return nil
}
