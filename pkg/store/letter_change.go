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
}

// TouchLetter bumps the letter's change counter.
func TouchLetter(tx *gorm.DB, letterID uint) error {
	err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "letter_id"}},
		DoUpdates: clause.Assignments(map[string]any{"seq": gorm.Expr("letter_changes.seq + 1")}),
	}).Create(&LetterChange{LetterID: letterID, Seq: 1}).Error
	if err != nil {
		return fmt.Errorf("store: touch letter %d: %w", letterID, err)
	}
	return nil
}

// LetterSeq reads the letter's change counter (0 before any change).
func LetterSeq(tx *gorm.DB, letterID uint) (int64, error) {
	var seq int64
	if err := tx.Model(&LetterChange{}).Where("letter_id = ?", letterID).Select("seq").Scan(&seq).Error; err != nil {
		return 0, fmt.Errorf("store: change counter of letter %d: %w", letterID, err)
	}
	return seq, nil
}
