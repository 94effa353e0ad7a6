package moderation

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/partners"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// exportBatch is how many signatures the export reads at a time.
const exportBatch = 500

// Export writes the confirmed signatures of a letter (of every letter when
// letterID is 0) as CSV, each row naming its letter: public fields always;
// the contact email and name only when includeEmails is set, which only
// admins may do and which is itself audited.
func (s *Service) Export(ctx context.Context, actor *store.Staff, letterID uint, includeEmails bool, w io.Writer) error {
	if includeEmails && actor.Role != store.RoleAdmin {
		return ErrForbidden
	}
	if err := s.auditExport(ctx, actor, letterID, includeEmails); err != nil {
		return err
	}
	out := csv.NewWriter(w)
	header := []string{"id", "kind", "name", "affiliation", "website", "organisation_type", "country", "show_name", "status", "confirmed_at", "published_at", "letter",
		"source", "utm_source", "utm_medium", "utm_campaign",
		"keep_informed", "keep_informed_version", "keep_informed_at", "unsubscribed_at",
		"partner_contact", "partner_contact_version", "partner_contact_at"}
	if includeEmails {
		header = append(header, "email", "contact_name")
	}
	if err := out.Write(header); err != nil {
		return err
	}
	sources := partners.NewDirectory(s.d.Store.Read(ctx))
	batch := func(after uint64) ([]store.Signature, error) {
		return store.ConfirmedSignaturesAfter(s.d.Store.Read(ctx), letterID, after, exportBatch)
	}
	err := eachInBatches(batch, func(sig store.Signature) error {
		source, err := sources.Of(sig.LetterID, sig.Ref)
		if err != nil {
			return err
		}
		record, err := s.exportRecord(sig, source, includeEmails)
		if err != nil {
			return err
		}
		return out.Write(record)
	})
	if err != nil {
		return fmt.Errorf("moderation: export letter %d: %w", letterID, err)
	}
	out.Flush()
	return out.Error()
}

// eachInBatches calls each for every signature batch reads, exportBatch at
// a time, in order of id: batch reads those after an id.
func eachInBatches(batch func(after uint64) ([]store.Signature, error), each func(store.Signature) error) error {
	var lastID uint64
	for {
		sigs, err := batch(lastID)
		if err != nil {
			return err
		}
		for _, sig := range sigs {
			if err := each(sig); err != nil {
				return err
			}
			lastID = sig.ID
		}
		if len(sigs) < exportBatch {
			return nil
		}
	}
}

// auditExport records an export as it starts, naming the letter exported
// (none for every letter).
func (s *Service) auditExport(ctx context.Context, actor *store.Staff, letterID uint, includeEmails bool) error {
	e := store.AuditEvent{StaffID: &actor.ID, StaffEmail: actor.Email, Action: "export", Subject: "every letter", CreatedAt: s.d.Now()}
	if includeEmails {
		e.Action = "export_emails"
	}
	if letterID != 0 {
		e.LetterID, e.Subject = &letterID, fmt.Sprintf("letter %d", letterID)
	}
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error { return store.Audit(tx, e) })
	if err != nil {
		return fmt.Errorf("moderation: audit %s of letter %d: %w", e.Action, letterID, err)
	}
	return nil
}

// exportRecord is sig's row of the export; source is where it came from.
func (s *Service) exportRecord(sig store.Signature, source partners.Source, includeEmails bool) ([]string, error) {
	record := []string{strconv.FormatUint(sig.ID, 10), string(sig.Kind), SafeCSVCell(sig.Name), SafeCSVCell(sig.Affiliation), SafeCSVCell(sig.Website),
		sig.OrgType, sig.Country, strconv.FormatBool(sig.ShowName), string(sig.Status), timeCell(sig.ConfirmedAt), timeCell(sig.PublishedAt),
		s.letterSlug(sig.LetterID), SafeCSVCell(source.Label()), SafeCSVCell(sig.UTMSource), SafeCSVCell(sig.UTMMedium), SafeCSVCell(sig.UTMCampaign),
		strconv.FormatBool(sig.KeepInformed), sig.KeepInformedVersion, timeCell(sig.KeepInformedAt), timeCell(sig.UnsubscribedAt),
		strconv.FormatBool(sig.PartnerContactID != nil), sig.PartnerContactVersion, timeCell(sig.PartnerContactAt)}
	if !includeEmails {
		return record, nil
	}
	email, contact, err := s.openContact(sig)
	if err != nil {
		return nil, err
	}
	return append(record, SafeCSVCell(email), SafeCSVCell(contact)), nil
}

// openContact is sig's email address and, for an organisation, the name of
// the person behind it, unsealed.
func (s *Service) openContact(sig store.Signature) (email, contact string, err error) {
	if sig.EmailSealed != nil {
		if email, err = s.d.Vault.Open(vault.PurposeEmail, sig.EmailSealed); err != nil {
			return "", "", fmt.Errorf("moderation: open email of %d: %w", sig.ID, err)
		}
	}
	if sig.ContactSealed != nil {
		if contact, err = s.d.Vault.Open(vault.PurposeContact, sig.ContactSealed); err != nil {
			return "", "", fmt.Errorf("moderation: open contact of %d: %w", sig.ID, err)
		}
	}
	return email, contact, nil
}

// letterSlug names the letter with id as the export does, by its slug.
func (s *Service) letterSlug(id uint) string {
	if letter, ok := s.d.Letters.ByID(id); ok {
		return letter.Slug
	}
	return ""
}

// SafeCSVCell defuses text a spreadsheet would run as a formula (=, +, -, @
// first); every CSV the app writes passes user text through it.
func SafeCSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// PublicListHeader is the header row of the public list as CSV: the open
// data download and the delivery pack's signatories.csv.
func PublicListHeader() []string {
	return []string{"kind", "name", "affiliation", "website", "organisation_type", "country", "published_at"}
}

// PublicListRow is a named signatory's row in the public list as CSV.
func PublicListRow(s store.PublicSignatory) []string {
	published := ""
	if s.PublishedAt != nil {
		published = s.PublishedAt.UTC().Format("2006-01-02")
	}
	return []string{string(s.Kind), SafeCSVCell(s.Name), SafeCSVCell(s.Affiliation), SafeCSVCell(s.Website), s.OrgType, s.Country, published}
}
