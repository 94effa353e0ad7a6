package store

import (
	"context"
	"fmt"
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
func (in *signatureInsert) insertOne(tx *gorm.DB) error {
	inserted, err := InsertSignatureIfNew(tx, in.sig)
	if err != nil || !inserted {
		return err
	}
	if err := EnqueueMail(tx, in.mail, in.sig.ID, in.now); err != nil {
		return err
	}
	in.inserted = true
	return nil
}

// signerKey is what makes a signature unique: one per address and letter.
type signerKey struct {
	letterID  uint
	emailHash string
}

// insertSignatures inserts the new ones among ins, and their mails, with one
// statement per table. A signature whose address has already signed its
// letter, before or earlier in ins, is left out, not inserted, for its caller
// to handle. It needs the one writer: between its check and its insert no
// other write may add a signature.
func insertSignatures(tx *gorm.DB, ins []*signatureInsert) error {
	signed, err := signedAlready(tx, ins)
	if err != nil {
		return err
	}
	var fresh []*signatureInsert
	var rows []*Signature
	for _, in := range ins {
		k := signerKey{in.sig.LetterID, in.sig.EmailHash}
		if signed[k] {
			continue
		}
		signed[k] = true
		fresh = append(fresh, in)
		rows = append(rows, in.sig)
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Create(rows).Error; err != nil {
		return fmt.Errorf("store: insert %d signatures: %w", len(rows), err)
	}
	if err := pairIDs(tx, rows); err != nil {
		return err
	}
	jobs := make([]MailJob, len(fresh))
	for i, in := range fresh {
		jobs[i] = newMailJob(in.mail, in.sig.ID, in.now)
	}
	if err := tx.Create(&jobs).Error; err != nil {
		return fmt.Errorf("store: enqueue %d mails: %w", len(jobs), err)
	}
	for _, in := range fresh {
		in.inserted = true
	}
	return nil
}

// signedAlready returns which of the signers of ins have a signature stored,
// found with one query on the (letter, address) index.
func signedAlready(tx *gorm.DB, ins []*signatureInsert) (map[signerKey]bool, error) {
	letters := make(map[uint]bool)
	var letterIDs []uint
	hashes := make([]string, len(ins))
	for i, in := range ins {
		hashes[i] = in.sig.EmailHash
		if !letters[in.sig.LetterID] {
			letters[in.sig.LetterID] = true
			letterIDs = append(letterIDs, in.sig.LetterID)
		}
	}
	var found []struct {
		LetterID  uint
		EmailHash string
	}
	err := tx.Model(&Signature{}).Select("letter_id, email_hash").
		Where("letter_id IN ? AND email_hash IN ?", letterIDs, hashes).Scan(&found).Error
	if err != nil {
		return nil, fmt.Errorf("store: find signers already signed: %w", err)
	}
	// The query matched every letter with every address: some rows found
	// may be pairs nobody asked about, which no look-up below will meet.
	signed := make(map[signerKey]bool, len(ins))
	for _, f := range found {
		signed[signerKey{f.LetterID, f.EmailHash}] = true
	}
	return signed, nil
}

// pairIDs gives each of rows, just inserted, the id it was stored under.
// GORM hands out the ids that RETURNING gave in the order they came, and
// neither SQLite nor PostgreSQL promises that order; matching each row by
// its (letter, address) key does not depend on it.
func pairIDs(tx *gorm.DB, rows []*Signature) error {
	ids := make([]uint64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var stored []struct {
		ID        uint64
		LetterID  uint
		EmailHash string
	}
	if err := tx.Model(&Signature{}).Select("id, letter_id, email_hash").Where("id IN ?", ids).Scan(&stored).Error; err != nil {
		return fmt.Errorf("store: read back %d inserted signatures: %w", len(rows), err)
	}
	idOf := make(map[signerKey]uint64, len(stored))
	for _, st := range stored {
		idOf[signerKey{st.LetterID, st.EmailHash}] = st.ID
	}
	for _, r := range rows {
		id, ok := idOf[signerKey{r.LetterID, r.EmailHash}]
		if !ok {
			return fmt.Errorf("store: an inserted signature of letter %d is not among the ids returned", r.LetterID)
		}
		r.ID = id
	}
	return nil
}
