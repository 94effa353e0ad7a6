package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// LetterUpdate is news about a letter that an admin sends to its signers who
// asked to be kept informed (Signature.KeepInformed), a text per language.
type LetterUpdate struct {
	ID        uint64 `gorm:"primaryKey"`
	LetterID  uint   `gorm:"not null;index"`
	Letter    Letter `gorm:"constraint:OnDelete:CASCADE"`
	SentBy    string `gorm:"size:254;not null"`
	CreatedAt time.Time
	Texts     []LetterUpdateText `gorm:"foreignKey:UpdateID;constraint:OnDelete:CASCADE"`
}

// LetterUpdateText is an update's subject and Markdown body in one language.
type LetterUpdateText struct {
	UpdateID uint64 `gorm:"primaryKey;autoIncrement:false"`
	Lang     string `gorm:"size:16;primaryKey"`
	Subject  string `gorm:"size:200;not null"`
	Body     string `gorm:"type:text;not null"`
}

// In is the update's text in lang, or else in fallback (the letter's own
// language); ok is false when it has neither.
func (u *LetterUpdate) In(lang, fallback string) (LetterUpdateText, bool) {
	var found *LetterUpdateText
	for i, t := range u.Texts {
		if t.Lang == lang {
			return t, true
		}
		if t.Lang == fallback {
			found = &u.Texts[i]
		}
	}
	if found == nil {
		return LetterUpdateText{}, false
	}
	return *found, true
}

// SaveLetterUpdate stores u and its texts, made at now, with the audit entry
// update_send by actor (the texts stay out of it: they are in the table).
func SaveLetterUpdate(tx *gorm.DB, u *LetterUpdate, by Actor, now time.Time) error {
	u.SentBy, u.CreatedAt = by.Name, now
	if err := tx.Create(u).Error; err != nil {
		return fmt.Errorf("store: save an update of letter %d: %w", u.LetterID, err)
	}
	letterID := u.LetterID
	return Audit(tx, AuditEvent{StaffID: by.StaffID, StaffEmail: by.Name, Action: "update_send", LetterID: &letterID,
		Subject: fmt.Sprintf("update %d", u.ID), CreatedAt: now})
}

// LetterUpdatesByID loads the updates with ids, their texts included.
func LetterUpdatesByID(tx *gorm.DB, ids []uint64) (map[uint64]*LetterUpdate, error) {
	return rowsByID(tx.Preload("Texts"), "letter updates", ids, func(u *LetterUpdate) uint64 { return u.ID })
}

// QueueLetterUpdate queues a MailLetterUpdate job naming the update
// updateID for each of up to limit signatures of the letter, with ids above
// after, that still stand (StandingStatuses), asked to be kept informed and
// have not unsubscribed, and returns how many it queued and the last id (0
// once none is left), as QueueLetterChanged does.
func QueueLetterUpdate(tx *gorm.DB, letterID uint, updateID uint64, after uint64, limit int, now time.Time) (int, uint64, error) {
	signers := standingSigners(tx, letterID, after, limit).Where("keep_informed AND unsubscribed_at IS NULL")
	return queueBulk(tx, signers, now, func(j *MailJob) {
		j.Kind, j.LetterUpdateID = MailLetterUpdate, &updateID
	})
}

// Unsubscribe records that the signer of signature id no longer wants
// updates, at now, with an audit entry that names the signature and nothing
// of its signer. It reports false, and writes nothing, when they had not
// asked for updates or had unsubscribed already.
func Unsubscribe(tx *gorm.DB, id uint64, now time.Time) (bool, error) {
	var letterID uint
	err := tx.Model(&Signature{}).Where("id = ?", id).Pluck("letter_id", &letterID).Error
	if err == nil && letterID == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("store: unsubscribe signature %d: %w", id, err)
	}
	res := tx.Model(&Signature{}).Where("id = ? AND keep_informed AND unsubscribed_at IS NULL", id).Update("unsubscribed_at", now)
	if res.Error != nil {
		return false, fmt.Errorf("store: unsubscribe signature %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	return true, Audit(tx, AuditEvent{StaffEmail: SignerActor().Name, Action: "unsubscribe", SignatureID: &id, LetterID: &letterID,
		CreatedAt: now})
}
