package signing

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
)

// ErrUnsubscribeNotFound is returned for an unsubscribe link that names no
// signature, or one withdrawn since.
var ErrUnsubscribeNotFound = errors.New("signing: unknown unsubscribe link")

// UnsubscribeLetter returns the letter whose updates the unsubscribe link
// token stops, for the page that asks the signer to confirm.
func (s *Service) UnsubscribeLetter(ctx context.Context, token string) (*letters.Letter, error) {
	sig, err := s.findByUnsubscribeLink(s.d.Store.Read(ctx), token)
	if err != nil {
		return nil, err
	}
	return s.letterOf(sig)
}

// Unsubscribe stops the updates the link token names at once: the
// signature is marked unsubscribed, audited without its signer's details,
// and no update reaches it after, those already queued included. Using the
// link again changes nothing. It returns the letter, for the page that
// says so.
func (s *Service) Unsubscribe(ctx context.Context, token string) (*letters.Letter, error) {
	var sig *store.Signature
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		var err error
		if sig, err = s.findByUnsubscribeLink(tx, token); err != nil {
			return err
		}
		_, err = store.Unsubscribe(tx, sig.ID, s.d.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.letterOf(sig)
}

// findByUnsubscribeLink is the signature an unsubscribe link names, while
// its signer's address is kept (not withdrawn nor erased).
func (s *Service) findByUnsubscribeLink(tx *gorm.DB, token string) (*store.Signature, error) {
	id, ok := s.d.Vault.ParseUnsubscribeLink(token)
	if !ok {
		return nil, ErrUnsubscribeNotFound
	}
	sig, err := store.SignatureByID(tx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && sig.EmailSealed == nil {
		return nil, ErrUnsubscribeNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("signing: signature %d of an unsubscribe link: %w", id, err)
	}
	return sig, nil
}

// letterOf is the letter sig was signed on.
func (s *Service) letterOf(sig *store.Signature) (*letters.Letter, error) {
	letter, ok := s.d.Letters.ByID(sig.LetterID)
	if !ok {
		return nil, fmt.Errorf("signing: letter %d of signature %d: %w", sig.LetterID, sig.ID, ErrLetterNotFound)
	}
	return letter, nil
}
