package signing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Link is what a confirmation token leads to: the letter, and the public
// details of the signature, so the signer sees what they are confirming.
type Link struct {
	// SignatureID is the signature's id, for what the pages show beside
	// it (the deliveries that included it); never shown itself.
	SignatureID uint64
	Letter      *letters.Letter
	Kind        store.Kind
	Status      store.Status
	store.PublicFields
	// Ref is the code of the link that brought the signer; Consents their
	// choices to be contacted, as they stand.
	Ref      string
	Consents store.Consents
}

// Inspect tells what a confirmation token leads to without changing anything:
// the page behind the mailed link calls it, since mail scanners open links too.
// For an expired or used token it returns the Link together with ErrTokenExpired
// or ErrTokenUsed, so the page can name the letter and offer a new link.
func (s *Service) Inspect(ctx context.Context, plain string) (Link, error) {
	sig, err := s.findByToken(s.d.Store.Read(ctx), plain)
	if err != nil {
		return Link{}, err
	}
	link, err := s.linkFor(sig)
	if err != nil {
		return Link{}, err
	}
	return link, s.tokenState(sig)
}

// Confirm confirms the signature behind a token, once. A signer whose kind needs
// no review on this letter is published at once and counted, in the same
// transaction; others wait for staff as pending_review.
func (s *Service) Confirm(ctx context.Context, plain string) (Link, error) {
	var change *store.Change
	link, err := s.onToken(ctx, plain, "confirm", func(tx *gorm.DB, sig *store.Signature, link *Link) error {
		if err := s.tokenState(sig); err != nil {
			return err
		}
		to := store.StatusPublished
		if link.Letter.NeedsReview(sig.Kind) {
			to = store.StatusPendingReview
		}
		moved, err := s.d.Store.MoveSignature(tx, sig, store.Move{Event: store.EventConfirm, To: to, By: store.SignerActor(), At: s.d.Now()})
		if errors.Is(err, store.ErrAlreadyMoved) {
			return ErrTokenUsed // confirmed by a concurrent request
		}
		link.Status, change = sig.Status, moved
		return err
	})
	if err == nil {
		s.notifyLive(change)
	}
	return link, err
}

// onToken runs fn in one transaction on the signature behind a token. Token
// errors come back as they are, for the caller to show; others are wrapped.
func (s *Service) onToken(ctx context.Context, plain, action string, fn func(tx *gorm.DB, sig *store.Signature, link *Link) error) (Link, error) {
	var link Link
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		sig, err := s.findByToken(tx, plain)
		if err != nil {
			return err
		}
		if link, err = s.linkFor(sig); err != nil {
			return err
		}
		return fn(tx, sig, &link)
	})
	if err != nil && !isTokenError(err) {
		return Link{}, fmt.Errorf("signing: %s: %w", action, err)
	}
	return link, err
}

// ResendByToken sends a new confirmation link to the address behind an expired
// (or still valid) token; the page for an expired link offers it.
func (s *Service) ResendByToken(ctx context.Context, plain string) (Link, error) {
	link, err := s.onToken(ctx, plain, "resend by token", func(tx *gorm.DB, sig *store.Signature, _ *Link) error {
		if sig.Status != store.StatusUnconfirmed {
			return ErrTokenUsed
		}
		return s.remind(tx, sig, store.MailConfirm)
	})
	if err == nil {
		s.wakeOutbox()
	}
	return link, err
}

// Resend answers "send me my link again" for an address: an unconfirmed
// signature gets a new link, a confirmed one a reminder that it has signed,
// and an address that never signed gets nothing. The caller cannot tell which.
func (s *Service) Resend(ctx context.Context, slug, email string) error {
	letter, ok := s.d.Letters.BySlug(slug)
	if !ok {
		return ErrLetterNotFound
	}
	email = strings.TrimSpace(email)
	if msg := checkEmail(email); msg != "" {
		return &ValidationError{Fields: FieldErrors{"email": msg}}
	}
	emailHash := s.d.Vault.Hash(vault.PurposeEmail, CanonicalEmail(email))
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		sig, err := store.SignatureBySigner(tx, letter.ID, emailHash)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.remind(tx, sig, store.MailAlreadySigned)
	})
	if err != nil {
		return fmt.Errorf("signing: resend for letter %q: %w", slug, err)
	}
	s.wakeOutbox()
	return nil
}

// Expire deletes signatures whose link expired more than the configured grace
// ago without being confirmed (their queued mail goes with them), and reports
// how many.
func (s *Service) Expire(ctx context.Context) (int64, error) {
	cutoff := s.d.Now().Add(-s.d.Config.UnconfirmedGrace)
	var n int64
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		var err error
		if n, err = store.DeleteUnconfirmedExpiredBefore(tx, cutoff); err != nil {
			return err
		}
		// The network a signature came from is kept only as long as abuse
		// is likely to be found.
		return store.ForgetNetworksSeenBefore(tx, s.d.Now().Add(-s.d.NetworkRetention))
	})
	if err != nil {
		return 0, fmt.Errorf("signing: expire unconfirmed before %s: %w", cutoff, err)
	}
	return n, nil
}

func (s *Service) findByToken(tx *gorm.DB, token string) (*store.Signature, error) {
	return s.findByLink(tx, vault.PurposeToken, store.TokenLink, token, ErrTokenNotFound)
}

func (s *Service) linkFor(sig *store.Signature) (Link, error) {
	letter, ok := s.d.Letters.ByID(sig.LetterID)
	if !ok {
		return Link{}, ErrTokenNotFound // the registry has no such letter
	}
	return Link{SignatureID: sig.ID, Letter: letter, Kind: sig.Kind, Status: sig.Status, PublicFields: sig.Public(),
		Ref: sig.Ref, Consents: store.ConsentsOf(sig)}, nil
}

func (s *Service) tokenState(sig *store.Signature) error {
	switch {
	case sig.Status != store.StatusUnconfirmed:
		return ErrTokenUsed
	case !s.d.Now().Before(sig.TokenExpiresAt):
		return ErrTokenExpired
	}
	return nil
}

func isTokenError(err error) bool {
	return errors.Is(err, ErrTokenNotFound) || errors.Is(err, ErrTokenExpired) || errors.Is(err, ErrTokenUsed)
}
