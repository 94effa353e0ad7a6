package store

import (
	"errors"
	"fmt"
	"time"

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
	// MaxID and AsOf, when set, keep to the signatures a bulk decision
	// previewed: ids up to MaxID, unchanged since AsOf (confirmed by then,
	// and no later audit entry: not moved or corrected since).
	MaxID  uint64
	AsOf   time.Time
	Limit  int
	Offset int
}

// ReviewQueue lists the signatures f matches, newest confirmation first: the
// moderation queue's pages.
func ReviewQueue(tx *gorm.DB, f QueueFilter) ([]Signature, error) {
	var sigs []Signature
	if err := whereQueue(tx, f).Order(queueOrder).Limit(f.Limit).Offset(f.Offset).Find(&sigs).Error; err != nil {
		return nil, fmt.Errorf("store: review queue %+v: %w", f, err)
	}
	return sigs, nil
}

// queueOrder is the queue's order: newest confirmation first.
const queueOrder = "confirmed_at DESC, id DESC"

// whereQueue is the query for the signatures f matches, whatever the page:
// the one place a queue filter becomes conditions.
func whereQueue(tx *gorm.DB, f QueueFilter) *gorm.DB {
	q := tx.Model(&Signature{}).Where("status = ?", f.Status)
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
	if f.MaxID != 0 {
		q = q.Where("id <= ?", f.MaxID)
	}
	if !f.AsOf.IsZero() {
		q = q.Where("confirmed_at <= ? AND NOT EXISTS (SELECT 1 FROM audit_events WHERE audit_events.signature_id = signatures.id AND audit_events.created_at > ?)",
			f.AsOf, f.AsOf)
	}
	return whereSearch(q, f.Query)
}

// CountQueue counts the signatures f matches on every page, and returns the
// highest id among them (0 when none): a bulk decision's preview.
func CountQueue(tx *gorm.DB, f QueueFilter) (n int64, maxID uint64, err error) {
	var row struct {
		N     int64
		MaxID *uint64
	}
	if err := whereQueue(tx, f).Select("COUNT(*) AS n, MAX(id) AS max_id").Scan(&row).Error; err != nil {
		return 0, 0, fmt.Errorf("store: count review queue %+v: %w", f, err)
	}
	if row.MaxID != nil {
		maxID = *row.MaxID
	}
	return row.N, maxID, nil
}

// QueueAfter loads up to limit of the signatures f matches, with ids above
// after, in id order: the chunks of a bulk decision.
func QueueAfter(tx *gorm.DB, f QueueFilter, after uint64, limit int) ([]Signature, error) {
	var sigs []Signature
	if err := whereQueue(tx, f).Where("id > ?", after).Order("id").Limit(limit).Find(&sigs).Error; err != nil {
		return nil, fmt.Errorf("store: review queue %+v after %d: %w", f, after, err)
	}
	return sigs, nil
}

// NextInQueue loads the signature that follows sig in the queue f lists
// (sig itself need no longer match f), or ErrNotFound: the one a moderator
// opens after deciding on sig.
func NextInQueue(tx *gorm.DB, f QueueFilter, sig *Signature) (*Signature, error) {
	if sig.ConfirmedAt == nil {
		return nil, ErrNotFound
	}
	at := *sig.ConfirmedAt
	var next Signature
	err := whereQueue(tx, f).Where("(confirmed_at < ? OR (confirmed_at = ? AND id < ?))", at, at, sig.ID).
		Order(queueOrder).Limit(1).Take(&next).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: next in review queue %+v after %d: %w", f, sig.ID, err)
	}
	return &next, nil
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
