package store

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CountryCount is a row of country_counts: how many published signatures of one
// kind a letter has from one country. It is only ever changed by an SQL
// expression in the transaction that changes a signature's state.
type CountryCount struct {
	ID       uint   `gorm:"primaryKey"`
	LetterID uint   `gorm:"not null;uniqueIndex:idx_country_counts_key,priority:1"`
	Letter   Letter `gorm:"constraint:OnDelete:CASCADE"`
	Country  string `gorm:"size:2;not null;uniqueIndex:idx_country_counts_key,priority:2"`
	Kind     Kind   `gorm:"size:20;not null;uniqueIndex:idx_country_counts_key,priority:3"`
	// Named counts the individuals among Count who chose to show their name
	// (for organisations it equals Count), so the list can say "and N others".
	Count int64 `gorm:"not null;default:0"`
	Named int64 `gorm:"not null;default:0"`
}

// AddToCount adds delta to the count for (letter, country, kind), and to the
// named count when named is true, creating the row when it is missing, and
// bumps the letter's change counter. It never reads the count first, so
// concurrent transactions cannot lose updates.
func AddToCount(tx *gorm.DB, letterID uint, country string, kind Kind, named bool, delta int64) error {
	if err := addToCount(tx, letterID, country, kind, named, delta); err != nil {
		return err
	}
	return TouchLetter(tx, letterID)
}

// addToCount is AddToCount without the change counter, for a caller that
// bumps it once for several counts.
func addToCount(tx *gorm.DB, letterID uint, country string, kind Kind, named bool, delta int64) error {
	namedDelta := int64(0)
	if named {
		namedDelta = delta
	}
	row := CountryCount{LetterID: letterID, Country: country, Kind: kind, Count: delta, Named: namedDelta}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "letter_id"}, {Name: "country"}, {Name: "kind"}},
		DoUpdates: clause.Assignments(map[string]any{
			"count": gorm.Expr("country_counts.count + ?", delta),
			"named": gorm.Expr("country_counts.named + ?", namedDelta),
		}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: add %d to count of letter %d, %s, %s: %w", delta, letterID, country, kind, err)
	}
	return nil
}

// CountsForLetter returns every non-zero count row of a letter.
func CountsForLetter(tx *gorm.DB, letterID uint) ([]CountryCount, error) {
	var rows []CountryCount
	if err := tx.Where("letter_id = ? AND count > 0", letterID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: counts of letter %d: %w", letterID, err)
	}
	return rows, nil
}
