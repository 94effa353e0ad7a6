package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestReviewQueueFiltersAndPages checks what moderators see: confirmed
// signatures only, newest first, a page at a time, narrowed by search.
func TestReviewQueueFiltersAndPages(t *testing.T) {
	st, letter := openLetterStore(t)
	db := st.Read(context.Background())
	unconfirmed := seedIn(t, st, letter, StatusUnconfirmed, "Hidden")
	var ids []uint64
	for _, name := range []string{"Alpha", "Beta", "Gamma"} {
		ids = append(ids, seedIn(t, st, letter, StatusPendingReview, name).ID)
	}
	seedIn(t, st, letter, StatusPublished, "Delta")
	pending := QueueFilter{Status: StatusPendingReview, LetterID: letter.ID, Limit: 2}
	for _, c := range []struct {
		name   string
		f      func(QueueFilter) QueueFilter
		wantID []uint64
	}{
		{"first page", func(f QueueFilter) QueueFilter { return f }, []uint64{ids[2], ids[1]}},
		{"second page", func(f QueueFilter) QueueFilter { f.Offset = 2; return f }, []uint64{ids[0]}},
		{"search", func(f QueueFilter) QueueFilter { f.Query = "GAM"; return f }, []uint64{ids[2]}},
		{"other country", func(f QueueFilter) QueueFilter { f.Country = "FR"; return f }, nil},
	} {
		sigs, err := ReviewQueue(db, c.f(pending))
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for _, s := range sigs {
			got = append(got, s.ID)
		}
		if !slices.Equal(got, c.wantID) {
			t.Errorf("%s: ids %v, want %v", c.name, got, c.wantID)
		}
	}
	if _, err := ConfirmedSignatureByID(db, unconfirmed.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unconfirmed signature was opened: %v", err)
	}
	batch, err := ConfirmedSignaturesAfter(db, letter.ID, ids[0], 10)
	if err != nil || len(batch) != 3 || batch[0].ID != ids[1] {
		t.Errorf("export batch after %d: %v, %v", ids[0], batch, err)
	}
}

// TestSignatureByLinkChecksTheNamedHash checks that a confirmation link does
// not open the manage page, nor the reverse.
func TestSignatureByLinkChecksTheNamedHash(t *testing.T) {
	st, letter := openLetterStore(t)
	db := st.Read(context.Background())
	sig := seedIn(t, st, letter, StatusPendingReview, "Alpha") // token_hash "t", manage_hash "m"
	for _, c := range []struct {
		column LinkColumn
		hash   string
		found  bool
	}{{TokenLink, "t", true}, {ManageLink, "m", true}, {ManageLink, "t", false}, {TokenLink, "m", false}} {
		_, err := SignatureByLink(db, sig.ID, c.column, c.hash)
		if found := err == nil; found != c.found || (!found && !errors.Is(err, ErrNotFound)) {
			t.Errorf("%s = %q: %v, want found %v", c.column, c.hash, err, c.found)
		}
	}
}
