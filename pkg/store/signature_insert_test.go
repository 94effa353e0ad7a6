package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
// caller is told. signedAlready, when not nil, gives each insert's.
func insertInOneBatch(t *testing.T, st *Store, sigs []*Signature, now time.Time, signedAlready func(*Signature) func(*gorm.DB) error) []insertOutcome {
	t.Helper()
	release := holdWriter(t, st, nil)
	outcomes := make([]insertOutcome, len(sigs))
	var wg sync.WaitGroup
	for i, sig := range sigs {
		var ifSigned func(*gorm.DB) error
		if signedAlready != nil {
			ifSigned = signedAlready(sig)
		}
		wg.Go(func() {
			ok, err := st.InsertSignatureWithMail(context.Background(), sig, MailConfirm, now, ifSigned)
			outcomes[i] = insertOutcome{ok, err}
		})
		waitForLen(st.batch.requests, i+1)
	}
	release()
	wg.Wait()
	return outcomes
}

// TestInsertsOfOneBatchShareStatements checks what each caller of a batch of
// inserts is told and what is stored: one INSERT for the lot (not one of
// GORM's for each, which its callbacks would count), which stores
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
	if ok, err := st.InsertSignatureWithMail(ctx, newSigs("stored")[0], MailConfirm, now, nil); !ok || err != nil {
		t.Fatalf("first insert = %v, %v", ok, err)
	}
	gone := newSigs("gone")[0] // the newest row, deleted: its id is never handed out again
	if ok, err := st.InsertSignatureWithMail(ctx, gone, MailConfirm, now, nil); !ok || err != nil {
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
	got := insertInOneBatch(t, st, sigs, now, nil)
	if want := "[{true <nil>} {true <nil>} {false <nil>} {true <nil>} {false <nil>}]"; fmt.Sprint(got) != want {
		t.Errorf("outcomes of a, b, stored, c, b = %v, want %s", got, want)
	}
	if sigs[0].ID <= gone.ID {
		t.Errorf("a was given id %d, not after the deleted %d", sigs[0].ID, gone.ID)
	}
	if len(inserts) != 0 {
		t.Errorf("signatures of the batch inserted alone, by statement: %v; want none: all 5 in the batch's one", inserts)
	}

	refused := newSigs("refused", "d")
	refused[0].LetterID = letter.ID + 100 // no such letter: the foreign key refuses it
	if got := insertInOneBatch(t, st, refused, now, nil); got[0].err == nil || got[0].inserted || got[1] != (insertOutcome{true, nil}) {
		t.Errorf("outcomes of refused, d = %v; want an error, then inserted", got)
	}
	if fmt.Sprint(inserts) != "[1 1]" {
		t.Errorf("signatures inserted alone once the batch's statement was refused, by statement: %v; want [1 1]", inserts)
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

// TestSignedAlreadyRunsInTheWriteThatFoundTheAddress queues, in one batch,
// a new address, one stored before and the new one again, then the known
// address alone: each known one runs its signedAlready in the transaction
// that found it, after the batch's mails are queued (the repeated new
// address sees its first mail), and what that writes commits with the
// insert. In another batch, a signedAlready that fails fails only its caller.
func TestSignedAlreadyRunsInTheWriteThatFoundTheAddress(t *testing.T) {
	st, letter := openLetterStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	newSig := func(email string) *Signature {
		return &Signature{LetterID: letter.ID, Kind: KindIndividual, Name: email, Country: "DE", EmailHash: email,
			Status: StatusUnconfirmed, TokenHash: "t-" + email, Locale: "en", LetterVersion: "v", ConsentVersion: "1"}
	}
	if ok, err := st.InsertSignatureWithMail(ctx, newSig("known"), MailConfirm, now, nil); !ok || err != nil {
		t.Fatalf("first insert = %v, %v", ok, err)
	}
	var mu sync.Mutex
	var saw []string // for each signedAlready run: the address, and the mails its signature had by then
	remind := func(sig *Signature) func(*gorm.DB) error {
		return func(tx *gorm.DB) error {
			existing, err := FindSignature(tx, "letter_id = ? AND email_hash = ?", sig.LetterID, sig.EmailHash)
			if err != nil {
				return err
			}
			var mails int64
			if err := tx.Model(&MailJob{}).Where("signature_id = ?", existing.ID).Count(&mails).Error; err != nil {
				return err
			}
			mu.Lock()
			saw = append(saw, fmt.Sprintf("%s:%d", sig.EmailHash, mails))
			mu.Unlock()
			if sig.EmailHash == "fails" {
				return errors.New("refused")
			}
			return EnqueueMail(tx, MailAlreadySigned, existing.ID, now)
		}
	}

	got := insertInOneBatch(t, st, []*Signature{newSig("new"), newSig("known"), newSig("new")}, now, remind)
	if want := "[{true <nil>} {false <nil>} {false <nil>}]"; fmt.Sprint(got) != want {
		t.Errorf("outcomes of new, known, new = %v, want %s", got, want)
	}
	if ok, err := st.InsertSignatureWithMail(ctx, newSig("known"), MailConfirm, now, remind(newSig("known"))); ok || err != nil {
		t.Errorf("known, alone = %v, %v; want false, nil", ok, err)
	}
	slices.Sort(saw)
	if want := "[known:1 known:2 new:1]"; fmt.Sprint(saw) != want {
		t.Errorf("signedAlready saw %v, want %s", saw, want)
	}
	for email, want := range map[string]string{"known": "[confirm already_signed already_signed]", "new": "[confirm already_signed]"} {
		var kinds []string
		err := st.Read(ctx).Model(&MailJob{}).Joins("JOIN signatures ON signatures.id = mail_jobs.signature_id").
			Where("signatures.email_hash = ?", email).Order("mail_jobs.id").Pluck("mail_jobs.kind", &kinds).Error
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(kinds) != want {
			t.Errorf("mails of %s = %v, want %s", email, kinds, want)
		}
	}

	if ok, err := st.InsertSignatureWithMail(ctx, newSig("fails"), MailConfirm, now, nil); !ok || err != nil {
		t.Fatalf("insert = %v, %v", ok, err)
	}
	got = insertInOneBatch(t, st, []*Signature{newSig("fails"), newSig("other")}, now, remind)
	if got[0].err == nil || got[0].inserted || got[1] != (insertOutcome{true, nil}) {
		t.Errorf("outcomes of fails (signed, its signedAlready failing), other = %v; want an error, then inserted", got)
	}
}

// TestInsertedSignaturesKeepEveryField checks the statements insertSignatures
// writes itself against the models: their columns are every column GORM
// maps, in the models' order, and a signature with every field set, and its
// mail, read back are as they went in, whether inserted in a batch or alone,
// stamped with the signing clock's time.
func TestInsertedSignaturesKeepEveryField(t *testing.T) {
	st, letter := openLetterStore(t)
	for _, c := range []struct {
		model   any
		columns string
		skip    string
	}{{&Signature{}, signatureColumns, ""}, {&MailJob{}, mailJobColumns, "id"}} {
		stmt := &gorm.Statement{DB: st.writer}
		if err := stmt.Parse(c.model); err != nil {
			t.Fatal(err)
		}
		want := slices.DeleteFunc(slices.Clone(stmt.Schema.DBNames), func(n string) bool { return n == c.skip })
		if got := strings.Split(c.columns, ", "); !slices.Equal(got, want) {
			t.Errorf("%s: the insert's columns are\n%q,\nthe model's\n%q", stmt.Schema.Table, got, want)
		}
	}

	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	at := func(hours int) *time.Time { t := now.Add(time.Duration(hours) * time.Hour); return &t }
	importID := uint64(7)
	full := func(emailHash string) *Signature {
		return &Signature{LetterID: letter.ID, Kind: KindOrganisation, Name: "Name", Affiliation: "Affiliation", Website: "https://w.example",
			OrgType: "ngo", Country: "FR", SearchText: "search", SortKey: []byte{1, 2}, ShowName: true, ContactSealed: []byte{3},
			EmailSealed: []byte{4}, EmailHash: emailHash, Status: StatusPendingReview, TokenHash: "token-hash", TokenSealed: []byte{5},
			ManageHash: "manage-hash", ManageSealed: []byte{6}, TokenExpiresAt: *at(1), ConfirmedAt: at(2), PublishedAt: at(3),
			ReviewedAt: at(4), ReasonCode: "reason", ReasonNote: "note", Locale: "fr", LetterVersion: "lv", ConsentVersion: "cv",
			Ref: "ref", NetworkHash: "network-hash", NetworkSeenAt: at(5), EmailDomainHash: "domain-hash", Source: SourceImport,
			ImportID: &importID, KeepInformed: true, KeepInformedVersion: "kv", KeepInformedAt: at(6), UnsubscribedAt: at(7)}
	}
	other := &Signature{LetterID: letter.ID, Kind: KindIndividual, Name: "Other", Country: "DE", EmailHash: "other",
		Status: StatusUnconfirmed, TokenHash: "t", Locale: "en", LetterVersion: "v", ConsentVersion: "1"}
	inBatch, alone := full("in-batch"), full("alone")
	if got := insertInOneBatch(t, st, []*Signature{inBatch, other}, now, nil); fmt.Sprint(got) != "[{true <nil>} {true <nil>}]" {
		t.Fatalf("outcomes in a batch = %v", got)
	}
	if got := insertInOneBatch(t, st, []*Signature{alone}, now, nil); fmt.Sprint(got) != "[{true <nil>}]" {
		t.Fatalf("outcome alone = %v", got)
	}
	for _, sig := range []*Signature{inBatch, alone} {
		stored, err := FindSignature(st.Read(context.Background()), "id = ?", sig.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := *full(sig.EmailHash)
		want.ID, want.CreatedAt, want.UpdatedAt = sig.ID, now, now
		if diff := differentFields(want, *stored); diff != nil {
			t.Errorf("%s: fields stored otherwise than inserted: %v", sig.EmailHash, diff)
		}
		var job MailJob
		if err := st.Read(context.Background()).Where("signature_id = ?", sig.ID).Take(&job).Error; err != nil {
			t.Fatal(err)
		}
		wantJob := newMailJob(MailConfirm, sig.ID, now)
		wantJob.ID = job.ID
		if diff := differentFields(wantJob, job); diff != nil {
			t.Errorf("%s: mail job's fields stored otherwise than inserted: %v", sig.EmailHash, diff)
		}
	}
}

// differentFields names the fields of two structs of one type that differ,
// times compared as instants and associations (struct fields other than
// times) left out.
func differentFields[T any](a, b T) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var diff []string
	for i := range va.NumField() {
		fa, fb := va.Field(i).Interface(), vb.Field(i).Interface()
		switch x := fa.(type) {
		case time.Time:
			if !x.Equal(fb.(time.Time)) {
				diff = append(diff, va.Type().Field(i).Name)
			}
		case *time.Time:
			y := fb.(*time.Time)
			if (x == nil) != (y == nil) || x != nil && !x.Equal(*y) {
				diff = append(diff, va.Type().Field(i).Name)
			}
		default:
			if va.Field(i).Kind() != reflect.Struct && !reflect.DeepEqual(fa, fb) {
				diff = append(diff, va.Type().Field(i).Name)
			}
		}
	}
	return diff
}
