package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// signatureInsert is one new signature to store with the mail queued for it.
type signatureInsert struct {
	sig      *Signature
	mail     MailKind
	now      time.Time
	inserted bool // set once the row and its mail are written
}

// InsertSignatureWithMail inserts sig, with a mail of kind queued for it at
// now, unless its address has already signed its letter, and reports whether
// it did. On SQLite, the inserts of one group commit share their statements
// too: one INSERT for all the batch's signatures and one for their mails (see
// insertInBulk), which is what lets one writer keep up with a launch.
func (s *Store) InsertSignatureWithMail(ctx context.Context, sig *Signature, kind MailKind, now time.Time) (bool, error) {
	in := &signatureInsert{sig: sig, mail: kind, now: now}
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
	in.inserted, err = InsertNewSignature(tx, in.sig, in.mail, in.now)
	return err
}

// insertSignatures inserts ins, and a mail for each, with one statement per
// table. A signature whose address has already signed its letter, before or
// earlier in ins, is left out, not inserted, for its caller to handle. It is
// SQLite's and needs the one writer: it hands out the ids, so that each
// caller learns its own without trusting the order of RETURNING, which no
// database promises, and the conflict clause, not a look-up first, finds the
// addresses already signed, in the unique index the insert updates anyway.
func insertSignatures(tx *gorm.DB, ins []*signatureInsert) error {
	last, err := lastSignatureID(tx)
	if err != nil {
		return err
	}
	rows := make([]*Signature, len(ins))
	for i, in := range ins {
		rows[i] = in.sig
		in.sig.ID = last + 1 + uint64(i)
	}
	stored, err := insertNewOnly(tx, rows)
	if err != nil {
		return err
	}
	jobs := make([]MailJob, 0, len(stored))
	for _, in := range ins {
		if !stored[in.sig.ID] {
			in.sig.ID = 0 // as it came: never stored
			continue
		}
		jobs = append(jobs, newMailJob(in.mail, in.sig.ID, in.now))
	}
	if len(jobs) == 0 {
		return nil
	}
	if err := tx.Create(&jobs).Error; err != nil {
		return fmt.Errorf("store: enqueue %d mails: %w", len(jobs), err)
	}
	for _, in := range ins {
		in.inserted = in.sig.ID != 0
	}
	return nil
}

// insertNewOnly inserts those of rows, each with its id set, whose signer has
// not signed yet, in one statement, and returns the ids it stored. GORM
// builds the statement; it is run here because GORM's own reading of
// RETURNING after ON CONFLICT DO NOTHING matches the ids to rows that had
// none, and these all have one.
func insertNewOnly(tx *gorm.DB, rows []*Signature) (map[uint64]bool, error) {
	stmt := tx.Session(&gorm.Session{DryRun: true}).Clauses(skipSignedAgain(), clause.Returning{Columns: []clause.Column{{Name: "id"}}}).
		Create(rows).Statement
	if stmt.Error != nil {
		return nil, fmt.Errorf("store: build the insert of %d signatures: %w", len(rows), stmt.Error)
	}
	result, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, stmt.SQL.String(), stmt.Vars...)
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

// lastSignatureID is the largest signature id ever used: signatures is an
// AUTOINCREMENT table, so SQLite keeps it in sqlite_sequence and never hands
// it out again, even after that row is deleted.
func lastSignatureID(tx *gorm.DB) (uint64, error) {
	var last uint64
	if err := tx.Raw("SELECT seq FROM sqlite_sequence WHERE name = 'signatures'").Scan(&last).Error; err != nil {
		return 0, fmt.Errorf("store: read the last signature id: %w", err)
	}
	return last, nil
}
