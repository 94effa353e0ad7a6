package store

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Consents are a signer's choices to be contacted, as they set them on
// their manage page.
type Consents struct {
	// KeepInformed is to hear from the campaign about the letter.
	KeepInformed bool
	// PartnerContact is to let the partner PartnerID (the one whose code
	// the signature came with; nil when it came through none) contact them.
	PartnerContact bool
	PartnerID      *uint64
	// The versions of the texts agreed to, recorded with a choice made now.
	KeepInformedVersion, PartnerContactVersion string
}

// ConsentsOf are sig's choices as they stand: an unsubscribed signer is no
// longer kept informed.
func ConsentsOf(sig *Signature) Consents {
	return Consents{KeepInformed: sig.KeepInformed && sig.UnsubscribedAt == nil, PartnerContact: sig.PartnerContactID != nil,
		KeepInformedVersion: sig.KeepInformedVersion, PartnerContactVersion: sig.PartnerContactVersion}
}

// SetConsents writes, in tx, the choices of sig's signer where they differ
// from those it holds, and audits them as "consents" by the signer. Ending
// "keep me informed" is an unsubscription, recorded as the link in an
// update records it; giving it again records the version and time anew.
// Letting the partner contact them needs c.PartnerID; ending it forgets
// the partner, version and time. It reports whether anything changed.
func SetConsents(tx *gorm.DB, sig *Signature, c Consents, now time.Time) (bool, error) {
	fields := map[string]any{}
	var said []string
	was := ConsentsOf(sig)
	switch {
	case c.KeepInformed && !was.KeepInformed:
		fields["keep_informed"], fields["keep_informed_version"], fields["keep_informed_at"], fields["unsubscribed_at"] =
			true, c.KeepInformedVersion, now, nil
		said = append(said, "keep informed: yes")
	case !c.KeepInformed && was.KeepInformed:
		fields["unsubscribed_at"] = now
		said = append(said, "keep informed: no")
	}
	switch {
	case c.PartnerContact && !was.PartnerContact && c.PartnerID != nil:
		fields["partner_contact_id"], fields["partner_contact_version"], fields["partner_contact_at"] = *c.PartnerID, c.PartnerContactVersion, now
		said = append(said, "partner contact: yes")
	case !c.PartnerContact && was.PartnerContact:
		fields["partner_contact_id"], fields["partner_contact_version"], fields["partner_contact_at"] = nil, "", nil
		said = append(said, "partner contact: no")
	}
	if len(fields) == 0 {
		return false, nil
	}
	if err := tx.Model(&Signature{}).Where("id = ?", sig.ID).Updates(fields).Error; err != nil {
		return false, fmt.Errorf("store: set consents of signature %d: %w", sig.ID, err)
	}
	return true, Audit(tx, AuditEvent{StaffEmail: SignerActor().Name, Action: "consents", SignatureID: &sig.ID, LetterID: &sig.LetterID,
		Subject: strings.Join(said, ", "), CreatedAt: now})
}
