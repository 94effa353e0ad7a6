package moderation

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Edit corrects a signature's public fields (a typo, a better website). Its
// kind and the signer's choice to be named (f.ShowName is not read) stay as
// they are. When a published signature moves country, the
// counts move with it. An unconfirmed or withdrawn signature is not staff's
// to edit: ErrNotFound.
func (s *Service) Edit(ctx context.Context, actor *store.Staff, id uint64, f store.PublicFields) (signing.FieldErrors, error) {
	var fieldErrs signing.FieldErrors
	var change *store.Change
	err := s.d.Store.WriteMove(ctx, func(tx *gorm.DB) error {
		sig, err := store.SignatureByID(tx, id)
		if err != nil {
			return err
		}
		r := signing.Request{Kind: sig.Kind, Name: f.Name, Affiliation: f.Affiliation, Website: f.Website,
			OrgType: f.OrgType, Country: f.Country, ShowName: sig.ShowName}
		if fieldErrs = signing.ValidatePublicFields(&r, s.d.ValidCountry); len(fieldErrs) > 0 {
			return nil
		}
		public := store.PublicFields{Name: r.Name, Affiliation: r.Affiliation, Website: r.Website, OrgType: r.OrgType,
			Country: r.Country, ShowName: sig.ShowName}
		email, err := s.d.Vault.Open(vault.PurposeEmail, sig.EmailSealed)
		if err != nil {
			return fmt.Errorf("open the email of signature %d: %w", sig.ID, err)
		}
		moved, err := s.d.Store.MoveSignature(tx, sig, store.Move{Event: store.EventEdit, To: sig.Status,
			By: store.StaffActor(actor), At: s.d.Now(), Public: &public, MailDomain: abuse.EmailDomain(email)})
		change = moved
		return err
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrMoveNotAllowed) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("moderation: edit signature %d: %w", id, err)
	}
	if change != nil {
		s.d.Live.Notify(*change)
	}
	return fieldErrs, nil
}
