package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Digest is how often a staff member is mailed a digest of the signatures
// awaiting review.
type Digest string

// The digest choices. DigestImmediate still waits a few minutes between two
// digests (see digest.MinGap), so that a flood of signatures is one mail.
const (
	DigestImmediate Digest = "immediate"
	DigestHourly    Digest = "hourly"
	DigestDaily     Digest = "daily"
	DigestNever     Digest = "never"
)

// Digests lists the choices, most frequent first: the order the settings
// page offers them in.
func Digests() []Digest {
	return []Digest{DigestImmediate, DigestHourly, DigestDaily, DigestNever}
}

// Valid reports whether d is one of Digests.
func (d Digest) Valid() bool {
	for _, c := range Digests() {
		if d == c {
			return true
		}
	}
	return false
}

// StaffByID loads the staff member with id, or ErrNotFound: the mail worker
// reads the recipient of a digest so.
func StaffByID(tx *gorm.DB, id uint) (*Staff, error) {
	return findOne[Staff](tx, "staff", "id = ?", id)
}

// SetStaffDigest records member's digest choice, in the row and in member.
func SetStaffDigest(tx *gorm.DB, member *Staff, choice Digest) error {
	if err := tx.Model(member).Update("digest", choice).Error; err != nil {
		return fmt.Errorf("store: set digest of staff %d: %w", member.ID, err)
	}
	return nil
}

// DigestRecipients lists the enabled staff who chose a digest other than
// never: those the digest loop looks at.
func DigestRecipients(tx *gorm.DB) ([]Staff, error) {
	var members []Staff
	err := tx.Where("disabled = ? AND digest <> ?", false, DigestNever).Order("id").Find(&members).Error
	if err != nil {
		return nil, fmt.Errorf("store: list digest recipients: %w", err)
	}
	return members, nil
}

// NewestAwaitingReview is when the signature that entered the review queue
// last did so (confirmed_at), or nil when nothing awaits review. It reads one
// entry of idx_signatures_queue.
func NewestAwaitingReview(tx *gorm.DB) (*time.Time, error) {
	var newest []time.Time
	err := tx.Model(&Signature{}).Where("status = ? AND confirmed_at IS NOT NULL", StatusPendingReview).
		Order("confirmed_at DESC").Limit(1).Pluck("confirmed_at", &newest).Error
	if err != nil {
		return nil, fmt.Errorf("store: newest signature awaiting review: %w", err)
	}
	if len(newest) == 0 {
		return nil, nil
	}
	return &newest[0], nil
}

// QueueDigest queues a digest to the staff member with memberID and moves
// their last_digest_at to now, in tx, only while they are still due: enabled,
// with the choice they were found with, and no digest since dueBefore (or
// none ever). Two servers sharing the database that decide at once so queue
// one digest between them. It reports whether it queued one.
func QueueDigest(tx *gorm.DB, memberID uint, choice Digest, dueBefore, now time.Time) (bool, error) {
	res := tx.Model(&Staff{}).
		Where("id = ? AND disabled = ? AND digest = ? AND (last_digest_at IS NULL OR last_digest_at <= ?)", memberID, false, choice, dueBefore).
		Update("last_digest_at", now)
	if res.Error != nil {
		return false, fmt.Errorf("store: move last digest of staff %d: %w", memberID, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	job := MailJob{Kind: MailDigest, StaffID: &memberID, Status: JobQueued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&job).Error; err != nil {
		return false, fmt.Errorf("store: enqueue digest for staff %d: %w", memberID, err)
	}
	return true, nil
}

// PreviousDigestAt is when the digest before the job with jobID was queued
// for the same staff member, or the zero time when there was none (or its
// record was pruned): a digest counts what entered the queue since.
func PreviousDigestAt(tx *gorm.DB, staffID uint, jobID uint64) (time.Time, error) {
	var at []time.Time
	err := tx.Model(&MailJob{}).Where("staff_id = ? AND kind = ? AND id < ?", staffID, MailDigest, jobID).
		Order("id DESC").Limit(1).Pluck("created_at", &at).Error
	if err != nil {
		return time.Time{}, fmt.Errorf("store: digest before job %d of staff %d: %w", jobID, staffID, err)
	}
	if len(at) == 0 {
		return time.Time{}, nil
	}
	return at[0], nil
}

// ReviewCount is what a digest says of one letter: how many of its
// signatures await review, and how many of those entered the queue after a
// given moment.
type ReviewCount struct {
	LetterID uint
	Waiting  int64
	NewSince int64
}

// AwaitingReviewSince counts the signatures awaiting review by letter
// (letters with none are absent), in letter id order, and of each how many
// entered the queue after since.
func AwaitingReviewSince(tx *gorm.DB, since time.Time) ([]ReviewCount, error) {
	var counts []ReviewCount
	err := tx.Model(&Signature{}).
		Select("letter_id, COUNT(*) AS waiting, SUM(CASE WHEN confirmed_at > ? THEN 1 ELSE 0 END) AS new_since", since).
		Where("status = ?", StatusPendingReview).Group("letter_id").Order("letter_id").Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("store: signatures awaiting review since %s: %w", since, err)
	}
	return counts, nil
}
