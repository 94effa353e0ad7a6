package store

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestClaimPutsBulkMailLast queues two hundred notices of a changed letter,
// then one confirmation: a claim of one job takes the confirmation, though
// every notice was due before it, and a claim with room for ten takes no
// more notices than its bulk limit allows.
func TestClaimPutsBulkMailLast(t *testing.T) {
	st, letter := openLetterStore(t)
	ctx := context.Background()
	signer := seedIn(t, st, letter, StatusPublished, "Signed")
	newcomer := seedIn(t, st, letter, StatusUnconfirmed, "Newcomer")
	text := LetterText{LetterID: letter.ID, Lang: "en", Version: 2, Title: "T", Body: "b", Change: TextMaterial}
	err := st.Write(ctx, func(tx *gorm.DB) error {
		if err := SaveLetterText(tx, &text, lifecycleNow); err != nil {
			return err
		}
		for range 200 {
			job := newMailJob(MailLetterChanged, signer.ID, lifecycleNow)
			job.LetterTextID = &text.ID
			if err := tx.Create(&job).Error; err != nil {
				return err
			}
		}
		return EnqueueMail(tx, MailConfirm, newcomer.ID, lifecycleNow.Add(time.Second))
	})
	if err != nil {
		t.Fatal(err)
	}
	at := lifecycleNow.Add(time.Minute)
	first, err := st.ClaimMailJobs(ctx, at, time.Minute, 1, 1)
	if err != nil || len(first) != 1 || first[0].Kind != MailConfirm || *first[0].SignatureID != newcomer.ID {
		t.Fatalf("the first claim: %+v (%v); want the confirmation", first, err)
	}
	next, err := st.ClaimMailJobs(ctx, at, time.Minute, 10, 3)
	if err != nil || len(next) != 3 || next[0].Kind != MailLetterChanged {
		t.Errorf("a claim of 10 with room for 3 notices took %d jobs (%v); want 3 notices", len(next), err)
	}
}
