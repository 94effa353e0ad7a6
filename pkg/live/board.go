// Package live answers what the public sees of a letter: its totals and its
// signatories grouped by country.
package live

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/undersigned/undersigned/pkg/geo"
	"github.com/undersigned/undersigned/pkg/store"
)

// Totals are a letter's published signatures.
type Totals struct {
	Total         int64
	Organisations int64
	Individuals   int64
	Countries     int
}

// CountryTotals are the published signatures from one country.
type CountryTotals struct {
	Code          string
	Name          string
	Total         int64
	Organisations int64
	Individuals   int64
	// Unnamed counts the individuals who chose not to show their name.
	Unnamed int64
}

// Group is one country's part of the public list.
type Group struct {
	CountryTotals
	Organisations []store.PublicSignatory
	Individuals   []store.PublicSignatory
}

// Board reads the public view of letters from the database.
type Board struct {
	store     *store.Store
	countries *geo.Countries
}

// NewBoard returns a Board over st.
func NewBoard(st *store.Store, countries *geo.Countries) *Board {
	return &Board{store: st, countries: countries}
}

// Counts returns a letter's totals and its countries, most signatures first,
// then by name in lang. They come from country_counts, never from counting rows.
func (b *Board) Counts(ctx context.Context, letterID uint, lang language.Tag) (Totals, []CountryTotals, error) {
	rows, err := store.CountsForLetter(b.store.Read(ctx), letterID)
	if err != nil {
		return Totals{}, nil, fmt.Errorf("live: counts: %w", err)
	}
	byCode := map[string]*CountryTotals{}
	var t Totals
	for _, r := range rows {
		c, ok := byCode[r.Country]
		if !ok {
			c = &CountryTotals{Code: r.Country, Name: b.countries.Name(r.Country, lang)}
			byCode[r.Country] = c
		}
		c.Total += r.Count
		t.Total += r.Count
		if r.Kind == store.KindOrganisation {
			c.Organisations += r.Count
			t.Organisations += r.Count
		} else {
			c.Individuals += r.Count
			c.Unnamed += r.Count - r.Named
			t.Individuals += r.Count
		}
	}
	list := make([]CountryTotals, 0, len(byCode))
	for _, c := range byCode {
		list = append(list, *c)
	}
	col := collate.New(lang)
	slices.SortFunc(list, func(x, y CountryTotals) int {
		return cmp.Or(cmp.Compare(y.Total, x.Total), col.CompareString(x.Name, y.Name))
	})
	t.Countries = len(list)
	return t, list, nil
}

// Groups returns the countries with their named signatories, organisations first.
func (b *Board) Groups(ctx context.Context, letterID uint, lang language.Tag) (Totals, []Group, error) {
	totals, countries, err := b.Counts(ctx, letterID, lang)
	if err != nil {
		return Totals{}, nil, err
	}
	people, err := store.PublishedSignatories(b.store.Read(ctx), letterID, store.SignatoryFilter{})
	if err != nil {
		return Totals{}, nil, fmt.Errorf("live: signatories: %w", err)
	}
	groups := make([]Group, len(countries))
	index := make(map[string]int, len(countries))
	for i, c := range countries {
		groups[i].CountryTotals = c
		index[c.Code] = i
	}
	// The database sorts names by bytes; people expect their alphabet's order.
	col := collate.New(lang, collate.IgnoreCase)
	slices.SortStableFunc(people, func(x, y store.PublicSignatory) int { return col.CompareString(x.Name, y.Name) })
	for _, p := range people {
		i, ok := index[p.Country]
		if !ok {
			continue // counted after this snapshot of counts was read
		}
		if p.Kind == store.KindOrganisation {
			groups[i].Organisations = append(groups[i].Organisations, p)
		} else {
			groups[i].Individuals = append(groups[i].Individuals, p)
		}
	}
	return totals, groups, nil
}
