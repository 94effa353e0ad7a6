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
// fills in each row's personal fields (sealed email, hash). The next batch
// is made while one is written, so that filling (hashing, collation keys)
// and the database's work share the cores.
func (s *Store) SeedPublished(ctx context.Context, letterID uint, n int, countries []string, now time.Time,
	fill func(i int, sig *Signature)) error {
	const batch = 2000
	batches := make(chan []Signature, 1)
	go func() {
		defer close(batches)
		for start := 0; start < n && ctx.Err() == nil; start += batch {
			batches <- s.seedRows(letterID, start, min(start+batch, n), countries, now, fill)
		}
	}()
	start := 0
	for rows := range batches {
		if err := s.seedBatch(ctx, letterID, rows, now); err != nil {
			for range batches { // let the maker finish
			}
			return fmt.Errorf("store: seed rows %d-%d: %w", start, start+len(rows), err)
		}
		start += len(rows)
	}
	return ctx.Err()
}

// seedRows makes the published signatures numbered from to to.
func (s *Store) seedRows(letterID uint, from, to int, countries []string, now time.Time, fill func(i int, sig *Signature)) []Signature {
	rows := make([]Signature, 0, to-from)
	for i := from; i < to; i++ {
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
	return rows
}

// seedBatch writes rows, with their counts and history, in one transaction.
func (s *Store) seedBatch(ctx context.Context, letterID uint, rows []Signature, now time.Time) error {
	return s.Write(ctx, func(tx *gorm.DB) error {
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
}

// AnalyzeAfterSeeding refreshes PostgreSQL's statistics of the signatures
// after a bulk load such as SeedPublished: the planner otherwise plans
// for the table as it was before it, until autovacuum's next analyze, and
// picks scans of the whole letter. A database that grew by signing keeps
// them current by itself. Nothing to do on SQLite, whose planner uses
// no statistics unless asked for them.
func (s *Store) AnalyzeAfterSeeding(ctx context.Context) error {
	if s.Driver != "postgres" {
		return nil
	}
	if err := s.writer.WithContext(ctx).Exec("ANALYZE signatures, signature_media, country_counts").Error; err != nil {
		return fmt.Errorf("store: analyze after seeding: %w", err)
	}
	return nil
}
