package moderation

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// PartnerContactsHeader is the header row of a partner's contacts export.
func PartnerContactsHeader() []string {
	return []string{"id", "kind", "name", "affiliation", "website", "organisation_type", "country", "email", "contact_name",
		"language", "status", "confirmed_at", "partner_contact_version", "partner_contact_at"}
}

// ExportPartnerContacts writes, as CSV, the signers of a letter who allowed
// its partner partnerID to contact them, with their email addresses: the
// only way a partner gets its contacts, handed over by an admin. It is
// refused to moderators (ErrForbidden), ErrNotFound for a partner the letter
// does not have, and audited as partner.contacts_export before the first
// row. Withdrawn, rejected and unconfirmed signatures are left out.
func (s *Service) ExportPartnerContacts(ctx context.Context, actor *store.Staff, letterID uint, partnerID uint64, w io.Writer) error {
	if actor.Role != store.RoleAdmin {
		return ErrForbidden
	}
	p, err := store.PartnerOf(s.d.Store.Read(ctx), letterID, partnerID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		return store.Audit(tx, store.AuditEvent{StaffID: &actor.ID, StaffEmail: actor.Email, Action: "partner.contacts_export",
			LetterID: &letterID, Subject: store.TruncateRunes("partner "+p.Code+" ("+p.Name+")", 300), CreatedAt: s.d.Now()})
	})
	if err != nil {
		return fmt.Errorf("moderation: audit the contacts export of partner %d: %w", partnerID, err)
	}
	out := csv.NewWriter(w)
	if err := out.Write(PartnerContactsHeader()); err != nil {
		return err
	}
	batch := func(after uint64) ([]store.Signature, error) {
		return store.PartnerContactsAfter(s.d.Store.Read(ctx), p, after, exportBatch)
	}
	err = eachInBatches(batch, func(sig store.Signature) error {
		email, contact, err := s.openContact(sig)
		if err != nil {
			return err
		}
		return out.Write([]string{strconv.FormatUint(sig.ID, 10), string(sig.Kind), SafeCSVCell(sig.Name), SafeCSVCell(sig.Affiliation),
			SafeCSVCell(sig.Website), sig.OrgType, sig.Country, SafeCSVCell(email), SafeCSVCell(contact), sig.Locale, string(sig.Status),
			timeCell(sig.ConfirmedAt), sig.PartnerContactVersion, timeCell(sig.PartnerContactAt)})
	})
	if err != nil {
		return fmt.Errorf("moderation: export contacts of partner %d: %w", partnerID, err)
	}
	out.Flush()
	return out.Error()
}
