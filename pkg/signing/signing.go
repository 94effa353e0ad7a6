// Package signing is the signer's side of the signature lifecycle: sign,
// confirm by the emailed link, ask for a new link, and the expiry of
// signatures never confirmed. It knows nothing of HTTP.
package signing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/abuse"
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

// Outbox is the mail worker as signing sees it: woken when new mail is
// queued, so it need not wait for its next poll, and told to forget an
// address whose signature was erased (the mail files written to it).
type Outbox interface {
	Wake()
	Forget(address string) error
}

// Deps are what a Service is built from.
type Deps struct {
	Store        *store.Store
	Vault        *vault.Vault
	Letters      *letters.Registry
	ValidCountry func(code string) bool
	Config       config.Signing
	Now          func() time.Time
	Outbox       Outbox
	Live         Notifier
	// NetworkRetention is how long a signature keeps the hash of the network
	// it came from (abuse.network_retention).
	NetworkRetention time.Duration
}

// Notifier is told about signatures published, after the commit; the public
// view (live.Hub) implements it.
type Notifier interface{ Notify(store.Change) }

// Service carries out the signer's transitions, each in one transaction.
type Service struct{ d Deps }

// New returns a Service over d.
func New(d Deps) *Service { return &Service{d: d} }

// Sign records a new signature awaiting confirmation and queues the mail with
// its link. When the address has already signed this letter it creates nothing
// and queues a mail saying so instead; the caller cannot tell the two apart,
// so the form does not reveal who has signed. Nor can it by the time taken:
// both do the same work before the database (sealing, hashing, tokens) and
// one write in it, the reminder in the write that found the address signed.
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
	version, stale := letter.AgreedVersion(r.Version, r.Locale)
	if stale {
		return &ValidationError{Fields: FieldErrors{"form": "error.sign.text_changed"}}
	}
	r.Version = version
	// Seal and hash before the transaction: on SQLite every write waits its
	// turn for the one writer, so only the statements belong inside.
	sig, err := s.newSignature(letter, r)
	if err == nil && r.PartnerContact {
		err = s.allowPartnerContact(ctx, sig)
	}
	if err != nil {
		return fmt.Errorf("signing: sign letter %q: %w", slug, err)
	}
	upload := r.Media()
	remind := func(tx *gorm.DB) error { return s.remindSigner(tx, sig, upload) }
	if upload.Empty() {
		_, err = s.d.Store.InsertSignatureWithMail(ctx, sig, store.MailConfirm, s.d.Now(), remind)
	} else {
		_, err = s.d.Store.InsertSignatureWithMedia(ctx, sig, upload, store.MailConfirm, s.d.Now(), remind)
	}
	if err != nil {
		return fmt.Errorf("signing: sign letter %q: %w", slug, err)
	}
	s.wakeOutbox()
	return nil
}

// allowPartnerContact records on sig its signer's choice to let the partner
// whose code sig came with contact them, with the version of the text they
// agreed to. A code no partner of the letter has records nothing: there is
// no one to give the consent to.
func (s *Service) allowPartnerContact(ctx context.Context, sig *store.Signature) error {
	id, err := partnerOf(s.d.Store.Read(ctx), sig)
	if id == nil || err != nil {
		return err
	}
	now := s.d.Now()
	sig.PartnerContactID, sig.PartnerContactVersion, sig.PartnerContactAt = id, s.d.Config.PartnerConsentVersion, &now
	return nil
}

