package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/record"
	"github.com/undersigned/undersigned/pkg/store"
)

// letterView is the letter page: the text, the totals, the sign form and the
// signatories by country.
type letterView struct {
	*Page
	Letter     *letters.Letter
	Text       letters.Text // the letter in the reader's language, or its own
	Versions   []languageLink
	Open       bool
	ListPublic bool
	State      store.LetterState // where the letter stands now, its dates applied
	// NamesPerKind is how many organisations, and how many named
	// individuals, each country shows; the live script keeps to it.
	NamesPerKind int
	Totals       live.Totals
	Goal         *letters.Goal // nil when the letter has no goal
	Groups       []countryGroup
	Kind         store.Kind
	Form         signForm
	Stamp        string // the signed time the form was drawn, posted back
	Fields       []formField
	Errors       formErrors
	KindChoices  []kindChoice
	LetterURL    string
	ShareLinks   []shareLink
	// SearchFields is the search form over the list; Search holds its
	// results when a search or filter is active, instead of the groups.
	SearchFields []formField
	Search       *searchResults
	EmbedCode    string

	// Logos is the logo wall: approved logos of published organisations.
	Logos []store.WallLogo
	// CampaignKey signs the letter's delivery packs; Deliveries are those
	// recorded, oldest first, with their Merkle roots.
	CampaignKey record.PublicKey
	Deliveries  []deliveryLine
}

// kindChoice is a link that switches the form between signing as an
// organisation and as an individual, so the form works without JavaScript.
type kindChoice struct {
	Kind    store.Kind
	Label   string
	URL     string
	Current bool
}

// showLetter is the letter page that every campaign link points to.
func (a *App) showLetter(c echo.Context) error {
	letter, err := a.letter(c)
	if err != nil {
		return err
	}
	form := signForm{Kind: c.QueryParam("kind"), Ref: c.QueryParam("ref"), UTMSource: c.QueryParam("utm_source"),
		UTMMedium: c.QueryParam("utm_medium"), UTMCampaign: c.QueryParam("utm_campaign"), Stamp: a.d.Guard.Stamp()}
	key := a.letterCacheKey(c, letter, form)
	if key != "" {
		if page, ok := a.pages.get(form.Stamp, key); ok {
			return page.send(c, http.StatusOK, echo.MIMETextHTMLCharsetUTF8)
		}
	}
	return a.renderLetterCached(c, http.StatusOK, letter, form, nil, key)
}

// letterCacheKey is the page cache's key for a plain view of the letter page
// (no search, nothing but lang, kind and the source in the query), or ""
// when the request asks for more than the cache keeps.
func (a *App) letterCacheKey(c echo.Context, letter *letters.Letter, form signForm) string {
	for k := range c.QueryParams() {
		if k != "lang" && k != "kind" && !form.sourceParams().Has(k) {
			return ""
		}
	}
	snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d|%s|%s|%d|%s|%s|%s|%s", letter.ID, letter.Revision, letter.StateAt(a.d.Now()), snap.Seq,
		a.localizer(c).Lang(), form.kind(), form.sourceParams().Encode(), form.Stamp)
}

// renderLetter draws the letter page; the sign handler calls it again with the
// user's input and errors when the form needs correcting.
func (a *App) renderLetter(c echo.Context, status int, letter *letters.Letter, form signForm, errs map[string]string) error {
	return a.renderLetterCached(c, status, letter, form, errs, "")
}

// renderLetterCached is renderLetter that also keeps the page under key,
// when key is not "".
func (a *App) renderLetterCached(c echo.Context, status int, letter *letters.Letter, form signForm, errs map[string]string, key string) error {
	l := a.localizer(c)
	now := a.d.Now()
	kind := form.kind()
	partner, err := a.d.Partners.NameOf(c.Request().Context(), letter.ID, form.Ref)
	if err != nil {
		return err
	}
	fields := prepareFields(a.signFields(l, kind, form, partner), errs, l)
	summary := errorSummary(fields)
	if id, ok := errs["kind"]; ok {
		// The kind arrives in a hidden field; only a tampered form gets it wrong.
		summary = append(formErrors{{Name: "kind", Label: l.T("sign.as.label"), Error: l.T(id)}}, summary...)
	}
	if id, ok := errs["form"]; ok { // about the whole form, such as a rate limit
		summary = append(formErrors{{Name: "kind", Label: l.T("sign.title"), Error: l.T(id)}}, summary...)
	}
	text := letter.In(l.Lang())
	v := &letterView{
		Page:         a.page(c, text.Title),
		Text:         text,
		Letter:       letter,
		Open:         letter.OpenForSigning(now),
		State:        letter.StateAt(now),
		NamesPerKind: a.d.Config.Live.NamesPerCountry,
		ListPublic:   letter.ListIsPublic(now),
		Kind:         kind,
		Form:         form,
		Stamp:        form.Stamp,
		Fields:       fields,
		Errors:       summary,
	}
	v.HasErrors = len(summary) > 0
	for _, k := range store.Kinds() {
		v.KindChoices = append(v.KindChoices, kindChoice{
			Kind: k, Label: l.T("sign.as." + string(k)), Current: k == kind,
			URL: form.withSource("/letters/"+letter.Slug, "kind="+string(k)) + "#sign",
		})
	}
	v.LetterURL = a.letterURL(letter)
	if langs := letter.Languages(); len(langs) > 1 {
		for _, lang := range langs {
			tag := language.Make(lang)
			v.Versions = append(v.Versions, languageLink{Tag: lang, Name: display.Self.Name(tag),
				URL: form.withSource("/letters/"+letter.Slug, "lang="+lang), Current: lang == v.Text.Lang})
		}
	}
	v.ShareLinks = shareLinks(l, letter, v.LetterURL)
	if v.ListPublic {
		if err := a.fillList(c, v); err != nil {
			return err
		}
	}
	if err := a.fillDeliveries(c, v); err != nil {
		return err
	}
	if v.Stamp == "" { // a fresh form; one sent back keeps its first stamp
		v.Stamp = a.d.Guard.Stamp()
	}
	if key == "" {
		return a.render(c, status, "letter", v)
	}
	page, err := a.renderBytes("letter", v)
	if err != nil {
		return err
	}
	return a.pages.put(form.Stamp, key, page).send(c, status, echo.MIMETextHTMLCharsetUTF8)
}

// refQuery is the query that carries a partner's code in a link to a
// letter, or "" for none.
func refQuery(ref string) string {
	if ref == "" {
		return ""
	}
	return "?ref=" + url.QueryEscape(ref)
}

// letterURL is the absolute address of letter's page, the one shared and mailed.
func (a *App) letterURL(letter *letters.Letter) string {
	return a.d.Config.BaseURL + "/letters/" + letter.Slug
}

// letter finds the letter named in the path, or answers 404, as it does
// for a draft the public may not see yet.
func (a *App) letter(c echo.Context) (*letters.Letter, error) {
	letter, ok := a.d.Letters.BySlug(c.Param("slug"))
	if !ok || !letter.ServedAt(a.d.Now()) {
		return nil, echo.ErrNotFound
	}
	return letter, nil
}
