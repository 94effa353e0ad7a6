package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// signatureInsert is one new signature to store with the mail queued for it.
type signatureInsert struct {
	sig   *Signature
	media MediaUpload // the statement and logo to store with it, if any
	mail  MailKind
	now   time.Time
	// signedAlready runs, in the insert's transaction, when the signature's
	// address has already signed its letter; nil does nothing.
	signedAlready func(tx *gorm.DB) error
	inserted      bool // set once the row and its mail are written
}

// InsertSignatureWithMail inserts sig, with a mail of kind queued for it at
// now, unless its address has already signed its letter, and reports whether
// it did. When it has, signedAlready (if not nil) runs instead, in the same
// write, so that a signer who signs again costs one write as a new one does,
// and waits for one commit, not two. On SQLite, the inserts of one group
// commit share their statements too: one INSERT for all the batch's
// signatures and one for their mails (see insertInBulk), which is what lets
// one writer keep up with a launch.
func (s *Store) InsertSignatureWithMail(ctx context.Context, sig *Signature, kind MailKind, now time.Time, signedAlready func(tx *gorm.DB) error) (bool, error) {
	return s.insertSignature(ctx, &signatureInsert{sig: sig, mail: kind, now: now, signedAlready: signedAlready})
}

// InsertSignatureWithMedia is InsertSignatureWithMail for a signer who adds a
// statement or a logo: media is stored with the signature, in the same
// write, and only if the signature is.
func (s *Store) InsertSignatureWithMedia(ctx context.Context, sig *Signature, media MediaUpload, kind MailKind, now time.Time, signedAlready func(tx *gorm.DB) error) (bool, error) {
	return s.insertSignature(ctx, &signatureInsert{sig: sig, media: media, mail: kind, now: now, signedAlready: signedAlready})
}

// insertSignature runs in, in a group commit on SQLite.
func (s *Store) insertSignature(ctx context.Context, in *signatureInsert) (bool, error) {
	var err error
	if s.batch != nil {
		err = s.batch.do(&writeRequest{ctx: ctx, fn: in.insertOne, insert: in})
	} else {
		err = s.writer.WithContext(ctx).Transaction(in.insertOne)
	}
	return in.inserted && err == nil, err
}

// insertOne is the insert on its own, in its own transaction or savepoint.
func (in *signatureInsert) insertOne(tx *gorm.DB) (err error) {
	if in.inserted, err = InsertNewSignature(tx, in.sig, in.mail, in.now); err != nil {
		return err
	}
	if in.inserted {
		return InsertMedia(tx, in.sig.ID, in.media, in.now)
	}
	return in.runSignedAlready(tx)
}

// runSignedAlready runs in's signedAlready, if it has one.
func (in *signatureInsert) runSignedAlready(tx *gorm.DB) error {
	if in.signedAlready == nil {
		return nil
	}
	return in.signedAlready(tx)
}

// insertSignatures inserts ins, and a mail for each, with one statement per
// table. A signature whose address has already signed its letter, before or
// earlier in ins, is left out, not inserted, and its signedAlready runs once
// the mails of those inserted are queued (so that it sees them). It is
// SQLite's and needs the one writer: it hands out the ids, so that each
// caller learns its own without trusting the order of RETURNING, which no
// database promises, and the conflict clause, not a look-up first, finds the
// addresses already signed, in the unique index the insert updates anyway.
//
// The statements are written here, not by GORM: this is the one writer's
// work for every signature of a launch, and GORM's reflection over the rows
// took a tenth of it (docs/benchmarks.md).
func insertSignatures(tx *gorm.DB, ins []*signatureInsert) error {
	last, err := lastSignatureID(tx)
	if err != nil {
		return err
	}
	rows := make([]*Signature, len(ins))
	for i, in := range ins {
		rows[i] = in.sig
		in.sig.ID = last + 1 + uint64(i)
		in.sig.CreatedAt, in.sig.UpdatedAt = in.now, in.now
	}
	stored, err := insertNewOnly(tx, rows)
	if err != nil {
		return err
	}
	jobs := make([]MailJob, 0, len(stored))
	var signedAlready []*signatureInsert
	for _, in := range ins {
		if !stored[in.sig.ID] {
			in.sig.ID = 0 // as it came: never stored
			signedAlready = append(signedAlready, in)
			continue
		}
		jobs = append(jobs, newMailJob(in.mail, in.sig.ID, in.now))
	}
	if len(jobs) > 0 {
		if err := insertMailJobs(tx, jobs); err != nil {
			return fmt.Errorf("store: enqueue %d mails: %w", len(jobs), err)
		}
	}
	for _, in := range ins {
		if in.sig.ID != 0 {
			if err := InsertMedia(tx, in.sig.ID, in.media, in.now); err != nil {
				return err
			}
		}
	}
	for _, in := range signedAlready {
		if err := in.runSignedAlready(tx); err != nil {
			return err
		}
	}
	for _, in := range ins {
		in.inserted = in.sig.ID != 0
	}
	return nil
}