// partnerOf is the id of the partner of sig's letter whose code sig came
// with; nil when it came with none, or with one no partner has.
func partnerOf(tx *gorm.DB, sig *store.Signature) (*uint64, error) {
	if sig.Ref == "" {
		return nil, nil
	}
	p, err := store.PartnerByCode(tx, sig.LetterID, sig.Ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p.ID, nil
}

// remindSigner is what signing does, in the write that tried to insert sig,
// when sig's address has already signed the letter: it reminds that
// signature. The insert skips a conflict rather than failing on it, so that
// on PostgreSQL too the transaction goes on, and a concurrent signer with the
// same address, once committed, is found. Should that signature be gone by
// now (withdrawn between the two statements, on PostgreSQL), sig is inserted
// after all, with its statement and logo.
func (s *Service) remindSigner(tx *gorm.DB, sig *store.Signature, upload store.MediaUpload) error {
	existing, err := store.SignatureBySigner(tx, sig.LetterID, sig.EmailHash)
	if errors.Is(err, store.ErrNotFound) {
		inserted, err := store.InsertNewSignature(tx, sig, store.MailConfirm, s.d.Now())
		if err != nil || !inserted {
			return err
		}
		return store.InsertMedia(tx, sig.ID, upload, s.d.Now())
	}
	if err != nil {
		return err
	}
	return s.remind(tx, existing, store.MailAlreadySigned)
}

// Prepare builds the row a request, already validated, becomes for letter,
// unconfirmed, as Sign stores it: its address and contact sealed, its
// hashes and its confirmation and manage links made. An import of
// signatures gathered elsewhere builds its rows with it.
func (s *Service) Prepare(letter *letters.Letter, r Request) (*store.Signature, error) {
	return s.newSignature(letter, r)
}

// newSignature builds the row a valid request becomes, its address and
// contact sealed and its confirmation and manage tokens made.
func (s *Service) newSignature(letter *letters.Letter, r Request) (*store.Signature, error) {
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
	sig := &store.Signature{
		LetterID:        letter.ID,
		Kind:            r.Kind,
		Name:            r.Name,
		Affiliation:     r.Affiliation,
		Website:         r.Website,
		OrgType:         r.OrgType,
		Country:         r.Country,
		ShowName:        r.ShowName,
		ContactSealed:   contact,
		EmailSealed:     email,
		EmailHash:       s.d.Vault.Hash(vault.PurposeEmail, CanonicalEmail(r.Email)),
		Status:          store.StatusUnconfirmed,
		Locale:          r.Locale,
		LetterVersion:   r.Version,
		ConsentVersion:  s.d.Config.ConsentVersion,
		Ref:             r.Ref,
		UTMSource:       r.UTMSource,
		UTMMedium:       r.UTMMedium,
		UTMCampaign:     r.UTMCampaign,
		NetworkHash:     r.NetworkHash,
		EmailDomainHash: abuse.DomainHash(s.d.Vault, abuse.EmailDomain(r.Email)),
	}
	if r.NetworkHash != "" {
		now := s.d.Now()
		sig.NetworkSeenAt = &now
	}
	if r.KeepInformed {
		now := s.d.Now()
		sig.KeepInformed, sig.KeepInformedVersion, sig.KeepInformedAt = true, s.d.Config.UpdatesConsentVersion, &now
	}
	sig.SetDerived(s.d.Store.SortKeys)
	sig.SetMailDomain(abuse.EmailDomain(r.Email))
	sig.ContactKey = ContactKey(s.d.Vault, r.Email)
	if err := s.setTokens(sig); err != nil {
		return nil, err
	}
	return sig, nil
}

// ContactKey is the keyed hash of the mailbox behind an address
// (store.ContactMailbox), which a duplicate check compares.
func ContactKey(v *vault.Vault, email string) string {
	return v.Hash(vault.PurposeContactKey, store.ContactMailbox(CanonicalEmail(email)))
}

// setTokens gives sig a confirmation token, valid ConfirmTTL from now, and a
// manage token, each kept hashed for look-up and sealed for the mail.
func (s *Service) setTokens(sig *store.Signature) (err error) {
	if sig.TokenHash, sig.TokenSealed, err = s.newSealedToken(vault.PurposeToken); err != nil {
		return err
	}
	sig.TokenExpiresAt = s.d.Now().Add(s.d.Config.ConfirmTTL)
	sig.ManageHash, sig.ManageSealed, err = s.newSealedToken(vault.PurposeManage)
	return err
}

// remind queues a mail of kind to a signer who is already known: "you have
// already signed", or a new confirmation link. An unconfirmed signature's mail
// carries its link, the same one as before while it is valid, a new one once
// it has expired. While a mail to the signer waits in the outbox, or one went
// out less than signing.resend_cooldown ago, nothing is queued: repeated
// submissions cannot flood an inbox or break the link already sent.
func (s *Service) remind(tx *gorm.DB, sig *store.Signature, kind store.MailKind) error {
	now := s.d.Now()
	recent, err := store.RecentMailFor(tx, sig.ID, now.Add(-s.d.Config.ResendCooldown))
	if err != nil || recent {
		return err
	}
	if sig.Status == store.StatusUnconfirmed && !now.Before(sig.TokenExpiresAt) {
		if err := s.renewToken(tx, sig); err != nil {
			return err
		}
	}
	return store.EnqueueMail(tx, kind, sig.ID, now)
}

// renewToken gives an unconfirmed signature a new token, valid ConfirmTTL from
// now; the old one stops working.
func (s *Service) renewToken(tx *gorm.DB, sig *store.Signature) error {
	hash, sealed, err := s.newSealedToken(vault.PurposeToken)
	if err != nil {
		return err
	}
	changed, err := store.UpdateSignatureFrom(tx, sig.ID, store.StatusUnconfirmed, map[string]any{
		"token_hash": hash, "token_sealed": sealed, "token_expires_at": s.d.Now().Add(s.d.Config.ConfirmTTL),
	})
	if err != nil {
		return err
	}
	if !changed {
		return ErrTokenUsed
	}
	return nil
}

// notifyLive tells the public view about a committed change, if there is one.
func (s *Service) notifyLive(change *store.Change) {
	if change != nil && s.d.Live != nil {
		s.d.Live.Notify(*change)
	}
}

func (s *Service) wakeOutbox() {
	if s.d.Outbox != nil {
		s.d.Outbox.Wake()
	}
}
