package store

import (
	"fmt"

	"gorm.io/gorm"
)

// notUnconfirmed is the condition staff see signatures by: once confirmed, a
// signature stays theirs to see in every later state.
const notUnconfirmed = "status <> ?"

// QueueFilter narrows the review queue; a zero field other than Status
// matches any.
type QueueFilter struct {
	Status   Status
	LetterID uint
	Kind     Kind
	Country  string
	Query    string // folded and matched anywhere in the search text
	Flag     Flag   // 0 matches any
	Limit    int
	Offset   int
}

// ReviewQueue lists the signatures f matches, newest confirmation first: the
// moderation queue's pages.
func ReviewQueue(tx *gorm.DB, f QueueFilter) ([]Signature, error) {
	q := tx.Where("status = ?", f.Status)
	if f.LetterID != 0 {
		q = q.Where("letter_id = ?", f.LetterID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Country != "" {
		q = q.Where("country = ?", f.Country)
	}
	if f.Flag != 0 {
		q = q.Where("(flags & ?) <> 0", uint(f.Flag))
	}
	q = whereSearch(q, f.Query)
	var sigs []Signature
	if err := q.Order("confirmed_at DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&sigs).Error; err != nil {
		return nil, fmt.Errorf("store: review queue %+v: %w", f, err)
	}
	return sigs, nil
}

// ConfirmedSignatureByID loads the signature with id unless it is still
// unconfirmed, or ErrNotFound: the one a moderator opens.
func ConfirmedSignatureByID(tx *gorm.DB, id uint64) (*Signature, error) {
	return findOne[Signature](tx, "signature", "id = ? AND "+notUnconfirmed, id, StatusUnconfirmed)
}

// ConfirmedSignaturesAfter loads up to limit of the letter's signatures (of
// every letter's when letterID is 0) that are no longer unconfirmed, with ids
// above after, in id order: the export reads in such batches.
func ConfirmedSignaturesAfter(tx *gorm.DB, letterID uint, after uint64, limit int) ([]Signature, error) {
	q := tx.Where(notUnconfirmed+" AND id > ?", StatusUnconfirmed, after)
	if letterID != 0 {
		q = q.Where("letter_id = ?", letterID)
	}
	var sigs []Signature
	err := q.Order("id").Limit(limit).Find(&sigs).Error
	if err != nil {
		return nil, fmt.Errorf("store: confirmed signatures of letter %d after %d: %w", letterID, after, err)
	}
	return sigs, nil
}

// PendingReviewByLetter counts the signatures awaiting review, by letter
// (letters with none are absent), for the queue's header.
func PendingReviewByLetter(tx *gorm.DB) (map[uint]int64, error) {
	var rows []struct {
		LetterID uint
		Count    int64
	}
	err := tx.Model(&Signature{}).Select("letter_id, COUNT(*) AS count").Where("status = ?", StatusPendingReview).
		Group("letter_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: signatures awaiting review by letter: %w", err)
	}
	out := make(map[uint]int64, len(rows))
	for _, r := range rows {
		out[r.LetterID] = r.Count
	}
	return out, nil
}