// signatureColumns are the columns of a new signature's row, in the order
// signatureValues gives them: every column of Signature
// (TestInsertedSignaturesKeepEveryField keeps the two in step).
const signatureColumns = "id, letter_id, kind, name, affiliation, website, org_type, country, search_text, sort_key, " +
	"show_name, contact_sealed, email_sealed, email_hash, status, token_hash, token_sealed, manage_hash, manage_sealed, " +
	"token_expires_at, confirmed_at, published_at, reviewed_at, reason_code, reason_note, locale, letter_version, " +
	"consent_version, ref, network_hash, network_seen_at, email_domain_hash, created_at, updated_at, name_key, site_domain, " +
	"contact_key, flags, source, import_id, utm_source, utm_medium, utm_campaign, keep_informed, keep_informed_version, keep_informed_at, unsubscribed_at, " +
	"partner_contact_id, partner_contact_version, partner_contact_at"

// signatureValues appends s's values for signatureColumns to args.
func signatureValues(args []any, s *Signature) []any {
	return append(args, s.ID, s.LetterID, string(s.Kind), s.Name, s.Affiliation, s.Website, s.OrgType, s.Country, s.SearchText, s.SortKey,
		s.ShowName, s.ContactSealed, s.EmailSealed, s.EmailHash, string(s.Status), s.TokenHash, s.TokenSealed, s.ManageHash, s.ManageSealed,
		s.TokenExpiresAt, s.ConfirmedAt, s.PublishedAt, s.ReviewedAt, s.ReasonCode, s.ReasonNote, s.Locale, s.LetterVersion,
		s.ConsentVersion, s.Ref, s.NetworkHash, s.NetworkSeenAt, s.EmailDomainHash, s.CreatedAt, s.UpdatedAt, s.NameKey, s.SiteDomain,
		s.ContactKey, s.Flags, string(s.Source.orForm()), s.ImportID, s.UTMSource, s.UTMMedium, s.UTMCampaign,
		s.KeepInformed, s.KeepInformedVersion, s.KeepInformedAt, s.UnsubscribedAt,
		s.PartnerContactID, s.PartnerContactVersion, s.PartnerContactAt)
}

// mailJobColumns are the columns of a new mail job's row, in the order
// mailJobValues gives them: every column of MailJob but its id.
const mailJobColumns = "kind, signature_id, staff_id, status, attempts, next_attempt_at, last_error, sent_at, created_at, updated_at, letter_text_id, letter_update_id"

// mailJobValues appends j's values for mailJobColumns to args.
func mailJobValues(args []any, j MailJob) []any {
	return append(args, string(j.Kind), j.SignatureID, j.StaffID, string(j.Status), j.Attempts, j.NextAttemptAt, j.LastError, j.SentAt,
		j.CreatedAt, j.UpdatedAt, j.LetterTextID, j.LetterUpdateID)
}

// insertNewOnly inserts those of rows, each with its id set, whose signer has
// not signed yet, in one statement, and returns the ids it stored.
func insertNewOnly(tx *gorm.DB, rows []*Signature) (map[uint64]bool, error) {
	query, args := insertRows("signatures", signatureColumns, rows, signatureValues)
	query += " ON CONFLICT (" + strings.Join(signerKey(), ", ") + ") DO NOTHING RETURNING id"
	result, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: insert %d signatures: %w", len(rows), err)
	}
	defer result.Close()
	stored := make(map[uint64]bool, len(rows))
	for result.Next() {
		var id uint64
		if err := result.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: read the ids of %d signatures inserted: %w", len(rows), err)
		}
		stored[id] = true
	}
	if err := result.Err(); err != nil {
		return nil, fmt.Errorf("store: insert %d signatures: %w", len(rows), err)
	}
	return stored, nil
}

// insertMailJobs inserts jobs in one statement, past GORM, with SQLite's
// placeholders: for the group commit, which is SQLite's.
func insertMailJobs(tx *gorm.DB, jobs []MailJob) error {
	query, args := insertRows("mail_jobs", mailJobColumns, jobs, mailJobValues)
	_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, query, args...)
	return err
}

// insertRows is an INSERT of rows into table's columns (comma-separated),
// with a placeholder for each value, and the values, which values appends
// for each row in the columns' order.
func insertRows[T any](table, columns string, rows []T, values func(args []any, row T) []any) (string, []any) {
	n := strings.Count(columns, ",") + 1
	row := "(" + strings.Repeat("?, ", n-1) + "?)"
	var b strings.Builder
	b.Grow(len(table) + len(columns) + len(rows)*(len(row)+2) + 30)
	b.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
	args := make([]any, 0, len(rows)*n)
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
		args = values(args, r)
	}
	return b.String(), args
}

// lastSignatureID is the largest signature id ever used: signatures is an
// AUTOINCREMENT table, so SQLite keeps it in sqlite_sequence and never hands
// it out again, even after that row is deleted.
// Read once a batch, it is read as the batch's INSERTs are run, past GORM.
func lastSignatureID(tx *gorm.DB) (uint64, error) {
	var last uint64
	err := tx.Statement.ConnPool.QueryRowContext(tx.Statement.Context, "SELECT seq FROM sqlite_sequence WHERE name = 'signatures'").Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) { // no row: no signature yet
		return 0, fmt.Errorf("store: read the last signature id: %w", err)
	}
	return last, nil
}
