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
	Letter      *letters.Letter
	Kind        store.Kind
	Status      store.Status
	Name        string
	Affiliation string
	Website     string
	OrgType     string
	Country     string
	ShowName    bool
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
		var err error
		link.Status, err = s.confirm(tx, sig, link.Letter)
		if link.Status == store.StatusPublished {
			change = &store.Change{LetterID: sig.LetterID, Countries: []string{sig.Country}, Published: []uint64{sig.ID}}
		}
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

func (s *Service) confirm(tx *gorm.DB, sig *store.Signature, letter *letters.Letter) (store.Status, error) {
	now := s.d.Now()
	fields := map[string]any{"confirmed_at": now, "status": store.StatusPendingReview, "token_sealed": nil}
	if !letter.NeedsReview(sig.Kind) {
		fields["status"], fields["published_at"] = store.StatusPublished, now
	}
	changed, err := store.UpdateSignatureFrom(tx, sig.ID, store.StatusUnconfirmed, fields)
	if err != nil {
		return "", err
	}
	if !changed {
		return "", ErrTokenUsed // confirmed by a concurrent request
	}
	status := fields["status"].(store.Status)
	if status == store.StatusPublished {
		if err := store.AddToCount(tx, sig.LetterID, sig.Country, sig.Kind, sig.Named(), 1); err != nil {
			return "", err
		}
	}
	return status, nil
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
		sig, err := store.FindSignature(tx, "letter_id = ? AND email_hash = ?", letter.ID, emailHash)
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
		res := tx.Where("status = ? AND token_expires_at < ?", store.StatusUnconfirmed, cutoff).Delete(&store.Signature{})
		n = res.RowsAffected
		if res.Error != nil {
			return res.Error
		}
		// The network a signature came from is kept only as long as abuse
		// is likely to be found.
		return tx.Model(&store.Signature{}).
			Where("network_seen_at < ?", s.d.Now().Add(-s.d.NetworkRetention)).
			Updates(map[string]any{"network_hash": "", "network_seen_at": nil}).Error
	})
	if err != nil {
		return 0, fmt.Errorf("signing: expire unconfirmed before %s: %w", cutoff, err)
	}
	return n, nil
}

func (s *Service) findByToken(tx *gorm.DB, token string) (*store.Signature, error) {
	return s.findByLink(tx, vault.PurposeToken, "token_hash", token, ErrTokenNotFound)
}

func (s *Service) linkFor(sig *store.Signature) (Link, error) {
	letter, ok := s.d.Letters.ByID(sig.LetterID)
	if !ok {
		return Link{}, ErrTokenNotFound // the letter was removed from config.yaml
	}
	return Link{Letter: letter, Kind: sig.Kind, Status: sig.Status, Name: sig.Name, Affiliation: sig.Affiliation,
		Website: sig.Website, OrgType: sig.OrgType, Country: sig.Country, ShowName: sig.ShowName}, nil
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
