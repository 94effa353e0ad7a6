package signing

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/abuse"
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

// ManagedMedia returns the statement and logo of the signature behind a
// manage link, with their reviews; nil when it has none.
func (s *Service) ManagedMedia(ctx context.Context, plain string) (*store.SignatureMedia, error) {
	db := s.d.Store.Read(ctx)
	sig, err := s.findByManageToken(db, plain)
	if err != nil {
		return nil, err
	}
	m, err := store.MediaOf(db, sig.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return m, err
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
// goes back to review, since staff approved what it said before. A changed
// statement and a new logo (organisations) go back to their own review
// whatever the letter reviews; the signature does not.
func (s *Service) Correct(ctx context.Context, plain string, r Request) (FieldErrors, error) {
	logoErrs := FieldErrors{}
	reencodeLogo(&r, logoErrs) // before the write: the one writer runs only statements
	var fieldErrs FieldErrors
	var changes [2]*store.Change
	err := s.d.Store.WriteMove(ctx, func(tx *gorm.DB) error {
		sig, err := s.findByManageToken(tx, plain)
		if err != nil {
			return err
		}
		fieldErrs = s.validateCorrection(&r, sig.Kind, logoErrs)
		if len(fieldErrs) > 0 {
			return nil
		}
		if changes[0], err = s.correct(tx, sig, r); err != nil {
			return err
		}
		changes[1], err = store.ReplaceMedia(tx, sig, r.Media(), s.d.Now())
		return err
	})
	if errors.Is(err, ErrManageNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("signing: correct: %w", err)
	}
	for _, change := range changes {
		s.notifyLive(change)
	}
	return fieldErrs, nil
}

// SetConsents sets the choices of the signer behind a manage link to be
// contacted: by the campaign about the letter (keepInformed) and by the
// partner whose link brought them (partnerContact; nothing to give when no
// partner of the letter has the signature's code). A choice given again
// records the version of its text now in force.
func (s *Service) SetConsents(ctx context.Context, plain string, keepInformed, partnerContact bool) error {
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		sig, err := s.findByManageToken(tx, plain)
		if err != nil {
			return err
		}
		c := store.Consents{KeepInformed: keepInformed, PartnerContact: partnerContact,
			KeepInformedVersion: s.d.Config.UpdatesConsentVersion, PartnerContactVersion: s.d.Config.PartnerConsentVersion}
		if partnerContact && sig.PartnerContactID == nil {
			if c.PartnerID, err = partnerOf(tx, sig); err != nil {
				return err
			}
		}
		_, err = store.SetConsents(tx, sig, c, s.d.Now())
		return err
	})
	if err != nil && !errors.Is(err, ErrManageNotFound) {
		return fmt.Errorf("signing: set consents: %w", err)
	}
	return err
}

// validateCorrection checks a correction of a signature of kind, adding the
// logo's errors found before; only organisations keep a logo.
func (s *Service) validateCorrection(r *Request, kind store.Kind, logoErrs FieldErrors) FieldErrors {
	r.Kind = kind
	errs := ValidatePublicFields(r, s.d.ValidCountry)
	checkStatement(r, errs)
	if kind != store.KindOrganisation {
		r.Logo = nil
		return errs
	}
	for field, msg := range logoErrs {
		errs[field] = msg
	}
	return errs
}

func (s *Service) correct(tx *gorm.DB, sig *store.Signature, r Request) (*store.Change, error) {
	letter, ok := s.d.Letters.ByID(sig.LetterID)
	if !ok {
		return nil, ErrManageNotFound
	}
	to := sig.Status
	switch {
	case sig.Status == store.StatusHidden, sig.Status == store.StatusRejected,
		sig.Status == store.StatusPublished && letter.NeedsReview(sig.Kind):
		to = store.StatusPendingReview // staff decided on what it said before
	}
	public := store.PublicFields{Name: r.Name, Affiliation: r.Affiliation, Website: r.Website, OrgType: r.OrgType,
		Country: r.Country, ShowName: r.ShowName}
	email, err := s.d.Vault.Open(vault.PurposeEmail, sig.EmailSealed)
	if err != nil {
		return nil, fmt.Errorf("open the email of signature %d: %w", sig.ID, err)
	}
	return s.d.Store.MoveSignature(tx, sig, store.Move{Event: store.EventCorrect, To: to, By: store.SignerActor(),
		At: s.d.Now(), Public: &public, MailDomain: abuse.EmailDomain(email)})
}

