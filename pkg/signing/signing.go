// Package signing is the signer's side of the signature lifecycle: sign,
// confirm by the emailed link, ask for a new link, and the expiry of
// signatures never confirmed. It knows nothing of HTTP.
package signing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Errors a caller maps to what the signer sees.
var (
	ErrLetterNotFound = errors.New("signing: no such letter")
	ErrLetterClosed   = errors.New("signing: letter is not open for signing")
	ErrTokenNotFound  = errors.New("signing: unknown confirmation token")
	ErrTokenExpired   = errors.New("signing: confirmation token has expired")
	ErrTokenUsed      = errors.New("signing: confirmation token was already used")
)

// Waker is told when new mail is queued, so the outbox need not wait for its
// next poll. The mail worker implements it.
type Waker interface{ Wake() }

// Deps are what a Service is built from.
type Deps struct {
	Store        *store.Store
	Vault        *vault.Vault
	Letters      *letters.Registry
	ValidCountry func(code string) bool
	Config       config.Signing
	Now          func() time.Time
	Random       io.Reader // crypto/rand.Reader outside tests
	Outbox       Waker
}

// Service carries out the signer's transitions, each in one transaction.
type Service struct{ d Deps }

// New returns a Service over d.
func New(d Deps) *Service { return &Service{d: d} }

// Sign records a new signature awaiting confirmation and queues the mail with
// its link. When the address has already signed this letter it creates nothing
// and queues a mail saying so instead; the caller cannot tell the two apart,
// so the form does not reveal who has signed.
func (s *Service) Sign(ctx context.Context, slug string, r Request) error {
	letter, ok := s.d.Letters.BySlug(slug)
	if !ok {
		return ErrLetterNotFound
	}
	if errs := Validate(&r, s.d.ValidCountry); len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	if !letter.OpenForSigning(s.d.Now()) {
		return ErrLetterClosed
	}
	emailHash := s.d.Vault.Hash(vault.PurposeEmail, CanonicalEmail(r.Email))
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error { return s.sign(tx, letter, r, emailHash) })
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// Another request with the same address committed first; now it exists.
		err = s.d.Store.Write(ctx, func(tx *gorm.DB) error { return s.sign(tx, letter, r, emailHash) })
	}
	if err != nil {
		return fmt.Errorf("signing: sign letter %q: %w", slug, err)
	}
	s.wakeOutbox()
	return nil
}

func (s *Service) sign(tx *gorm.DB, letter *letters.Letter, r Request, emailHash string) error {
	existing, err := store.FindSignature(tx, "letter_id = ? AND email_hash = ?", letter.ID, emailHash)
	switch {
	case err == nil:
		return s.queueAlreadySigned(tx, existing)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	sig, err := s.newSignature(letter, r, emailHash)
	if err != nil {
		return err
	}
	token, err := s.newToken()
	if err != nil {
		return err
	}
	sig.TokenHash, sig.TokenExpiresAt = token.hash, s.d.Now().Add(s.d.Config.ConfirmTTL)
	if err := tx.Create(sig).Error; err != nil {
		return fmt.Errorf("create signature: %w", err)
	}
	return s.enqueueWithToken(tx, store.MailConfirm, sig.ID, token)
}

func (s *Service) newSignature(letter *letters.Letter, r Request, emailHash string) (*store.Signature, error) {
	email, err := s.d.Vault.Seal(vault.PurposeEmail, r.Email)
	if err != nil {
		return nil, err
	}
	var contact []byte
	if r.ContactName != "" {
		if contact, err = s.d.Vault.Seal(vault.PurposeContact, r.ContactName); err != nil {
			return nil, err
		}
	}
	return &store.Signature{
		LetterID:       letter.ID,
		Kind:           r.Kind,
		Name:           r.Name,
		Affiliation:    r.Affiliation,
		Website:        r.Website,
		OrgType:        r.OrgType,
		Country:        r.Country,
		ShowName:       r.ShowName,
		ContactSealed:  contact,
		EmailSealed:    email,
		EmailHash:      emailHash,
		Status:         store.StatusUnconfirmed,
		Locale:         r.Locale,
		LetterVersion:  letter.Version,
		ConsentVersion: s.d.Config.ConsentVersion,
		Ref:            r.Ref,
	}, nil
}

// queueAlreadySigned tells the owner of an address that signed before. An
// unconfirmed signature gets a fresh link in that mail. While any mail to the
// signer still waits in the outbox nothing is added, so repeated submissions
// cannot flood an inbox and the waiting mail's link stays the valid one.
func (s *Service) queueAlreadySigned(tx *gorm.DB, sig *store.Signature) error {
	var waiting int64
	err := tx.Model(&store.MailJob{}).
		Where("signature_id = ? AND status = ?", sig.ID, store.JobQueued).
		Count(&waiting).Error
	if err != nil || waiting > 0 {
		return err
	}
	if sig.Status != store.StatusUnconfirmed {
		return store.EnqueueMail(tx, store.MailAlreadySigned, sig.ID, nil, s.d.Now())
	}
	token, err := s.rotateToken(tx, sig)
	if err != nil {
		return err
	}
	return s.enqueueWithToken(tx, store.MailAlreadySigned, sig.ID, token)
}

func (s *Service) enqueueWithToken(tx *gorm.DB, kind store.MailKind, signatureID uint64, t token) error {
	secret, err := s.d.Vault.Seal(vault.PurposeToken, t.plain)
	if err != nil {
		return err
	}
	return store.EnqueueMail(tx, kind, signatureID, secret, s.d.Now())
}

func (s *Service) rotateToken(tx *gorm.DB, sig *store.Signature) (token, error) {
	t, err := s.newToken()
	if err != nil {
		return token{}, err
	}
	changed, err := store.UpdateSignatureFrom(tx, sig.ID, store.StatusUnconfirmed, map[string]any{
		"token_hash": t.hash, "token_expires_at": s.d.Now().Add(s.d.Config.ConfirmTTL),
	})
	if err != nil {
		return token{}, err
	}
	if !changed {
		return token{}, ErrTokenUsed
	}
	return t, nil
}

func (s *Service) wakeOutbox() {
	if s.d.Outbox != nil {
		s.d.Outbox.Wake()
	}
}
