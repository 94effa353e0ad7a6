package store

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// AuditFilter narrows the audit log; a zero field matches any.
type AuditFilter struct {
	Action string
	// StaffEmail is compared as staff emails are stored: trimmed, in lower
	// case.
	StaffEmail  string
	SignatureID uint64
	LetterID    uint
}

// AuditEvents lists up to limit of the audit events f matches, newest first,
// skipping offset: the audit log's pages and a signature's history.
func AuditEvents(tx *gorm.DB, f AuditFilter, limit, offset int) ([]AuditEvent, error) {
	q := tx.Model(&AuditEvent{})
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.StaffEmail != "" {
		q = q.Where("staff_email = ?", strings.ToLower(strings.TrimSpace(f.StaffEmail)))
	}
	if f.SignatureID != 0 {
		q = q.Where("signature_id = ?", f.SignatureID)
	}
	if f.LetterID != 0 {
		q = q.Where("letter_id = ?", f.LetterID)
	}
	var events []AuditEvent
	if err := q.Order("id DESC").Limit(limit).Offset(offset).Find(&events).Error; err != nil {
		return nil, fmt.Errorf("store: audit events %+v: %w", f, err)
	}
	return events, nil
}
