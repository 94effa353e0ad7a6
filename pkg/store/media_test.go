package store

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"
)

// withMedia gives sig a statement and a logo, both awaiting review.
func withMedia(t *testing.T, st *Store, sig *Signature) {
	t.Helper()
	up := MediaUpload{Statement: "We sign because " + sig.Name + " cares.", LogoPNG: []byte("png of " + sig.Name), Width: 40, Height: 20}
	if err := st.Write(context.Background(), func(tx *gorm.DB) error { return InsertMedia(tx, sig.ID, up, lifecycleNow) }); err != nil {
		t.Fatal(err)
	}
}

// decide decides on sig's item in a write of its own.
func decide(st *Store, sig *Signature, item MediaItem, to MediaStatus) (*Change, error) {
	var change *Change
	err := st.Write(context.Background(), func(tx *gorm.DB) error {
		var err error
		change, err = DecideMedia(tx, sig, item, to, Actor{Name: "mod@example.org"}, lifecycleNow)
		return err
	})
	return change, err
}

// TestMediaIsPublicOnlyOnceApproved checks that a published signature's
// statement and logo stay off the public list, the logo wall and the logo's
// address until a reviewer approves each, that a decision is made once, and
// that a signer's change puts an approved statement back to review.
func TestMediaIsPublicOnlyOnceApproved(t *testing.T) {
	st, letter := openLetterStore(t)
	ctx := context.Background()
	sig := seedIn(t, st, letter, StatusPublished, "Acme")
	withMedia(t, st, sig)
	public := func() (statement string, wall []WallLogo, logoErr error) {
		db := st.Read(ctx)
		list, err := PublishedSignatories(db, letter.ID, SignatoryFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("public list: %+v, %v", list, err)
		}
		if wall, err = LogoWall(db, letter.ID); err != nil {
			t.Fatal(err)
		}
		_, logoErr = PublicLogo(db, letter.ID, sig.ID)
		return list[0].Statement, wall, logoErr
	}
	if statement, wall, logoErr := public(); statement != "" || len(wall) != 0 || !errors.Is(logoErr, ErrNotFound) {
		t.Fatalf("before review: statement %q, wall %+v, logo %v", statement, wall, logoErr)
	}

	change, err := decide(st, sig, MediaStatement, MediaApproved)
	if err != nil || change == nil || change.Countries[0] != "DE" {
		t.Fatalf("approve statement: %+v, %v", change, err)
	}
	if _, err := decide(st, sig, MediaStatement, MediaRejected); !errors.Is(err, ErrMediaNotPending) {
		t.Errorf("second decision: %v, want ErrMediaNotPending", err)
	}
	if _, err := decide(st, sig, MediaLogo, MediaApproved); err != nil {
		t.Fatal(err)
	}
	statement, wall, logoErr := public()
	if statement != "We sign because Acme cares." || len(wall) != 1 || wall[0].Name != "Acme" || wall[0].LogoWidth != 40 || logoErr != nil {
		t.Fatalf("after approval: statement %q, wall %+v, logo %v", statement, wall, logoErr)
	}

	err = st.Write(ctx, func(tx *gorm.DB) error {
		change, err = ReplaceMedia(tx, sig, MediaUpload{Statement: "A new reason."}, lifecycleNow)
		return err
	})
	if err != nil || change == nil || len(change.Unpublished) != 1 {
		t.Fatalf("replace an approved statement: %+v, %v", change, err)
	}
	if statement, wall, _ := public(); statement != "" || len(wall) != 1 {
		t.Errorf("after the signer's change: statement %q (want none until reviewed), wall %+v (logo kept)", statement, wall)
	}
	if _, err := move(st, sig, Move{Event: EventHide, To: StatusHidden, By: Actor{Name: "mod"}, At: lifecycleNow}); err != nil {
		t.Fatal(err)
	}
	if _, err := PublicLogo(st.Read(ctx), letter.ID, sig.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("logo of a hidden signature: %v, want ErrNotFound", err)
	}
}

// TestWithdrawalAndErasureDeleteMedia checks that a signature's statement
// and logo are deleted with the rest of its personal data.
func TestWithdrawalAndErasureDeleteMedia(t *testing.T) {
	st, letter := openLetterStore(t)
	for _, event := range []Event{EventWithdraw, EventErase} {
		t.Run(string(event), func(t *testing.T) {
			sig := seedIn(t, st, letter, StatusPublished, "Org"+string(event))
			withMedia(t, st, sig)
			if _, err := move(st, sig, Move{Event: event, To: StatusWithdrawn, By: SignerActor(), At: lifecycleNow}); err != nil {
				t.Fatal(err)
			}
			if m, err := MediaOf(st.Read(context.Background()), sig.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("media after %s: %+v, %v", event, m, err)
			}
		})
	}
}

// TestAwaitingReviewNamesSignaturesWithPendingMedia checks the queue's
// marker: a signature whose statement or logo awaits review, and no other.
func TestAwaitingReviewNamesSignaturesWithPendingMedia(t *testing.T) {
	st, letter := openLetterStore(t)
	with := seedIn(t, st, letter, StatusPendingReview, "With")
	decided := seedIn(t, st, letter, StatusPendingReview, "Decided")
	without := seedIn(t, st, letter, StatusPendingReview, "Without")
	withMedia(t, st, with)
	withMedia(t, st, decided)
	for _, item := range []MediaItem{MediaStatement, MediaLogo} {
		if _, err := decide(st, decided, item, MediaRejected); err != nil {
			t.Fatal(err)
		}
	}
	got, err := MediaAwaitingReview(st.Read(context.Background()), []uint64{with.ID, decided.ID, without.ID})
	if err != nil || len(got) != 1 || !got[with.ID] {
		t.Errorf("awaiting review: %v, %v; want only %d", got, err, with.ID)
	}
}

// TestMediaIsStoredWithANewSignatureOnly checks that a signature's media is
// stored in the write that inserts it, and that a second signature from the
// same address, which is not stored, leaves the first's media alone.
func TestMediaIsStoredWithANewSignatureOnly(t *testing.T) {
	st, letter := openLetterStore(t)
	ctx := context.Background()
	newSig := func() *Signature {
		return &Signature{LetterID: letter.ID, Kind: KindOrganisation, Name: "Acme", Country: "FR", EmailHash: "same",
			Status: StatusUnconfirmed, Locale: "en", LetterVersion: "v", ConsentVersion: "c"}
	}
	first := newSig()
	stored, err := st.InsertSignatureWithMedia(ctx, first, MediaUpload{Statement: "First."}, MailConfirm, lifecycleNow, nil)
	if err != nil || !stored {
		t.Fatalf("first insert: %v, %v", stored, err)
	}
	stored, err = st.InsertSignatureWithMedia(ctx, newSig(), MediaUpload{Statement: "Second."}, MailConfirm, lifecycleNow, nil)
	if err != nil || stored {
		t.Fatalf("second insert from the same address: %v, %v", stored, err)
	}
	m, err := MediaOf(st.Read(ctx), first.ID)
	if err != nil || m.Statement != "First." || m.StatementStatus != MediaPending {
		t.Errorf("media of the first signature: %+v, %v", m, err)
	}
	var n int64
	if err := st.Read(ctx).Model(&SignatureMedia{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("%d media rows (%v), want 1", n, err)
	}
}
