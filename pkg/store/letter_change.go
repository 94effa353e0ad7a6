package store

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LetterChange is a row of letter_changes: a counter each letter's public
// state bumps in the transaction that changes it. Servers sharing the
// database poll it to learn about changes made by the others.
type LetterChange struct {
	LetterID uint   `gorm:"primaryKey;autoIncrement:false"`
	Letter   Letter `gorm:"constraint:OnDelete:CASCADE"`
	Seq      int64  `gorm:"not null;default:0"`
	// Unpublished counts only the changes that took a name off the public
	// list (hidden, rejected, withdrawn, corrected): a server that sees it
	// move reads every country and checks the names it would replay again,
	// at once, whatever it was doing.
	Unpublished int64 `gorm:"not null;default:0"`
}

// TouchLetter bumps the letter's change counter.
func TouchLetter(tx *gorm.DB, letterID uint) error { return touchLetter(tx, letterID, false) }

// touchLetter bumps the letter's change counter, and its counter of names
// taken off the public list when unpublished is true, in one statement.
func touchLetter(tx *gorm.DB, letterID uint, unpublished bool) error {
	bump := int64(0)
	if unpublished {
		bump = 1
	}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "letter_id"}},
		DoUpdates: clause.Assignments(map[string]any{"seq": gorm.Expr("letter_changes.seq + 1"),
			"unpublished": gorm.Expr("letter_changes.unpublished + ?", bump)}),
	}).Create(&LetterChange{LetterID: letterID, Seq: 1, Unpublished: bump}).Error
	if err != nil {
		return fmt.Errorf("store: touch letter %d: %w", letterID, err)
	}
	return nil
}

// LetterCounters reads the letter's change counters (zero before any
// change).
func LetterCounters(tx *gorm.DB, letterID uint) (LetterChange, error) {
	var c LetterChange
	if err := tx.Model(&LetterChange{}).Where("letter_id = ?", letterID).Select("seq, unpublished").Scan(&c).Error; err != nil {
		return LetterChange{}, fmt.Errorf("store: change counters of letter %d: %w", letterID, err)
	}
	return c, nil
}
