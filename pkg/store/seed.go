package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SeedPublished inserts n published signatures into a letter, spread over
// countries and kinds, in batches, and adds them to the counts and the
// history: a fixture for
// load tests, which must start from a letter the size of a real one. make
// fills in each row's personal fields (sealed email, hash).
func (s *Store) SeedPublished(ctx context.Context, letterID uint, n int, countries []string, now time.Time,
	fill func(i int, sig *Signature)) error {
	const batch = 2000
	for start := 0; start < n; start += batch {
		rows := make([]Signature, 0, min(batch, n-start))
		for i := start; i < min(start+batch, n); i++ {
			sig := Signature{LetterID: letterID, Kind: KindIndividual, Country: countries[i%len(countries)],
				ShowName: i%3 != 0, Status: StatusPublished, ConfirmedAt: &now, PublishedAt: &now, Locale: "en",
				LetterVersion: "seed", ConsentVersion: "seed", TokenExpiresAt: now}
			if i%10 == 0 {
				sig.Kind, sig.ShowName, sig.OrgType = KindOrganisation, true, "ngo"
			}
			fill(i, &sig)
			sig.SetDerived(s.SortKeys)
			rows = append(rows, sig)
		}
		err := s.Write(ctx, func(tx *gorm.DB) error {
			if err := tx.CreateInBatches(rows, 500).Error; err != nil {
				return err
			}
			type key struct {
				country string
				kind    Kind
				named   bool
				ref     string
			}
			counts := map[key]int64{}
			for _, r := range rows {
				counts[key{r.Country, r.Kind, r.Named(), r.Ref}]++
			}
			for k, c := range counts {
				if err := AddToCount(tx, letterID, k.country, k.kind, k.named, c); err != nil {
					return err
				}
				if err := addToHistory(tx, letterID, now, historyKey{k.kind, k.country, k.ref}, c, c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: seed rows %d-%d: %w", start, start+len(rows), err)
		}
	}
	return nil
}
