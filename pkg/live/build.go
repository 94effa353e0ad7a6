package live

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// build makes the next snapshot of a letter. Counts and the logo wall are
// read whole (the country_counts table is small, the wall one indexed
// query); names are read again only for the countries
// in changed (all of them when prev is nil or all is set), the rest are kept
// from prev.
func build(ctx context.Context, db *gorm.DB, letterID uint, prev *Snapshot, changed map[string]bool, all bool, perCountry int) (*Snapshot, error) {
	rows, err := store.CountsForLetter(db, letterID)
	if err != nil {
		return nil, fmt.Errorf("live: counts of letter %d: %w", letterID, err)
	}
	snap := &Snapshot{names: map[string]countryNames{}}
	snap.Totals, snap.countries = CountsFrom(rows)
	if snap.logos, err = store.LogoWall(db.WithContext(ctx), letterID); err != nil {
		return nil, fmt.Errorf("live: logos of letter %d: %w", letterID, err)
	}
	if prev != nil {
		snap.Seq = prev.Seq
	}
	snap.Seq++
	for _, c := range snap.countries {
		if prev != nil && !all && !changed[c.Code] {
			if n, ok := prev.names[c.Code]; ok {
				snap.names[c.Code] = n
				continue
			}
		}
		n, err := firstNames(ctx, db, letterID, c.Code, perCountry)
		if err != nil {
			return nil, err
		}
		snap.names[c.Code] = n
	}
	return snap, nil
}

func firstNames(ctx context.Context, db *gorm.DB, letterID uint, country string, limit int) (countryNames, error) {
	var n countryNames
	var err error
	for _, kind := range store.Kinds() {
		f := store.SignatoryFilter{Country: country, Kind: kind, Limit: limit}
		list, e := store.PublishedSignatories(db.WithContext(ctx), letterID, f)
		if e != nil {
			err = fmt.Errorf("live: names of letter %d in %s: %w", letterID, country, e)
			break
		}
		if kind == store.KindOrganisation {
			n.organisations = list
		} else {
			n.individuals = list
		}
	}
	return n, err
}
