package web

import (
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
)

// publicPageSize is how many names one page of a public list holds.
const publicPageSize = 200

// searchResults is one page of signatories matching a search or filter.
type searchResults struct {
	Page    *Page
	Rows    []searchRow
	PrevURL string
	NextURL string
}

type searchRow struct {
	store.PublicSignatory
	CountryName string
}

// fillList adds the public list to the letter page: the totals, and either
// the countries with their first names (from the in-memory snapshot) or, when
// the reader searches or filters, the matching names (from the database).
func (a *App) fillList(c echo.Context, v *letterView) error {
	l := v.L
	snap, err := a.d.Live.Snapshot(c.Request().Context(), v.Letter.ID)
	if err != nil {
		return err
	}
	v.Totals, v.Logos = snap.Totals, snap.Logos()
	if goal, ok := v.Letter.GoalFor(snap.Totals.Total); ok {
		v.Goal = &goal
	}
	v.EmbedCode = embedCode(l, v.LetterURL+"/embed", v.Text.Title)
	q := c.QueryParams()
	filter := store.SignatoryFilter{Query: q.Get("q"), Kind: store.Kind(q.Get("filter_kind")), Country: q.Get("filter_country")}
	v.SearchFields = a.searchFields(l, filter)
	if filter.Query == "" && filter.Kind == "" && filter.Country == "" {
		v.Groups = a.countryGroups(snap, v.Letter, l.Tag)
		return nil
	}
	if !a.validFilter(filter) {
		return echo.ErrBadRequest
	}
	page, _ := strconv.Atoi(q.Get("page"))
	v.Search, err = a.search(c, v.Page, v.Letter, filter, max(page, 1))
	return err
}

func (a *App) validFilter(f store.SignatoryFilter) bool {
	return (f.Country == "" || a.d.Countries.Valid(f.Country)) &&
		(f.Kind == "" || f.Kind == store.KindOrganisation || f.Kind == store.KindIndividual) &&
		len([]rune(f.Query)) <= 100
}

// search runs a search over the published names, a page at a time.
func (a *App) search(c echo.Context, p *Page, letter *letters.Letter, f store.SignatoryFilter, page int) (*searchResults, error) {
	f.Limit, f.Offset = publicPageSize+1, (page-1)*publicPageSize
	rows, err := store.PublishedSignatories(a.d.Store.Read(c.Request().Context()), letter.ID, f)
	if err != nil {
		return nil, err
	}
	res := &searchResults{Page: p}
	q := c.QueryParams()
	if len(rows) > publicPageSize {
		rows = rows[:publicPageSize]
		res.NextURL = withPage(c.Request().URL.Path, q, page+1) + "#signatories"
	}
	if page > 1 {
		res.PrevURL = withPage(c.Request().URL.Path, q, page-1) + "#signatories"
	}
	for _, r := range rows {
		res.Rows = append(res.Rows, searchRow{PublicSignatory: r, CountryName: a.d.Countries.Name(r.Country, p.L.Tag)})
	}
	return res, nil
}

// withPage is the URL of another page of a paginated list: path with the same
// query, but page, and without the outcome of a console action (changed,
// skipped, saved), which belongs to the page it was shown on.
func withPage(path string, q url.Values, page int) string {
	next := url.Values{}
	for k, v := range q {
		if k != "changed" && k != "skipped" && k != "saved" && k != "queue_done" {
			next[k] = v
		}
	}
	next.Set("page", strconv.Itoa(page))
	return path + "?" + next.Encode()
}

func (a *App) searchFields(l *i18n.Localizer, f store.SignatoryFilter) []formField {
	kinds := []fieldOption{{Value: "", Label: l.T("signatories.search.any_kind")}}
	for _, k := range store.Kinds() {
		kinds = append(kinds, fieldOption{Value: string(k), Label: l.T("kind." + string(k)), Selected: k == f.Kind})
	}
	countries := a.countryOptions(l, f.Country)
	countries[0].Label = l.T("signatories.search.any_country")
	return []formField{
		{Name: "q", Type: "search", Label: l.T("signatories.search.label"), Value: f.Query, MaxLength: 100},
		{Name: "filter_kind", Type: "select", Label: l.T("admin.filter.kind"), Options: kinds},
		{Name: "filter_country", Type: "select", Label: l.T("field.country.label"), Options: countries},
	}
}

// shareLink is a plain link to share the letter; nothing loads from the
// other site until the reader follows it.
type shareLink struct{ Label, URL string }

func shareLinks(l *i18n.Localizer, letter *letters.Letter, letterURL string) []shareLink {
	text := letter.In(l.Lang()).Title
	q := url.QueryEscape
	return []shareLink{
		{l.T("share.email"), "mailto:?subject=" + url.PathEscape(text) + "&body=" + url.PathEscape(text+"\n\n"+letterURL)},
		{"Mastodon", "https://mastodonshare.com/?text=" + q(text) + "&url=" + q(letterURL)},
		{"Bluesky", "https://bsky.app/intent/compose?text=" + q(text+" "+letterURL)},
		{"LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url=" + q(letterURL)},
		{"X", "https://x.com/intent/post?text=" + q(text) + "&url=" + q(letterURL)},
		{"WhatsApp", "https://wa.me/?text=" + q(text+" "+letterURL)},
	}
}
