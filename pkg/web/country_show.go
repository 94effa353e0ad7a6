package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/store"
)

// countryView is a country's own page on a letter: its counts and all its
// named signatories, 200 a page.
type countryView struct {
	*Page
	Letter      *letters.Letter
	Country     live.CountryCount
	CountryName string
	Heading     string // "United Kingdom: 12 signatories", as on the letter page
	Orgs        []store.PublicSignatory
	People      []store.PublicSignatory
	Pages       *searchResults
}

// showCountry is the page a country group on the letter page links to.
func (a *App) showCountry(c echo.Context) error {
	letter, err := a.publicLetter(c)
	if err != nil {
		return err
	}
	code := strings.ToUpper(c.Param("code"))
	if !a.d.Countries.Valid(code) {
		return echo.ErrNotFound
	}
	snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
	if err != nil {
		return err
	}
	l := a.localizer(c)
	count, _ := snap.Country(code)
	name := a.d.Countries.Name(code, l.Tag)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	v := &countryView{Page: a.page(c, l.T("country.title", "Country", name, "Title", letter.In(l.Lang()).Title)), Letter: letter, Country: count, CountryName: name,
		Heading: countryHeading(l, name, count.Total)}
	if v.Pages, err = a.search(c, v.Page, letter, store.SignatoryFilter{Country: code}, max(page, 1)); err != nil {
		return err
	}
	for _, r := range v.Pages.Rows {
		if r.Kind == store.KindOrganisation {
			v.Orgs = append(v.Orgs, r.PublicSignatory)
		} else {
			v.People = append(v.People, r.PublicSignatory)
		}
	}
	return a.render(c, http.StatusOK, "country", v)
}
