package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestEachPublishedOfCountryWalksEveryNameOnceInListOrder reads a country's
// named individuals two at a time, several sharing a name (and so a sort
// key): every one comes once, in the public list's order, and no unnamed
// one, organisation or other country comes at all.
func TestEachPublishedOfCountryWalksEveryNameOnceInListOrder(t *testing.T) {
	st, letter := openLetterStore(t)
	names := []string{"Zoë", "ada", "Ada", "Ada", "Émile", "bob", "Ada", "Chloé", "Ada"}
	err := st.SeedPublished(context.Background(), letter.ID, 3*len(names), []string{"FR", "DE", "FR"}, time.Now(), func(i int, sig *Signature) {
		sig.EmailHash, sig.TokenHash, sig.ManageHash = fmt.Sprint("e", i), fmt.Sprint("t", i), fmt.Sprint("m", i)
		sig.Kind, sig.ShowName, sig.Name = KindIndividual, true, names[i%len(names)]
		if i%3 == 2 { // the second FR of each three: unnamed
			sig.ShowName = false
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	var gotNames []string
	err = EachPublishedOfCountry(st.Read(context.Background()), letter.ID, "FR", KindIndividual, 2, func(batch []PublicSignatory) error {
		if len(batch) > 2 {
			t.Errorf("batch of %d, want at most 2", len(batch))
		}
		for _, s := range batch {
			got, gotNames = append(got, s.ID), append(gotNames, s.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := PublishedSignatories(st.Read(context.Background()), letter.ID, SignatoryFilter{Country: "FR", Kind: KindIndividual})
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs []uint64
	for _, s := range want {
		wantIDs = append(wantIDs, s.ID)
	}
	if len(wantIDs) != len(names) || !slices.Equal(got, wantIDs) {
		t.Errorf("walked %v (%q),\nwant %v, the list order", got, gotNames, wantIDs)
	}
}
