package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// PublicFields are the fields of a signature that the public list shows and
// staff may correct (a typo, a better website).
type PublicFields struct {
	Name        string
	Affiliation string
	Website     string
	OrgType     string
	Country     string
}

// Edit corrects a signature's public fields. Its kind and the signer's choice
// to be named stay as they are. When a published signature moves country, the
// counts move with it.
func (s *Service) Edit(ctx context.Context, actor *store.Staff, id uint64, f PublicFields) (signing.FieldErrors, error) {
	var fieldErrs signing.FieldErrors
	var change *store.Change
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		sig, err := store.FindSignature(tx, "id = ? AND status <> ?", id, store.StatusUnconfirmed)
		if err != nil {
			return err
		}
		if sig.Status == store.StatusPublished {
			change = &store.Change{LetterID: sig.LetterID, Countries: []string{sig.Country, strings.ToUpper(strings.TrimSpace(f.Country))}}
		}
		r := signing.Request{Kind: sig.Kind, Name: f.Name, Affiliation: f.Affiliation, Website: f.Website,
			OrgType: f.OrgType, Country: f.Country, ShowName: sig.ShowName}
		if fieldErrs = signing.ValidatePublicFields(&r, s.d.ValidCountry); len(fieldErrs) > 0 {
			return nil
		}
		return s.applyEdit(tx, actor, sig, r)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("moderation: edit signature %d: %w", id, err)
	}
	if change != nil && len(fieldErrs) == 0 {
		s.d.Live.Notify(*change)
	}
	return fieldErrs, nil
}

func (s *Service) applyEdit(tx *gorm.DB, actor *store.Staff, sig *store.Signature, r signing.Request) error {
	before := snapshotOf(sig)
	if sig.Status == store.StatusPublished && r.Country != sig.Country {
		if err := store.AddToCount(tx, sig.LetterID, sig.Country, sig.Kind, sig.Named(), -1); err != nil {
			return err
		}
		if err := store.AddToCount(tx, sig.LetterID, r.Country, sig.Kind, sig.Named(), 1); err != nil {
			return err
		}
	}
	sig.Name, sig.Affiliation, sig.Website, sig.OrgType, sig.Country = r.Name, r.Affiliation, r.Website, r.OrgType, r.Country
	sig.SetDerived(s.d.Store.SortKeys)
	after := snapshotOf(sig)
	if before == after {
		return nil
	}
	err := tx.Model(&store.Signature{}).Where("id = ?", sig.ID).Updates(map[string]any{
		"name": sig.Name, "affiliation": sig.Affiliation, "website": sig.Website, "org_type": sig.OrgType, "country": sig.Country,
		"search_text": sig.SearchText, "sort_key": sig.SortKey,
	}).Error
	if err != nil {
		return err
	}
	if sig.Status == store.StatusPublished {
		if err := store.TouchLetter(tx, sig.LetterID); err != nil {
			return err
		}
	}
	return s.audit(tx, actor, "edit", sig, before, after)
}
