package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// MailKind names a message the outbox can send.
type MailKind string

// The messages the outbox sends.
const (
	MailConfirm       MailKind = "confirm"
	MailAlreadySigned MailKind = "already_signed"
	MailPublished     MailKind = "published"
	MailRejected      MailKind = "rejected"
	// MailDigest is a staff member's digest of the signatures awaiting
	// review: it names a staff member, not a signature.
	MailDigest MailKind = "digest"
	// MailLetterChanged tells a signer that the text they signed changed
	// materially: it names the signature and the text version that made
	// the change. It is bulk mail, sent after every other kind.
	MailLetterChanged MailKind = "letter_changed"
	// MailLetterUpdate is an update about the letter to a signer who asked
	// to be kept informed: it names the signature and the update. It is
	// bulk mail, as MailLetterChanged is.
	MailLetterUpdate MailKind = "letter_update"
)

// BulkKinds are the kinds of mail staff send to many signers at once. The
// outbox claims them only when no other mail is due, and at most
// mail.bulk_per_minute of them a minute: a signer waiting for a
// confirmation link never waits behind them.
func BulkKinds() []MailKind { return []MailKind{MailLetterChanged, MailLetterUpdate} }

// JobStatus is where a mail job stands.
type JobStatus string

// The states of a mail job.
const (
	JobQueued JobStatus = "queued"
	JobSent   JobStatus = "sent"
	JobFailed JobStatus = "failed"
)

// MailJob is a row of the mail_jobs table, the outbox. It is inserted in the
// transaction that causes the mail and names whom it is about, not their
// address: a signature (mail to its signer) or, for a digest, a staff
// member. The worker renders the message at send time, confirmation link
// and counts included.
type MailJob struct {
	ID            uint64     `gorm:"primaryKey"`
	Kind          MailKind   `gorm:"size:40;not null"`
	SignatureID   *uint64    `gorm:"index"`
	Signature     *Signature `gorm:"constraint:OnDelete:CASCADE"`
	StaffID       *uint      `gorm:"index"`
	Staff         *Staff     `gorm:"constraint:OnDelete:CASCADE"`
	Status        JobStatus  `gorm:"size:20;not null;index:idx_mail_jobs_due,priority:1"`
	Attempts      int        `gorm:"not null;default:0"`
	NextAttemptAt time.Time  `gorm:"not null;index:idx_mail_jobs_due,priority:2"`
	LastError     string     `gorm:"size:1000;not null;default:''"`
	SentAt        *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time

	// LetterTextID is, for MailLetterChanged, the text version whose
	// material change the mail tells of.
	LetterTextID *uint64
	// LetterUpdateID is, for MailLetterUpdate, the update the mail carries.
	LetterUpdateID *uint64
}

// EnqueueMail inserts a queued job due now.
func EnqueueMail(tx *gorm.DB, kind MailKind, signatureID uint64, now time.Time) error {
	job := newMailJob(kind, signatureID, now)
	if err := tx.Create(&job).Error; err != nil {
		return fmt.Errorf("store: enqueue %s mail for signature %d: %w", kind, signatureID, err)
	}
	return nil
}

// RecentMailFor reports whether a mail to the signature with id waits in the
// outbox or was sent after since: signing then queues no other, so repeated
// submissions cannot flood an inbox.
func RecentMailFor(tx *gorm.DB, signatureID uint64, since time.Time) (bool, error) {
	var n int64
	err := tx.Model(&MailJob{}).Where("signature_id = ? AND (status = ? OR sent_at > ?)", signatureID, JobQueued, since).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: count recent mail for signature %d: %w", signatureID, err)
	}
	return n > 0, nil
}

