package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SignatureHour is a row of signature_hours: how a letter's numbers changed
// in one hour (UTC) for one kind, country and source (the signature's
// referral code, "" for none). Both counters are net changes, so that adding
// up every hour of a letter gives its numbers now, after hiding, rejection,
// corrections and withdrawals:
//
//   - Confirmed is the change in the signatures that confirmed their address
//     and still stand or were decided by staff (pending review, published,
//     hidden, rejected): +1 at confirmation, -1 at withdrawal or erasure.
//   - Published is the change in the public count: +1 when a signature is
//     published, -1 when it is hidden, rejected, withdrawn or moved to
//     another country or kind (which adds 1 there).
//
// Like country_counts, it is only ever changed by `x = x + ?` in the
// transaction that moves a signature (MoveSignature), never read and written
// back, so reading a letter's history never scans its signatures.
type SignatureHour struct {
	LetterID  uint      `gorm:"primaryKey;autoIncrement:false"`
	Letter    Letter    `gorm:"constraint:OnDelete:CASCADE"`
	Hour      time.Time `gorm:"primaryKey;autoIncrement:false"`
	Kind      Kind      `gorm:"size:20;primaryKey"`
	Country   string    `gorm:"size:2;primaryKey"`
	Source    string    `gorm:"size:64;primaryKey"`
	Confirmed int64     `gorm:"not null;default:0"`
	Published int64     `gorm:"not null;default:0"`
}

// HistoryPoint is what a letter's numbers did in one hour (or any longer
// bucket): the net changes, as SignatureHour counts them.
type HistoryPoint struct {
	At        time.Time
	Confirmed int64
	Published int64
}

// LetterHistory returns a letter's hours that changed anything, oldest
// first, summed over kinds, countries and sources.
func LetterHistory(tx *gorm.DB, letterID uint) ([]HistoryPoint, error) {
	return history(tx.Where("letter_id = ?", letterID), letterID)
}

// SourceHistory is LetterHistory for the signatures that came with one
// referral code (a partner's link, "" for those with none).
func SourceHistory(tx *gorm.DB, letterID uint, source string) ([]HistoryPoint, error) {
	return history(tx.Where("letter_id = ? AND source = ?", letterID, source), letterID)
}

func history(q *gorm.DB, letterID uint) ([]HistoryPoint, error) {
	var rows []struct {
		Hour      time.Time
		Confirmed int64
		Published int64
	}
	err := q.Model(&SignatureHour{}).Select("hour, SUM(confirmed) AS confirmed, SUM(published) AS published").
		Group("hour").Order("hour").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: history of letter %d: %w", letterID, err)
	}
	points := make([]HistoryPoint, 0, len(rows))
	for _, r := range rows {
		if r.Confirmed != 0 || r.Published != 0 {
			points = append(points, HistoryPoint{At: r.Hour.UTC(), Confirmed: r.Confirmed, Published: r.Published})
		}
	}
	return points, nil
}

// historyKey is the row of signature_hours a signature counts in.
type historyKey struct {
	kind    Kind
	country string
	source  string
}

// contribution is what one signature adds to the history's running totals.
type contribution struct{ confirmed, published int64 }

func contributionOf(sig *Signature) contribution {
	var c contribution
	switch sig.Status {
	case StatusPendingReview, StatusPublished, StatusHidden, StatusRejected:
		c.confirmed = 1
	}
	if sig.Status == StatusPublished {
		c.published = 1
	}
	return c
}

// rollUp records in signature_hours, for the hour of at, what a move of a
// signature from before to after changed: one upsert, two when the move
// changed its country.
func rollUp(tx *gorm.DB, before, after *Signature, at time.Time) error {
	was, is := contributionOf(before), contributionOf(after)
	from := historyKey{before.Kind, before.Country, before.Ref}
	to := historyKey{after.Kind, after.Country, before.Ref} // a withdrawal erases the code; it still counts where it was
	if from == to {
		return addToHistory(tx, after.LetterID, at, to, is.confirmed-was.confirmed, is.published-was.published)
	}
	if err := addToHistory(tx, before.LetterID, at, from, -was.confirmed, -was.published); err != nil {
		return err
	}
	return addToHistory(tx, after.LetterID, at, to, is.confirmed, is.published)
}

// addToHistory adds to the counters of one hour's row, creating it when it
// is missing; nothing when both changes are zero.
func addToHistory(tx *gorm.DB, letterID uint, at time.Time, k historyKey, confirmed, published int64) error {
	if confirmed == 0 && published == 0 {
		return nil
	}
	row := SignatureHour{LetterID: letterID, Hour: at.UTC().Truncate(time.Hour), Kind: k.kind, Country: k.country,
		Source: k.source, Confirmed: confirmed, Published: published}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "letter_id"}, {Name: "hour"}, {Name: "kind"}, {Name: "country"}, {Name: "source"}},
		DoUpdates: clause.Assignments(map[string]any{
			"confirmed": gorm.Expr("signature_hours.confirmed + ?", confirmed),
			"published": gorm.Expr("signature_hours.published + ?", published),
		}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: add to history of letter %d at %s: %w", letterID, row.Hour.Format(time.RFC3339), err)
	}
	return nil
}
