package signing

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// ErrManageNotFound is returned for a manage link that matches no signature,
// or one withdrawn since.
var ErrManageNotFound = errors.New("signing: unknown manage link")

// Managed is what a signer's manage page shows of their signature: the same
// as what the confirm page shows.
type Managed = Link

// Manage returns the signature behind a manage link.
func (s *Service) Manage(ctx context.Context, plain string) (Managed, error) {
	sig, err := s.findByManageToken(s.d.Store.Read(ctx), plain)
	if err != nil {
		return Managed{}, err
	}
	return s.managed(sig)
}

func (s *Service) managed(sig *store.Signature) (Managed, error) {
	link, err := s.linkFor(sig)
	if err != nil {
		return Managed{}, ErrManageNotFound
	}
	return link, nil
}

// Correct lets a signer change the public details of their signature: name,
// affiliation or website and type, country, and whether an individual is
// named. On a letter that reviews this kind of signer, a published signature
// goes back to review, since staff approved what it said before.
func (s *Service) Correct(ctx context.Context, plain string, r Request) (FieldErrors, error) {
	var fieldErrs FieldErrors
	var change *store.Change
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		sig, err := s.findByManageToken(tx, plain)
		if err != nil {
			return err
		}
		r.Kind = sig.Kind
		if fieldErrs = ValidatePublicFields(&r, s.d.ValidCountry); len(fieldErrs) > 0 {
			return nil
		}
		change, err = s.correct(tx, sig, r)
		return err
	})
	if errors.Is(err, ErrManageNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("signing: correct: %w", err)
	}
	s.notifyLive(change)
	return fieldErrs, nil
}

func (s *Service) correct(tx *gorm.DB, sig *store.Signature, r Request) (*store.Change, error) {
	before := *sig
	sig.Name, sig.Affiliation, sig.Website, sig.OrgType, sig.Country, sig.ShowName =
		r.Name, r.Affiliation, r.Website, r.OrgType, r.Country, r.ShowName
	sig.SetDerived(s.d.Store.SortKeys)
	fields := map[string]any{"name": sig.Name, "affiliation": sig.Affiliation, "website": sig.Website, "org_type": sig.OrgType,
		"country": sig.Country, "show_name": sig.ShowName, "search_text": sig.SearchText, "sort_key": sig.SortKey}
	letter, ok := s.d.Letters.ByID(sig.LetterID)
	if !ok {
		return nil, ErrManageNotFound
	}
	wasPublished := before.Status == store.StatusPublished
	if wasPublished && letter.NeedsReview(sig.Kind) {
		fields["status"] = store.StatusPendingReview
		sig.Status = store.StatusPendingReview
	}
	changed, err := store.UpdateSignatureFrom(tx, sig.ID, before.Status, fields)
	if err != nil || !changed || !wasPublished {
		return nil, err
	}
	if err := store.TouchLetter(tx, sig.LetterID); err != nil {
		return nil, err
	}
	if err := store.AddToCount(tx, sig.LetterID, before.Country, sig.Kind, before.Named(), -1); err != nil {
		return nil, err
	}
	if sig.Status == store.StatusPublished {
		if err := store.AddToCount(tx, sig.LetterID, sig.Country, sig.Kind, sig.Named(), 1); err != nil {
			return nil, err
		}
	}
	return &store.Change{LetterID: sig.LetterID, Countries: []string{before.Country, sig.Country}}, nil
}

// Withdraw takes a signature off the letter for good and erases the personal
// data it holds: name, contact details, email and its hash (so the address
// could sign again), tokens, network. Only the kind, the country and the
// dates stay, as a withdrawn row, and the counts lose it. An unconfirmed
// signature is deleted outright.
func (s *Service) Withdraw(ctx context.Context, plain string) error {
	var change *store.Change
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		sig, err := s.findByManageToken(tx, plain)
		if err != nil {
			return err
		}
		if sig.Status == store.StatusUnconfirmed {
			return tx.Delete(&store.Signature{}, sig.ID).Error
		}
		if err := tx.Where("signature_id = ?", sig.ID).Delete(&store.MailJob{}).Error; err != nil {
			return err
		}
		if sig.Status == store.StatusPublished {
			if err := store.AddToCount(tx, sig.LetterID, sig.Country, sig.Kind, sig.Named(), -1); err != nil {
				return err
			}
			change = &store.Change{LetterID: sig.LetterID, Countries: []string{sig.Country}}
		}
		return tx.Model(&store.Signature{}).Where("id = ?", sig.ID).Updates(map[string]any{
			"status": store.StatusWithdrawn, "name": "", "affiliation": "", "website": "", "contact_sealed": nil,
			"email_sealed": nil, "email_hash": fmt.Sprintf("withdrawn:%d", sig.ID), "token_hash": "", "token_sealed": nil,
			"manage_hash": "", "manage_sealed": nil, "network_hash": "", "network_seen_at": nil, "search_text": "",
			"sort_key": nil, "ref": "", "reason_note": "", "email_domain_hash": "",
		}).Error
	})
	if err != nil && !errors.Is(err, ErrManageNotFound) {
		return fmt.Errorf("signing: withdraw: %w", err)
	}
	if err == nil {
		s.notifyLive(change)
	}
	return err
}

func (s *Service) findByManageToken(tx *gorm.DB, plain string) (*store.Signature, error) {
	return s.findByLink(tx, vault.PurposeManage, "manage_hash", plain, ErrManageNotFound)
}
