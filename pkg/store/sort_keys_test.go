package store

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Keys from collators reused across goroutines are those a fresh collator
// makes, and each stays as it was when later keys are made.
func TestSortKeysFromReusedCollatorsMatchFreshOnes(t *testing.T) {
	names := []string{"zoe", "Émile", "adam", "Bea", "Łódź Ærøskøbing", "山田", ""}
	want := make([][]byte, len(names))
	for i, name := range names {
		var buf collate.Buffer
		want[i] = append([]byte(nil), collate.New(language.Und, collate.IgnoreCase).KeyFromString(&buf, name)...)
	}
	keys := NewSortKeys()
	var wg sync.WaitGroup
	got := make([][][]byte, 4)
	for g := range got {
		wg.Go(func() {
			for range 50 {
				for _, name := range names {
					got[g] = append(got[g], keys.Of(name))
				}
			}
		})
	}
	wg.Wait()
	for g := range got {
		for i, key := range got[g] {
			if name := names[i%len(names)]; !bytes.Equal(key, want[i%len(names)]) {
				t.Fatalf("goroutine %d, call %d: the key of %q is %x, want %x", g, i, name, key, want[i%len(names)])
			}
		}
	}
	sorted := []string{"zoe", "Émile", "adam", "Bea"}
	slices.SortFunc(sorted, func(a, b string) int { return bytes.Compare(keys.Of(a), keys.Of(b)) })
	if !slices.Equal(sorted, []string{"adam", "Bea", "Émile", "zoe"}) {
		t.Errorf("names sorted by key: %q", sorted)
	}
}
