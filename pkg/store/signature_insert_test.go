package store

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// insertOutcome is what InsertSignatureWithMail told one caller.
type insertOutcome struct {
	inserted bool
	err      error
}

// insertInOneBatch queues an insert of each of sigs, in order, behind a write
// that holds the writer, so that they form one batch, and returns what each
// caller is told.
func insertInOneBatch(t *testing.T, st *Store, sigs []*Signature, now time.Time) []insertOutcome {
	t.Helper()
	release := holdWriter(t, st, nil)
	outcomes := make([]insertOutcome, len(sigs))
	var wg sync.WaitGroup
	for i, sig := range sigs {
		wg.Go(func() {
			ok, err := st.InsertSignatureWithMail(context.Background(), sig, MailConfirm, now)
			outcomes[i] = insertOutcome{ok, err}
		})
		waitForLen(st.batch.requests, i+1)
	}
	release()
	wg.Wait()
	return outcomes
}

// TestInsertsOfOneBatchShareStatements checks what each caller of a batch of
// inserts is told and what is stored: one INSERT for the lot, which stores
// the new addresses, each with one mail, and leaves out an address already
// stored or twice in the batch; and, in another batch, a row the database
// refuses failing alone. Ids continue after the last ever used.
func TestInsertsOfOneBatchShareStatements(t *testing.T) {
	st, letter := openLetterStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	newSigs := func(emails ...string) []*Signature {
		sigs := make([]*Signature, len(emails))
		for i, e := range emails {
			sigs[i] = &Signature{LetterID: letter.ID, Kind: KindIndividual, Name: e, Country: "DE", EmailHash: e, Status: StatusUnconfirmed,
				TokenHash: "t-" + e, ManageHash: "m-" + e, Locale: "en", LetterVersion: "v", ConsentVersion: "1"}
		}
		return sigs
	}
	if ok, err := st.InsertSignatureWithMail(ctx, newSigs("stored")[0], MailConfirm, now); !ok || err != nil {
		t.Fatalf("first insert = %v, %v", ok, err)
	}
	gone := newSigs("gone")[0] // the newest row, deleted: its id is never handed out again
	if ok, err := st.InsertSignatureWithMail(ctx, gone, MailConfirm, now); !ok || err != nil {
		t.Fatalf("insert = %v, %v", ok, err)
	}
	if err := st.Write(ctx, func(tx *gorm.DB) error { return tx.Delete(&Signature{}, gone.ID).Error }); err != nil {
		t.Fatal(err)
	}
	var inserts []int // the signatures in each INSERT built, in order
	err := st.writer.Callback().Create().After("gorm:create").Register("test:inserts", func(db *gorm.DB) {
		if db.Statement.Table != "signatures" {
			return
		}
		rows := 1
		if v := db.Statement.ReflectValue; v.Kind() == reflect.Slice {
			rows = v.Len()
		}
		inserts = append(inserts, rows)
	})
	if err != nil {
		t.Fatal(err)
	}

	sigs := newSigs("a", "b", "stored", "c", "b")
	got := insertInOneBatch(t, st, sigs, now)
	if want := "[{true <nil>} {true <nil>} {false <nil>} {true <nil>} {false <nil>}]"; fmt.Sprint(got) != want {
		t.Errorf("outcomes of a, b, stored, c, b = %v, want %s", got, want)
	}
	if sigs[0].ID <= gone.ID {
		t.Errorf("a was given id %d, not after the deleted %d", sigs[0].ID, gone.ID)
	}
	if fmt.Sprint(inserts) != "[5]" {
		t.Errorf("INSERTs of signatures built for the batch, by size: %v; want the batch's 5 in one", inserts)
	}

	refused := newSigs("refused", "d")
	refused[0].LetterID = letter.ID + 100 // no such letter: the foreign key refuses it
	if got := insertInOneBatch(t, st, refused, now); got[0].err == nil || got[0].inserted || got[1] != (insertOutcome{true, nil}) {
		t.Errorf("outcomes of refused, d = %v; want an error, then inserted", got)
	}

	var rows []struct {
		ID        uint64
		EmailHash string
		Mails     int
	}
	err = st.Read(ctx).Raw(`SELECT s.id, s.email_hash, COUNT(m.id) AS mails FROM signatures s
		LEFT JOIN mail_jobs m ON m.signature_id = s.id AND m.kind = ? GROUP BY s.id ORDER BY s.email_hash`, MailConfirm).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	told := map[string]uint64{"a": sigs[0].ID, "b": sigs[1].ID, "c": sigs[3].ID, "d": refused[1].ID}
	var stored []string
	for _, r := range rows {
		stored = append(stored, fmt.Sprintf("%s:%d", r.EmailHash, r.Mails))
		if id, ok := told[r.EmailHash]; ok && id != r.ID {
			t.Errorf("%s: stored with id %d, its caller was told %d", r.EmailHash, r.ID, id)
		}
	}
	if got, want := fmt.Sprint(stored), "[a:1 b:1 c:1 d:1 stored:1]"; got != want {
		t.Errorf("signatures and their mails = %s, want %s", got, want)
	}
}
