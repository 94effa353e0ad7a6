package web

import (
	"cmp"
	"slices"

	"golang.org/x/text/language"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/store"
)

// countryGroup is one country on the public list: its counts and names.
type countryGroup struct {
	live.CountryCount
	Name   string
	Orgs   []store.PublicSignatory // the first organisations, alphabetically
	People []store.PublicSignatory // the first named individuals
	// More is how many named signatories are not shown here; the country's
	// own page lists them all.
	More int64
	URL  string
}

// countryGroups lays out a snapshot for a reader: countries by number of
// signatures, then by name in the reader's language.
func (a *App) countryGroups(snap *live.Snapshot, letter *letters.Letter, lang language.Tag) []countryGroup {
	rank := a.d.Countries.Rank(lang)
	counts := slices.Clone(snap.Countries())
	slices.SortStableFunc(counts, func(x, y live.CountryCount) int {
		return cmp.Or(cmp.Compare(y.Total, x.Total), cmp.Compare(rank[x.Code], rank[y.Code]))
	})
	groups := make([]countryGroup, len(counts))
	for i, c := range counts {
		orgs, people := snap.Names(c.Code)
		groups[i] = countryGroup{CountryCount: c, Name: a.d.Countries.Name(c.Code, lang), Orgs: orgs, People: people,
			More: c.Named() - int64(len(orgs)+len(people)), URL: "/letters/" + letter.Slug + "/countries/" + c.Code}
	}
	return groups
}

// countryHeading heads a country's signatories on the letter page, on the
// country's own page and in live updates: "United Kingdom: 12 signatories".
// The name comes first, so that no language needs an article before it.
func countryHeading(l *i18n.Localizer, name string, total int64) string {
	return l.T("country.heading", "Country", name, "Count", total)
}

// CountryHeading is countryHeading for the page templates.
func (p *Page) CountryHeading(name string, total int64) string {
	return countryHeading(p.L, name, total)
}