// newMailJob is a job, due at now, to send a mail of kind about a signature.
func newMailJob(kind MailKind, signatureID uint64, now time.Time) MailJob {
	return MailJob{Kind: kind, SignatureID: &signatureID, Status: JobQueued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
}

// ClaimMailJobs takes up to limit due jobs for one worker, bulk ones
// (BulkKinds) only to fill what other mail leaves of limit and at most
// bulkLimit of them: it moves their next attempt lease into the future, so
// no other worker (on this server or another sharing the database) takes
// them meanwhile, and returns them, other mail first, each part by id. A
// worker that dies holding jobs leaves them due again when the lease ends,
// so every job is sent at least once. On PostgreSQL, rows another worker is
// claiming are skipped, not waited for (FOR UPDATE SKIP LOCKED).
func (s *Store) ClaimMailJobs(ctx context.Context, now time.Time, lease time.Duration, limit, bulkLimit int) ([]MailJob, error) {
	var jobs []MailJob
	err := s.Write(ctx, func(tx *gorm.DB) error {
		var err error
		if jobs, err = s.claim(tx, "NOT IN", now, lease, limit); err != nil {
			return err
		}
		if room := min(limit-len(jobs), bulkLimit); room > 0 {
			bulk, err := s.claim(tx, "IN", now, lease, room)
			jobs = append(jobs, bulk...)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim mail jobs: %w", err)
	}
	return jobs, nil
}

// claim leases up to limit due jobs whose kind is (in, "IN") or is not
// (in, "NOT IN") a bulk kind, the oldest due, and returns them by id. It
// searches that class's index of queued jobs (dueIndexes) from the oldest
// due, its condition written as dueCondition writes it: by the index of
// every queued job, a claim of other mail read past every bulk job queued
// before it, in the one writer (16 s of 74 s in a profile of the load
// command's campaign phase, an update to 20,000 queued). SQLite, without
// statistics, prefers that index, so it is told which to use.
func (s *Store) claim(tx *gorm.DB, in string, now time.Time, lease time.Duration, limit int) ([]MailJob, error) {
	from := "mail_jobs"
	if s.Driver == "sqlite" {
		from += " INDEXED BY " + dueIndex(in)
	}
	var jobs []MailJob
	err := tx.Raw(`UPDATE mail_jobs SET next_attempt_at = ? WHERE id IN (
		SELECT id FROM `+from+` WHERE `+dueCondition(in)+` AND next_attempt_at <= ?
		ORDER BY next_attempt_at, id LIMIT ?`+s.skipLocked()+`)
		RETURNING *`, now.Add(lease), now, limit).Scan(&jobs).Error
	slices.SortFunc(jobs, func(a, b MailJob) int { return cmp.Compare(a.ID, b.ID) })
	return jobs, err
}

// skipLocked is what a claim's inner SELECT ends with so that, on
// PostgreSQL, rows another worker is claiming are skipped, not waited for.
func (s *Store) skipLocked() string {
	if s.Driver == "postgres" {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// Bulk reports whether the job is of a bulk kind (BulkKinds).
func (j MailJob) Bulk() bool { return slices.Contains(BulkKinds(), j.Kind) }

// QueueLetterChanged queues a MailLetterChanged job naming the text
// version textID for each of up to limit signatures of the letter that
// still stand (StandingStatuses), with ids above after, and returns how
// many it queued and the last id (0 once none is left). Callers take a
// letter's signers a chunk per transaction, so that a letter with a
// hundred thousand of them never holds the one writer for long.
func QueueLetterChanged(tx *gorm.DB, letterID uint, textID uint64, after uint64, limit int, now time.Time) (int, uint64, error) {
	return queueBulk(tx, standingSigners(tx, letterID, after, limit), now, func(j *MailJob) {
		j.Kind, j.LetterTextID = MailLetterChanged, &textID
	})
}

// standingSigners is the query for up to limit signatures of the letter,
// with ids above after, that still stand (StandingStatuses), by id. It
// walks the table in id order from after and stops at limit: the
// expressions on letter_id and status (a unary plus, a concatenation) keep
// SQLite from searching by the letter's or the status's index instead,
// which read and sorted every such signature of the letter for
// each chunk, in the one writer (about 0.7 ms a signer told, in the load
// command's campaign phase).
func standingSigners(tx *gorm.DB, letterID uint, after uint64, limit int) *gorm.DB {
	return tx.Model(&Signature{}).Where("+letter_id = ? AND status || '' IN ? AND id > ?", letterID, StandingStatuses(), after).
		Order("id").Limit(limit)
}

// queueBulk queues a job, made by fill, for each signature signers finds,
// and returns how many it queued and the last id (0 once none is left).
func queueBulk(tx *gorm.DB, signers *gorm.DB, now time.Time, fill func(*MailJob)) (int, uint64, error) {
	var ids []uint64
	if err := signers.Pluck("id", &ids).Error; err != nil {
		return 0, 0, fmt.Errorf("store: signers to tell: %w", err)
	}
	if len(ids) == 0 {
		return 0, 0, nil
	}
	jobs := make([]MailJob, len(ids))
	for i, id := range ids {
		jobs[i] = newMailJob("", id, now)
		fill(&jobs[i])
	}
	if err := addMailJobs(tx, jobs); err != nil {
		return 0, 0, fmt.Errorf("store: queue %d %s mails: %w", len(jobs), jobs[0].Kind, err)
	}
	return len(ids), ids[len(ids)-1], nil
}

// addMailJobs inserts jobs in one statement through GORM, which writes the
// placeholders each database wants (insertMailJobs, the group commit's,
// writes SQLite's, past GORM).
func addMailJobs(tx *gorm.DB, jobs []MailJob) error {
	query, args := insertRows("mail_jobs", mailJobColumns, jobs, mailJobValues)
	return tx.Exec(query, args...).Error
}

// MarkMailSent records delivered jobs.
func MarkMailSent(tx *gorm.DB, ids []uint64, now time.Time) error {
	err := tx.Model(&MailJob{}).Where("id IN ?", ids).Updates(map[string]any{
		"status": JobSent, "sent_at": now, "attempts": gorm.Expr("attempts + 1"), "last_error": "",
	}).Error
	if err != nil {
		return fmt.Errorf("store: mark %d mail jobs sent: %w", len(ids), err)
	}
	return nil
}

// MissingMailJobs returns those of ids that no longer have a job: their
// signature was withdrawn or erased while their mail was being sent.
func MissingMailJobs(tx *gorm.DB, ids []uint64) ([]uint64, error) {
	var present []uint64
	if err := tx.Model(&MailJob{}).Where("id IN ?", ids).Pluck("id", &present).Error; err != nil {
		return nil, fmt.Errorf("store: find %d mail jobs: %w", len(ids), err)
	}
	var missing []uint64
	for _, id := range ids {
		if !slices.Contains(present, id) {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// pruneBatch is how many sent jobs one transaction deletes, so that pruning a
// launch day's mail never holds the one writer for long.
const pruneBatch = 5000

// PruneSentMail deletes the jobs of mail sent before cutoff, a batch per
// transaction, and reports how many went.
func (s *Store) PruneSentMail(ctx context.Context, cutoff time.Time) (int64, error) {
	return s.pruneInBatches(ctx, "sent mail", `DELETE FROM mail_jobs WHERE id IN (
		SELECT id FROM mail_jobs WHERE status = ? AND sent_at < ? LIMIT ?)`, JobSent, cutoff, pruneBatch)
}

// pruneInBatches runs deleteBatch, a DELETE of at most pruneBatch rows, a
// transaction at a time, until it deletes fewer, and reports how many rows
// went: the writer is held one batch at a time.
func (s *Store) pruneInBatches(ctx context.Context, what, deleteBatch string, args ...any) (int64, error) {
	var total int64
	for ctx.Err() == nil {
		var n int64
		err := s.Write(ctx, func(tx *gorm.DB) error {
			res := tx.Exec(deleteBatch, args...)
			n = res.RowsAffected
			return res.Error
		})
		if err != nil {
			return total, fmt.Errorf("store: prune %s: %w", what, err)
		}
		if total += n; n < pruneBatch {
			break
		}
	}
	return total, nil
}

// ReleaseMailJobs makes claimed jobs that were not attempted due again now,
// so a worker that stops mid-batch does not leave them waiting out the lease.
func ReleaseMailJobs(tx *gorm.DB, ids []uint64, now time.Time) error {
	err := tx.Model(&MailJob{}).Where("id IN ? AND status = ?", ids, JobQueued).Update("next_attempt_at", now).Error
	if err != nil {
		return fmt.Errorf("store: release %d mail jobs: %w", len(ids), err)
	}
	return nil
}

// MarkMailFailed gives up on a job the relay refused for good.
func MarkMailFailed(tx *gorm.DB, id uint64, cause string) error {
	err := tx.Model(&MailJob{}).Where("id = ?", id).Updates(map[string]any{
		"status": JobFailed, "attempts": gorm.Expr("attempts + 1"), "last_error": TruncateRunes(cause, 1000),
	}).Error
	if err != nil {
		return fmt.Errorf("store: mark mail job %d failed: %w", id, err)
	}
	return nil
}

// MarkMailRetry keeps a job queued after a failed attempt, due again at next.
func MarkMailRetry(tx *gorm.DB, id uint64, next time.Time, cause string) error {
	err := tx.Model(&MailJob{}).Where("id = ?", id).Updates(map[string]any{
		"next_attempt_at": next, "attempts": gorm.Expr("attempts + 1"), "last_error": TruncateRunes(cause, 1000),
	}).Error
	if err != nil {
		return fmt.Errorf("store: reschedule mail job %d: %w", id, err)
	}
	return nil
}

// MailStats summarises the outbox for the console.
type MailStats struct {
	Queued      int64
	Failed      int64
	SentLastDay int64
	OldestQueue *time.Time // when the oldest queued job was created
}

// MailFilter narrows the outbox as the console shows it; a zero field matches
// any.
type MailFilter struct {
	LetterID uint // mail about the signatures of this letter
}

// jobs is the query for the mail jobs f matches.
func (f MailFilter) jobs(tx *gorm.DB) *gorm.DB {
	q := tx.Model(&MailJob{})
	if f.LetterID != 0 {
		q = q.Where("signature_id IN (SELECT id FROM signatures WHERE letter_id = ?)", f.LetterID)
	}
	return q
}

// OutboxStats counts the outbox's jobs that f matches by state.
func OutboxStats(tx *gorm.DB, f MailFilter, now time.Time) (MailStats, error) {
	var s MailStats
	counts := []struct {
		into  *int64
		query string
		args  []any
	}{
		{&s.Queued, "status = ?", []any{JobQueued}},
		{&s.Failed, "status = ?", []any{JobFailed}},
		{&s.SentLastDay, "status = ? AND sent_at > ?", []any{JobSent, now.Add(-24 * time.Hour)}},
	}
	for _, c := range counts {
		if err := f.jobs(tx).Where(c.query, c.args...).Count(c.into).Error; err != nil {
			return s, fmt.Errorf("store: outbox stats: %w", err)
		}
	}
	var oldest MailJob
	err := f.jobs(tx).Where("status = ?", JobQueued).Order("created_at").Limit(1).Find(&oldest).Error
	if err != nil {
		return s, fmt.Errorf("store: oldest queued mail: %w", err)
	}
	if oldest.ID != 0 {
		s.OldestQueue = &oldest.CreatedAt
	}
	return s, nil
}

// FailedMailJobs lists the most recent failed jobs f matches, each with the
// id and letter of its signature.
func FailedMailJobs(tx *gorm.DB, f MailFilter, limit int) ([]MailJob, error) {
	var jobs []MailJob
	err := f.jobs(tx).Preload("Signature", func(q *gorm.DB) *gorm.DB { return q.Select("id", "letter_id") }).
		Where("status = ?", JobFailed).Order("updated_at DESC, id DESC").Limit(limit).Find(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("store: failed mail jobs %+v: %w", f, err)
	}
	return jobs, nil
}

// WaitingMailByLetter counts the queued and the failed jobs by the letter of
// their signature (letters with neither are absent), for the console's mail
// page.
func WaitingMailByLetter(tx *gorm.DB) (map[uint]MailStats, error) {
	var rows []struct {
		LetterID uint
		Status   JobStatus
		Count    int64
	}
	err := tx.Table("mail_jobs").Select("signatures.letter_id AS letter_id, mail_jobs.status AS status, COUNT(*) AS count").
		Joins("JOIN signatures ON signatures.id = mail_jobs.signature_id").
		Where("mail_jobs.status IN ?", []JobStatus{JobQueued, JobFailed}).
		Group("signatures.letter_id, mail_jobs.status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: waiting mail by letter: %w", err)
	}
	out := map[uint]MailStats{}
	for _, r := range rows {
		s := out[r.LetterID]
		if r.Status == JobQueued {
			s.Queued = r.Count
		} else {
			s.Failed = r.Count
		}
		out[r.LetterID] = s
	}
	return out, nil
}

// RequeueFailedMail puts failed jobs (all of them when ids is empty) back in
// the queue, due now, with their attempts reset, and reports how many.
func RequeueFailedMail(tx *gorm.DB, ids []uint64, now time.Time) (int64, error) {
	q := tx.Model(&MailJob{}).Where("status = ?", JobFailed)
	if len(ids) > 0 {
		q = q.Where("id IN ?", ids)
	}
	res := q.Updates(map[string]any{"status": JobQueued, "attempts": 0, "next_attempt_at": now, "last_error": ""})
	if res.Error != nil {
		return 0, fmt.Errorf("store: requeue failed mail: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// dueCondition is the condition of the queued jobs whose kind is (in,
// "IN") or is not (in, "NOT IN") a bulk kind, written into the text: a
// database uses a partial index only for a query that implies its
// condition, which a bound value does not.
func dueCondition(in string) string {
	kinds := make([]string, 0, len(BulkKinds()))
	for _, k := range BulkKinds() {
		kinds = append(kinds, "'"+string(k)+"'")
	}
	return "status = '" + string(JobQueued) + "' AND kind " + in + " (" + strings.Join(kinds, ", ") + ")"
}

// dueIndexes makes the two indexes of queued jobs by time due, one of
// other mail and one of bulk mail (claim), on a fresh database and in the
// migration that added them.
func dueIndexes(tx *gorm.DB) error {
	for _, in := range []string{"NOT IN", "IN"} {
		name := dueIndex(in)
		err := tx.Exec("CREATE INDEX IF NOT EXISTS " + name + " ON mail_jobs (next_attempt_at, id) WHERE " + dueCondition(in)).Error
		if err != nil {
			return fmt.Errorf("store: create %s: %w", name, err)
		}
	}
	return nil
}

// dueIndex names the index of queued jobs whose kind is (in, "IN") or is
// not (in, "NOT IN") a bulk kind.
func dueIndex(in string) string {
	if in == "IN" {
		return "idx_mail_jobs_due_bulk"
	}
	return "idx_mail_jobs_due_now"
}
