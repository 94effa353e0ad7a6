package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/store"
)

// apiLetter is the JSON of GET /api/v1/letters/{slug}.
type apiLetter struct {
	Slug          string       `json:"slug"`
	Title         string       `json:"title"`
	Total         int64        `json:"total"`
	Organisations int64        `json:"organisations"`
	Individuals   int64        `json:"individuals"`
	Countries     []apiCountry `json:"countries"`
}

type apiCountry struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	Total         int64  `json:"total"`
	Organisations int64  `json:"organisations"`
	Individuals   int64  `json:"individuals"`
}

// apiShowLetter gives a letter's totals, overall and by country, to scripts,
// journalists' tools and the embeddable counter.
func (a *App) apiShowLetter(c echo.Context) error {
	letter, snap, err := a.publicSnapshot(c)
	if err != nil {
		return err
	}
	l := a.localizer(c)
	if notModified(c, fmt.Sprintf(`W/"%d-%d-%s"`, letter.ID, snap.Seq, l.Lang()), apiLetterMaxAge) {
		return nil
	}
	// The body only changes with the snapshot: marshal it once per version
	// and language.
	version, key := fmt.Sprint(letter.ID, "-", snap.Seq), "api|"+l.Lang()
	if body, ok := a.apiBodies.get(version, key); ok {
		return body.send(c, http.StatusOK, echo.MIMEApplicationJSON)
	}
	groups := a.countryGroups(snap, letter, l.Tag)
	out := apiLetter{Slug: letter.Slug, Title: letter.In(l.Lang()).Title, Total: snap.Totals.Total,
		Organisations: snap.Totals.Organisations, Individuals: snap.Totals.Individuals, Countries: make([]apiCountry, len(groups))}
	for i, g := range groups {
		out.Countries[i] = apiCountry{Code: g.Code, Name: g.Name, Total: g.Total, Organisations: g.Organisations, Individuals: g.Individuals}
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return a.apiBodies.put(version, key, body).send(c, http.StatusOK, echo.MIMEApplicationJSON)
}

// apiSignatoryPage is the JSON of GET /api/v1/letters/{slug}/signatories.
type apiSignatoryPage struct {
	Signatories []apiSignatory `json:"signatories"`
	Page        int            `json:"page"`
	PerPage     int            `json:"per_page"`
	NextPage    *int           `json:"next_page"`
}

type apiSignatory struct {
	Kind             store.Kind `json:"kind"`
	Name             string     `json:"name"`
	Affiliation      string     `json:"affiliation,omitempty"`
	Website          string     `json:"website,omitempty"`
	OrganisationType string     `json:"organisation_type,omitempty"`
	Country          string     `json:"country"`
	CountryName      string     `json:"country_name"`
}

// apiPerPage is how many signatories one page of the API holds.
const apiPerPage = 100

// apiListSignatories lists the published, named signatories, filtered by
// country, kind and a search over names and affiliations, a page at a time.
func (a *App) apiListSignatories(c echo.Context) error {
	letter, err := a.publicLetter(c)
	if err != nil {
		return err
	}
	filter, page, err := a.signatoryFilter(c)
	if err != nil {
		return err
	}
	snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
	if err != nil {
		return err
	}
	etag := fmt.Sprintf(`W/"%d-%d-%s-%s"`, letter.ID, snap.Seq, a.localizer(c).Lang(), hashQuery(c.QueryString()))
	if notModified(c, etag, apiSignatoriesMaxAge) {
		return nil
	}
	rows, err := store.PublishedSignatories(a.d.Store.Read(c.Request().Context()), letter.ID, filter)
	if err != nil {
		return err
	}
	out := apiSignatoryPage{Signatories: []apiSignatory{}, Page: page, PerPage: apiPerPage}
	if len(rows) > apiPerPage {
		rows, out.NextPage = rows[:apiPerPage], new(page+1)
	}
	tag := a.localizer(c).Tag
	for _, r := range rows {
		out.Signatories = append(out.Signatories, apiSignatory{Kind: r.Kind, Name: r.Name, Affiliation: r.Affiliation,
			Website: r.Website, OrganisationType: r.OrgType, Country: r.Country, CountryName: a.d.Countries.Name(r.Country, tag)})
	}
	return c.JSON(http.StatusOK, out)
}

// signatoryFilter reads and checks the query string of the signatory list.
func (a *App) signatoryFilter(c echo.Context) (store.SignatoryFilter, int, error) {
	f := store.SignatoryFilter{Country: c.QueryParam("country"), Kind: store.Kind(c.QueryParam("kind")), Query: c.QueryParam("q")}
	if f.Country != "" && !a.d.Countries.Valid(f.Country) {
		return f, 0, errorWithCode(http.StatusBadRequest, "invalid_country")
	}
	if f.Kind != "" && f.Kind != store.KindOrganisation && f.Kind != store.KindIndividual {
		return f, 0, errorWithCode(http.StatusBadRequest, "invalid_kind")
	}
	if len([]rune(f.Query)) > 100 {
		return f, 0, errorWithCode(http.StatusBadRequest, "invalid_query")
	}
	page := 1
	if p := c.QueryParam("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100000 {
			return f, 0, errorWithCode(http.StatusBadRequest, "invalid_page")
		}
		page = n
	}
	// One row more than a page tells whether another page follows.
	f.Limit, f.Offset = apiPerPage+1, (page-1)*apiPerPage
	return f, page, nil
}

// publicLetter finds the letter in the path whose list is public, or answers 404.
func (a *App) publicLetter(c echo.Context) (*letters.Letter, error) {
	letter, err := a.letter(c)
	if err != nil {
		return nil, err
	}
	if !letter.ListIsPublic(a.d.Now()) {
		return nil, errorWithCode(http.StatusNotFound, "not_public")
	}
	return letter, nil
}

// hashQuery shortens a query string for use in an ETag.
func hashQuery(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:8])
}

// publicSnapshot finds the public letter in the path and its current snapshot.
func (a *App) publicSnapshot(c echo.Context) (*letters.Letter, *live.Snapshot, error) {
	letter, err := a.publicLetter(c)
	if err != nil {
		return nil, nil, err
	}
	snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
	if err != nil {
		return nil, nil, err
	}
	return letter, snap, nil
}
