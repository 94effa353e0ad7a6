// Package live keeps what the public sees of each letter in memory: a snapshot
// of its totals, its countries and the first names of each, rebuilt from the
// database when signatures are published or unpublished, and a feed of those
// changes for the page's Server-Sent Events. The database stays the source of
// truth: a snapshot can be dropped and rebuilt at any moment.
package live

import (
	"cmp"
	"slices"

	"github.com/undersigned/undersigned/pkg/store"
)

// Totals are a letter's published signatures.
type Totals struct {
	Total         int64 `json:"total"`
	Organisations int64 `json:"organisations"`
	Individuals   int64 `json:"individuals"`
	Countries     int   `json:"countries"`
}

// CountryCount is the published signatures from one country.
type CountryCount struct {
	Code          string `json:"code"`
	Total         int64  `json:"total"`
	Organisations int64  `json:"organisations"`
	Individuals   int64  `json:"individuals"`
	// Unnamed counts the individuals who chose not to show their name.
	Unnamed int64 `json:"unnamed"`
}

// Named is how many of the country's signatories the public list names.
func (c CountryCount) Named() int64 { return c.Total - c.Unnamed }

// countryNames are the first names of one country in list order.
type countryNames struct {
	organisations []store.PublicSignatory
	individuals   []store.PublicSignatory
}

// Snapshot is the public view of one letter at one moment. It is never
// changed once built; a newer one replaces it.
type Snapshot struct {
	// Seq counts the snapshots of the letter since the server started; the
	// event stream uses it as the event id.
	Seq       uint64
	Totals    Totals
	countries []CountryCount // most signatures first, then by code
	names     map[string]countryNames
	logos     []store.WallLogo
}

// Logos returns the logo wall: the approved logos of published
// organisations, by name.
func (s *Snapshot) Logos() []store.WallLogo { return s.logos }

// Countries returns every country with published signatures, most first.
// Callers that show names re-sort ties by the reader's collation.
func (s *Snapshot) Countries() []CountryCount { return s.countries }

// Country returns one country's counts.
func (s *Snapshot) Country(code string) (CountryCount, bool) {
	for _, c := range s.countries {
		if c.Code == code {
			return c, true
		}
	}
	return CountryCount{}, false
}

// Names returns the first organisations and named individuals of a country,
// in alphabetical order; at most the hub's names-per-country of each.
func (s *Snapshot) Names(code string) (organisations, individuals []store.PublicSignatory) {
	n := s.names[code]
	return n.organisations, n.individuals
}

// CountsFrom turns country_counts rows into totals and countries, most
// signatures first: the public view and the delivered document (pkg/deliver)
// count the same way.
func CountsFrom(rows []store.CountryCount) (Totals, []CountryCount) {
	byCode := map[string]*CountryCount{}
	var t Totals
	for _, r := range rows {
		c, ok := byCode[r.Country]
		if !ok {
			c = &CountryCount{Code: r.Country}
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
	list := make([]CountryCount, 0, len(byCode))
	for _, c := range byCode {
		if c.Total > 0 {
			list = append(list, *c)
		}
	}
	slices.SortFunc(list, func(x, y CountryCount) int { return cmp.Or(cmp.Compare(y.Total, x.Total), cmp.Compare(x.Code, y.Code)) })
	t.Countries = len(list)
	return t, list
}
