package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
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

// signerKey is what makes a signature unique: one per address and letter.
type signerKey struct {
	letterID  uint
	emailHash string
}

// insertSignatures inserts the new ones among ins, and their mails, with one
// statement per table. A signature whose address has already signed its
// letter, before or earlier in ins, is left out, not inserted, for its caller
// to handle. It is SQLite's and needs the one writer: between its check and
// its insert no other write may add a signature, and it hands out the ids.
func insertSignatures(tx *gorm.DB, ins []*signatureInsert) error {
	all := make([]*Signature, len(ins))
	for i, in := range ins {
		all[i] = in.sig
	}
	stored, err := storedIDs(tx, all)
	if err != nil {
		return err
	}
	var fresh []*signatureInsert
	var rows []*Signature
	taken := make(map[signerKey]bool, len(ins))
	for _, in := range ins {
		k := keyOf(in.sig)
		if _, signed := stored[k]; signed || taken[k] {
			continue
		}
		taken[k] = true
		fresh = append(fresh, in)
		rows = append(rows, in.sig)
	}
	if len(rows) == 0 {
		return nil
	}
	// The ids are handed out here, so that each caller learns its own
	// without trusting the order of RETURNING, which no database promises.
	last, err := lastSignatureID(tx)
	if err != nil {
		return err
	}
	ids := make([]uint64, len(rows))
	for i, row := range rows {
		ids[i] = last + 1 + uint64(i)
		row.ID = ids[i]
	}
	if err := tx.Create(rows).Error; err != nil {
		return fmt.Errorf("store: insert %d signatures: %w", len(rows), err)
	}
	jobs := make([]MailJob, len(fresh))
	for i, in := range fresh {
		in.sig.ID = ids[i] // GORM may have copied RETURNING's ids over them, in its order
		jobs[i] = newMailJob(in.mail, ids[i], in.now)
	}
	if err := tx.Create(&jobs).Error; err != nil {
		return fmt.Errorf("store: enqueue %d mails: %w", len(jobs), err)
	}
	for _, in := range fresh {
		in.inserted = true
	}
	return nil
}

// keyOf is sig's signer.
func keyOf(sig *Signature) signerKey { return signerKey{sig.LetterID, sig.EmailHash} }

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

// storedIDs returns the ids of the signatures stored for the signers of
// sigs, by signer, found with one query on the (letter, address) index. The
// query matches every letter with every address, so it may also find pairs
// nobody asked about; no look-up meets them.
func storedIDs(tx *gorm.DB, sigs []*Signature) (map[signerKey]uint64, error) {
	letterIDs := make([]uint, len(sigs))
	hashes := make([]string, len(sigs))
	for i, sig := range sigs {
		letterIDs[i], hashes[i] = sig.LetterID, sig.EmailHash
	}
	slices.Sort(letterIDs)
	var found []struct {
		ID        uint64
		LetterID  uint
		EmailHash string
	}
	err := tx.Model(&Signature{}).Select("id, letter_id, email_hash").
		Where("letter_id IN ? AND email_hash IN ?", slices.Compact(letterIDs), hashes).Scan(&found).Error
	if err != nil {
		return nil, fmt.Errorf("store: find %d signers' signatures: %w", len(sigs), err)
	}
	ids := make(map[signerKey]uint64, len(found))
	for _, f := range found {
		ids[signerKey{f.LetterID, f.EmailHash}] = f.ID
	}
	return ids, nil
}