// Withdraw takes a signature off the letter for good, as is the signer's
// right, and erases the personal data it holds (see Erase).
func (s *Service) Withdraw(ctx context.Context, plain string) error {
	err := s.erase(ctx, store.EventWithdraw, store.SignerActor(), func(tx *gorm.DB) (*store.Signature, error) {
		return s.findByManageToken(tx, plain)
	})
	if err != nil && !errors.Is(err, ErrManageNotFound) {
		return fmt.Errorf("signing: withdraw: %w", err)
	}
	return err
}

// ErrSignatureNotFound is returned by Erase for an id that matches no
// signature, or one withdrawn already.
var ErrSignatureNotFound = errors.New("signing: no such signature")

// Erase withdraws the signature with id on the signer's request to staff
// (by email, say), with the same effect as the signer's own withdrawal: the
// name, contact details, email and its hash (so the address could sign
// again), links and network are erased from the row and from its audit
// entries, its queued mail is dropped, and so are the mail files written to
// its address. Only the kind, the country and the dates stay, as a withdrawn
// row, and the counts lose it; an unconfirmed signature is deleted outright.
func (s *Service) Erase(ctx context.Context, actor store.Actor, id uint64) error {
	err := s.erase(ctx, store.EventErase, actor, func(tx *gorm.DB) (*store.Signature, error) {
		sig, err := store.SignatureByID(tx, id)
		if errors.Is(err, store.ErrNotFound) || err == nil && sig.Status == store.StatusWithdrawn {
			return nil, ErrSignatureNotFound
		}
		return sig, err
	})
	if err != nil && !errors.Is(err, ErrSignatureNotFound) {
		return fmt.Errorf("signing: erase signature %d: %w", id, err)
	}
	return err
}

// erase withdraws the signature find returns, then removes what the
// database does not hold: the public view's copies of the name, the mail
// files written to the address, and the database files' old copies of the
// erased pages.
func (s *Service) erase(ctx context.Context, event store.Event, actor store.Actor, find func(tx *gorm.DB) (*store.Signature, error)) error {
	var change *store.Change
	var address string
	var unreadable error
	err := s.d.Store.WriteMove(ctx, func(tx *gorm.DB) error {
		sig, err := find(tx)
		if err != nil {
			return err
		}
		// The address, to remove the mail written to it; one that cannot be
		// read must not stop the signer's right to withdraw.
		address, unreadable = s.d.Vault.Open(vault.PurposeEmail, sig.EmailSealed)
		moved, err := s.d.Store.MoveSignature(tx, sig, store.Move{Event: event, To: store.Target(event, sig.Status), By: actor, At: s.d.Now()})
		change = moved
		return err
	})
	if err != nil {
		return err
	}
	s.notifyLive(change)
	errs := []error{unreadable}
	if s.d.Outbox != nil && unreadable == nil {
		errs = append(errs, s.d.Outbox.Forget(address))
	}
	errs = append(errs, s.d.Store.Shred(ctx))
	if err := errors.Join(errs...); err != nil {
		// The signature is erased; what is left is retried (Shred) or logged.
		return fmt.Errorf("%w: %w", ErrErasedIncompletely, err)
	}
	return nil
}

// ErrErasedIncompletely is returned when a signature was erased from the
// database but a copy elsewhere (a mail file, the database's old pages)
// could not be removed at once.
var ErrErasedIncompletely = errors.New("signing: erased, but not everywhere yet")

func (s *Service) findByManageToken(tx *gorm.DB, plain string) (*store.Signature, error) {
	return s.findByLink(tx, vault.PurposeManage, store.ManageLink, plain, ErrManageNotFound)
}
