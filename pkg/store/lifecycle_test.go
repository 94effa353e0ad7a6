package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

var lifecycleNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// seedIn stores an organisation's signature in status, counted when
// published, as the moves that led there would have left it.
func seedIn(t *testing.T, st *Store, letter *Letter, status Status, name string) *Signature {
	t.Helper()
	sig := &Signature{LetterID: letter.ID, Kind: KindOrganisation, Name: name, Website: "https://" + strings.ToLower(name) + ".example",
		OrgType: "ngo", Country: "DE", ShowName: true, EmailSealed: []byte("sealed"), EmailHash: "hash-" + name, Status: status,
		TokenHash: "t", ManageHash: "m", Locale: "en", LetterVersion: "v", ConsentVersion: "c"}
	if status != StatusUnconfirmed {
		confirmed := lifecycleNow.Add(-time.Hour)
		sig.ConfirmedAt = &confirmed
	}
	sig.SetDerived(st.SortKeys)
	err := st.Write(context.Background(), func(tx *gorm.DB) error {
		if err := tx.Create(sig).Error; err != nil {
			return err
		}
		if status == StatusPublished {
			return AddToCount(tx, letter.ID, sig.Country, sig.Kind, true, 1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// move runs one move in a write of its own.
func move(st *Store, sig *Signature, m Move) (*Change, error) {
	var moved *Change
	err := st.Write(context.Background(), func(tx *gorm.DB) error {
		var err error
		moved, err = st.MoveSignature(tx, sig, m)
		return err
	})
	return moved, err
}

// countedOf counts the letter's published signatures as country_counts has them.
func countedOf(t *testing.T, st *Store, letter *Letter) int64 {
	t.Helper()
	rows, err := CountsForLetter(st.Read(context.Background()), letter.ID)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.Count
	}
	return n
}

func auditCount(t *testing.T, st *Store) int64 {
	t.Helper()
	var n int64
	if err := st.Read(context.Background()).Model(&AuditEvent{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEveryMoveFollowsTheTable tries every event from every state to every
// state: a move the table has no line for is refused with a typed error and
// changes nothing; every move it has is made, with the counts and one audit
// entry to match (none for a staff confirmation, which its import audits).
func TestEveryMoveFollowsTheTable(t *testing.T) {
	st, letter := openLetterStore(t)
	events := []Event{EventConfirm, EventCorrect, EventWithdraw, EventApprove, EventReject, EventHide, EventRestore,
		EventEdit, EventInvalidate, EventErase, EventStaffConfirm}
	states := []Status{StatusUnconfirmed, StatusPendingReview, StatusPublished, StatusRejected, StatusHidden, StatusWithdrawn, StatusDeleted}
	allowed := 0
	for _, event := range events {
		for _, from := range states {
			for _, to := range states {
				name := fmt.Sprintf("S%s%s%s", event, from, to)
				sig := seedIn(t, st, letter, from, name)
				countBefore, auditBefore := countedOf(t, st, letter), auditCount(t, st)
				m := Move{Event: event, To: to, By: SignerActor(), At: lifecycleNow}
				if event == EventCorrect || event == EventEdit {
					m.Public = &PublicFields{Name: name + " corrected", Website: sig.Website, OrgType: "ngo", Country: "FR", ShowName: true}
				}
				_, err := move(st, sig, m)
				stored, findErr := SignatureByID(st.Read(context.Background()), sig.ID)
				if !Allowed(event, from, to) {
					var refused *MoveError
					if !errors.As(err, &refused) || !errors.Is(err, ErrMoveNotAllowed) || refused.Now != from {
						t.Errorf("%s from %s to %s: want a refusal, got %v", event, from, to, err)
					}
					if findErr != nil || stored.Status != from || stored.Name != name || countedOf(t, st, letter) != countBefore || auditCount(t, st) != auditBefore {
						t.Errorf("%s from %s to %s was refused but changed something", event, from, to)
					}
					continue
				}
				allowed++
				if err != nil {
					t.Errorf("%s from %s to %s: %v", event, from, to, err)
					continue
				}
				wantCount := countBefore
				if from == StatusPublished && to != StatusPublished {
					wantCount--
				}
				if from != StatusPublished && to == StatusPublished {
					wantCount++
				}
				if got := countedOf(t, st, letter); got != wantCount {
					t.Errorf("%s from %s to %s: %d counted, want %d", event, from, to, got, wantCount)
				}
				wantAudit := auditBefore + 1
				if event == EventStaffConfirm {
					wantAudit = auditBefore // the import's own entry stands for it
				}
				if got := auditCount(t, st); got != wantAudit {
					t.Errorf("%s from %s to %s: %d audit entries added", event, from, to, got-auditBefore)
				}
				switch {
				case to == StatusDeleted:
					if !errors.Is(findErr, ErrNotFound) {
						t.Errorf("%s from %s: the row is kept: %v", event, from, findErr)
					}
				case findErr != nil || stored.Status != to:
					t.Errorf("%s from %s to %s: stored %v (%v)", event, from, to, stored, findErr)
				}
			}
		}
	}
	if allowed != len(Lifecycle()) {
		t.Errorf("%d moves made, the table has %d", allowed, len(Lifecycle()))
	}
}

// TestNothingUnconfirmedIsPublished: whatever state a signature whose
// address was never confirmed reached, no move but confirmation publishes it.
func TestNothingUnconfirmedIsPublished(t *testing.T) {
	st, letter := openLetterStore(t)
	sig := seedIn(t, st, letter, StatusRejected, "Unverified")
	sig.ConfirmedAt = nil
	if err := st.Write(context.Background(), func(tx *gorm.DB) error {
		return tx.Model(&Signature{}).Where("id = ?", sig.ID).Update("confirmed_at", nil).Error
	}); err != nil {
		t.Fatal(err)
	}
	_, err := move(st, sig, Move{Event: EventRestore, To: StatusPublished, By: SignerActor(), At: lifecycleNow})
	if !errors.Is(err, ErrMoveNotAllowed) || countedOf(t, st, letter) != 0 {
		t.Errorf("restoring a signature never confirmed: %v, %d counted", err, countedOf(t, st, letter))
	}
}

// TestAMoveLostToAnotherIsRefused: a move made on a signature as it was
// loaded, after another request moved it, is refused and names who did.
func TestAMoveLostToAnotherIsRefused(t *testing.T) {
	st, letter := openLetterStore(t)
	sig := seedIn(t, st, letter, StatusPendingReview, "Raced")
	stale := *sig
	alice := &Staff{ID: 7, Email: "alice@campaign.example"}
	if _, err := move(st, sig, Move{Event: EventApprove, To: StatusPublished, By: StaffActor(alice), At: lifecycleNow}); err != nil {
		t.Fatal(err)
	}
	_, err := move(st, &stale, Move{Event: EventReject, To: StatusRejected, By: SignerActor(), At: lifecycleNow, Reason: "spam"})
	var refused *MoveError
	if !errors.As(err, &refused) || !errors.Is(err, ErrAlreadyMoved) {
		t.Fatalf("rejecting a signature approved meanwhile: %v", err)
	}
	if refused.Now != StatusPublished || refused.By != "alice@campaign.example" {
		t.Errorf("refusal says now %s by %q", refused.Now, refused.By)
	}
	if countedOf(t, st, letter) != 1 || auditCount(t, st) != 1 {
		t.Errorf("the lost move changed the counts or the audit log")
	}
}

// TestAMoveIsOneTransaction: when the caller's transaction fails after the
// move, the state, the counts, the change counter and the audit entry are
// all rolled back together.
func TestAMoveIsOneTransaction(t *testing.T) {
	st, letter := openLetterStore(t)
	sig := seedIn(t, st, letter, StatusPendingReview, "Rolled")
	before, err := LetterCounters(st.Read(context.Background()), letter.ID)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("the caller's own part failed")
	err = st.Write(context.Background(), func(tx *gorm.DB) error {
		if _, err := st.MoveSignature(tx, sig, Move{Event: EventApprove, To: StatusPublished, By: SignerActor(), At: lifecycleNow}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("write: %v", err)
	}
	stored, _ := SignatureByID(st.Read(context.Background()), sig.ID)
	after, _ := LetterCounters(st.Read(context.Background()), letter.ID)
	if stored.Status != StatusPendingReview || countedOf(t, st, letter) != 0 || auditCount(t, st) != 0 || after != before {
		t.Errorf("after rollback: status %s, %d counted, %d audited, change counters %+v (were %+v)",
			stored.Status, countedOf(t, st, letter), auditCount(t, st), after, before)
	}
}

// TestWithdrawalErasesTheAuditTrail: the signature's earlier audit entries
// keep what happened, who did it and when, but not the personal fields.
func TestWithdrawalErasesTheAuditTrail(t *testing.T) {
	st, letter := openLetterStore(t)
	sig := seedIn(t, st, letter, StatusPendingReview, "Zorblat")
	mod := &Staff{ID: 3, Email: "mod@campaign.example"}
	steps := []Move{
		{Event: EventReject, To: StatusRejected, By: StaffActor(mod), At: lifecycleNow, Reason: "spam", Note: "Zorblat again"},
		{Event: EventRestore, To: StatusPublished, By: StaffActor(mod), At: lifecycleNow},
		{Event: EventWithdraw, To: StatusWithdrawn, By: SignerActor(), At: lifecycleNow},
	}
	for _, m := range steps {
		if _, err := move(st, sig, m); err != nil {
			t.Fatalf("%s: %v", m.Event, err)
		}
	}
	var events []AuditEvent
	if err := st.Read(context.Background()).Order("id").Find(&events).Error; err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("%d audit entries", len(events))
	}
	for i, e := range events {
		if strings.Contains(strings.ToLower(e.Subject+e.Before+e.After), "zorblat") {
			t.Errorf("entry %d keeps personal data: %+v", i, e)
		}
		if e.Action != string(steps[i].Event) || e.StaffEmail != steps[i].By.Name || !e.CreatedAt.Equal(lifecycleNow) {
			t.Errorf("entry %d lost what happened: %+v", i, e)
		}
		if e.Subject != "erased (DE)" {
			t.Errorf("entry %d subject %q", i, e.Subject)
		}
	}
	if !strings.Contains(events[0].After, `"reason_note":"erased"`) || !strings.Contains(events[0].After, `"status":"rejected"`) {
		t.Errorf("the rejection's record: %s", events[0].After)
	}
	if countedOf(t, st, letter) != 0 {
		t.Error("a withdrawn signature is still counted")
	}
}
