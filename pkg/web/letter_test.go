package web_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// checkPageBasics checks what every page must have: a language, a title, one
// h1, a label for each form control, nothing loaded from another origin, no
// inline script or style, and the security headers.
func checkPageBasics(t *testing.T, path string, res *webtest.Response) {
	t.Helper()
	doc := res.Doc()
	if lang, _ := doc.Find("html").Attr("lang"); lang == "" {
		t.Errorf("%s: <html> has no lang", path)
	}
	if strings.TrimSpace(doc.Find("title").Text()) == "" {
		t.Errorf("%s: empty <title>", path)
	}
	if n := doc.Find("h1").Length(); n != 1 {
		t.Errorf("%s: %d h1 elements, want 1", path, n)
	}
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		if typ, _ := s.Attr("type"); typ == "hidden" {
			return
		}
		id, _ := s.Attr("id")
		if id == "" || doc.Find("label[for='"+id+"']").Length() != 1 {
			name, _ := s.Attr("name")
			t.Errorf("%s: control %q has no visible label", path, name)
		}
	})
	doc.Find("[src], link[rel~=stylesheet], link[rel~=icon], link[rel~=preload]").Each(func(_ int, s *goquery.Selection) {
		ref, ok := s.Attr("src")
		if !ok {
			ref, _ = s.Attr("href")
		}
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("%s: loads %q from elsewhere", path, ref)
		}
	})
	if doc.Find("script:not([src]), style, [style]").Length() > 0 {
		t.Errorf("%s: inline script or style (the CSP forbids it)", path)
	}
	ids := map[string]bool{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if ids[id] {
			t.Errorf("%s: duplicate id %q", path, id)
		}
		ids[id] = true
	})
	for header, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Permissions-Policy":      "camera=()",
	} {
		if got := res.Header.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s: %s = %q, want %q", path, header, got, want)
		}
	}
}

func TestPagesAreAccessibleAndSelfContained(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	h.Sign(webtest.SignForm("bob@example.org"))
	h.DrainOutbox()
	link := webtest.ConfirmLink(t, h.URL, h.SMTP.Messages()[1])
	pages := []struct {
		path   string
		status int
	}{
		{"/letters/" + webtest.LetterSlug, http.StatusOK},
		{"/letters/" + webtest.LetterSlug + "?kind=organisation", http.StatusOK},
		{"/letters/" + webtest.LetterSlug + "/check-inbox", http.StatusOK},
		{"/letters/" + webtest.LetterSlug + "/resend", http.StatusOK},
		{link, http.StatusOK},
		{"/privacy", http.StatusOK},
		{"/letters/no-such-letter", http.StatusNotFound},
		{"/confirm/unknown", http.StatusNotFound},
	}
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			res := h.Get(p.path)
			if res.Status != p.status {
				t.Fatalf("status %d, want %d", res.Status, p.status)
			}
			checkPageBasics(t, p.path, res)
		})
	}
}

func TestLetterPageShowsTheFormForEachKind(t *testing.T) {
	h := webtest.New(t)
	labels := func(path string) []string {
		var out []string
		h.Get(path).Doc().Find("form[action*='/sign#'] label").Each(func(_ int, s *goquery.Selection) {
			out = append(out, strings.TrimSpace(s.Contents().First().Text()))
		})
		return out
	}
	individual := strings.Join(labels("/letters/"+webtest.LetterSlug), "|")
	for _, want := range []string{"Full name", "Affiliation", "Country", "Email address", "Show my name"} {
		if !strings.Contains(individual, want) {
			t.Errorf("individual form lacks %q: %s", want, individual)
		}
	}
	organisation := strings.Join(labels("/letters/"+webtest.LetterSlug+"?kind=organisation"), "|")
	for _, want := range []string{"Organisation name", "Organisation website", "Type of organisation", "Country", "Your name", "Your work email address", "privacy notice"} {
		if !strings.Contains(organisation, want) {
			t.Errorf("organisation form lacks %q: %s", want, organisation)
		}
	}
	doc := h.Get("/letters/" + webtest.LetterSlug).Doc()
	if _, ticked := doc.Find("#f-show-name").Attr("checked"); ticked {
		t.Error("show_name is ticked by default")
	}
	if hint := doc.Find("#f-affiliation-hint").Text(); !strings.Contains(hint, "For identification only") {
		t.Errorf("affiliation hint = %q", hint)
	}
	var countries []string
	doc.Find("#f-country option").Each(func(_ int, s *goquery.Selection) { countries = append(countries, s.Text()) })
	if len(countries) != 250 || countries[1] != "Afghanistan" || countries[len(countries)-1] != "Zimbabwe" {
		t.Errorf("country list: %d entries, from %q to %q", len(countries), countries[1], countries[len(countries)-1])
	}
	if h.Get("/privacy").Status != http.StatusOK {
		t.Error("privacy notice missing")
	}
}

func TestLetterPageGroupsSignatoriesByCountry(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	for _, s := range []struct{ email, name, country, kind string }{
		{"a@example.org", "Ada", "GB", "individual"},
		{"b@example.org", "Bea", "DE", "individual"},
		{"c@example.org", "Cem", "DE", "individual"},
		{"d@example.org", "Digital Rights DE", "DE", "organisation"},
	} {
		form := webtest.SignForm(s.email)
		form.Set("name", s.name)
		form.Set("country", s.country)
		form.Set("kind", s.kind)
		if s.kind == "organisation" {
			form.Set("website", "https://digitalrights.example")
			form.Set("org_type", "ngo")
			form.Set("contact_name", "Dana")
		}
		signAndConfirm(t, h, form)
	}
	doc := h.Get("/letters/" + webtest.LetterSlug).Doc()
	var order []string
	doc.Find("[data-groups] section.country h3").Each(func(_ int, s *goquery.Selection) { order = append(order, s.Text()) })
	if strings.Join(order, "|") != "Germany: 3 signatories|United Kingdom: 1 signatory" {
		t.Errorf("countries = %v, want Germany: 3 signatories first", order)
	}
	de := doc.Find("#country-DE")
	if got := de.Find("ul.names").First().Text(); got != "Digital Rights DE" {
		t.Errorf("first list under Germany = %q, want the organisation", got)
	}
	if got := de.Find("ul.names").Last().Text(); got != "Bea, Analytical SocietyCem, Analytical Society" {
		t.Errorf("individuals under Germany = %q", got)
	}
	if got := strings.Join(strings.Fields(doc.Find(".totals-line").Text()), " "); got != "4 signatures 1 organisation 3 individuals 2 countries" {
		t.Errorf("totals = %q", got)
	}
}

// TestCountryHeadingsNeedNoArticle reads the heading of a country on the
// letter page and on the country's own page, in English and Spanish: the
// country's name comes first, then the count in its plural form.
func TestCountryHeadingsNeedNoArticle(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	bob := webtest.SignForm("bob@example.org")
	bob.Set("name", "Bob Babbage")
	signAndConfirm(t, h, bob)
	letter := "/letters/" + webtest.LetterSlug
	for _, c := range []struct{ lang, heading, title string }{
		{"en", "United Kingdom: 2 signatories", "United Kingdom: signatories of “Keep encryption strong” · Undersigned"},
		{"es", "Reino Unido: 2 firmantes", "Reino Unido: firmantes de «Keep encryption strong» · Undersigned"},
	} {
		if got := h.Get(letter + "?lang=" + c.lang).Doc().Find("#country-GB h3").Text(); got != c.heading {
			t.Errorf("%s: heading on the letter page %q, want %q", c.lang, got, c.heading)
		}
		page := h.Get(letter + "/countries/GB?lang=" + c.lang).Doc()
		if got := page.Find("h1").Text(); got != c.heading {
			t.Errorf("%s: heading of the country page %q, want %q", c.lang, got, c.heading)
		}
		if got := page.Find("title").Text(); got != c.title {
			t.Errorf("%s: title of the country page %q, want %q", c.lang, got, c.title)
		}
	}
	if got := h.Get(letter + "/countries/FR").Doc().Find("h1").Text(); got != "France: 0 signatories" {
		t.Errorf("heading of a country nobody signed from: %q", got)
	}
}

func TestClosedLetterTakesNoSignatures(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].ClosesAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	})
	page := h.Get("/letters/" + webtest.LetterSlug)
	if page.Doc().Find("form[action*='/sign#']").Length() != 0 || !strings.Contains(page.Body, "This letter closed on") {
		t.Error("closed letter still shows the sign form")
	}
	res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", webtest.SignForm("ada@example.org"))
	if res.Status != http.StatusForbidden {
		t.Errorf("signing a closed letter: %d, want 403", res.Status)
	}
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("%d signatures stored on a closed letter", n)
	}
}

func TestEmbargoedLetterCollectsButDoesNotShow(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].PublishAt = time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
		c.Letters[0].Review = nil
	})
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	page := h.Get("/letters/" + webtest.LetterSlug)
	if strings.Contains(page.Body, "Ada Lovelace") || !strings.Contains(page.Body, "10 December 2026") {
		t.Errorf("embargoed page shows names or lacks the date:\n%s", page.Body)
	}
	res := h.Get("/api/v1/letters/" + webtest.LetterSlug)
	if res.Status != http.StatusNotFound || !strings.Contains(res.Body, `"code":"not_public"`) {
		t.Errorf("API during embargo: %d %s", res.Status, res.Body)
	}
	h.Clock.Advance(15 * 24 * time.Hour)
	if got := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug); got.Total != 1 {
		t.Errorf("after publication total = %d, want 1", got.Total)
	}
}

// TestEmbargoedCounterAndDownloadsAnswerInTheirOwnFormat asks for the
// embeddable counter and the two downloads of an embargoed letter: the
// counter says in its own small frame when counting starts, and each
// download answers 404 in its own format, not with the HTML error page.
func TestEmbargoedCounterAndDownloadsAnswerInTheirOwnFormat(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].PublishAt = time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
		c.Letters[0].Review = nil
	})
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	letter := "/letters/" + webtest.LetterSlug

	for lang, want := range map[string]string{
		"en": "Counting starts on 10 December 2026, 09:00 UTC.",
		"de": "Die Zählung beginnt am 10. Dezember 2026, 09:00 Uhr UTC.",
	} {
		embed := h.Get(letter + "/embed?lang=" + lang)
		doc := embed.Doc()
		if embed.Status != http.StatusOK || embed.Header.Get("X-Frame-Options") != "" {
			t.Errorf("%s: counter under embargo: %d, X-Frame-Options %q", lang, embed.Status, embed.Header.Get("X-Frame-Options"))
		}
		if got := doc.Find("main.embed .embed-starts").Text(); got != want {
			t.Errorf("%s: counter under embargo says %q, want %q", lang, got, want)
		}
		if doc.Find("[data-events], [data-count], script").Length() != 0 {
			t.Errorf("%s: counter under embargo shows a count or follows the event stream:\n%s", lang, embed.Body)
		}
	}

	csv := h.Get(letter + "/signatories.csv")
	if csv.Status != http.StatusNotFound || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/plain") ||
		csv.Body != "The signatories of this letter are not public yet.\n" {
		t.Errorf("CSV under embargo: %d %q\n%s", csv.Status, csv.Header.Get("Content-Type"), csv.Body)
	}
	res := h.Get(letter + "/signatories.json")
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || res.Status != http.StatusNotFound ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || body.Error.Code != "not_public" || body.Error.Message == "" {
		t.Errorf("JSON under embargo: %d %q %v\n%s", res.Status, res.Header.Get("Content-Type"), err, res.Body)
	}

	h.Clock.Advance(15 * 24 * time.Hour)
	if got := h.Get(letter + "/embed").Doc().Find(`[data-count="total"]`).Text(); got != "1" {
		t.Errorf("counter after publication shows %q, want 1", got)
	}
	if res := h.Get(letter + "/signatories.csv"); res.Status != http.StatusOK || !strings.Contains(res.Body, "Ada Lovelace") {
		t.Errorf("CSV after publication: %d\n%s", res.Status, res.Body)
	}
}

func TestHomeLeadsToTheLetter(t *testing.T) {
	h := webtest.New(t)
	res := h.Get("/")
	if res.Status != http.StatusFound || res.Header.Get("Location") != "/letters/"+webtest.LetterSlug {
		t.Errorf("GET / = %d to %q", res.Status, res.Header.Get("Location"))
	}
}

// TestHomeTitleNamesTheSiteOnce lists two letters: the title names the page
// and then the site, in the reader's language.
func TestHomeTitleNamesTheSiteOnce(t *testing.T) {
	h := webtest.New(t, withSecondLetter)
	for lang, want := range map[string]string{"en": "Open letters · Undersigned", "de": "Offene Briefe · Undersigned"} {
		doc := h.Get("/?lang=" + lang).Doc()
		if got := doc.Find("title").Text(); got != want {
			t.Errorf("%s: title %q, want %q", lang, got, want)
		}
		if n := doc.Find("ul.letters li").Length(); n != 2 {
			t.Errorf("%s: %d letters listed, want 2", lang, n)
		}
	}
}

// withSecondLetter serves a second letter beside the harness's own.
func withSecondLetter(c *config.Config) {
	c.Letters = append(c.Letters, config.Letter{Slug: "second-letter", Title: "Fund public libraries",
		Body: "We ask for libraries.\n", Lang: "en"})
}

func TestStaticFilesAreServed(t *testing.T) {
	h := webtest.New(t)
	res := h.Get("/static/css/site.css")
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
}

// TestStaticDirectoriesAreNotFound asks for the folders under /static, with
// and without the trailing slash, and follows any redirect by hand: each must
// end, within one redirect, at the translated 404 page.
func TestStaticDirectoriesAreNotFound(t *testing.T) {
	h := webtest.New(t)
	for _, path := range []string{"/static", "/static/", "/static/css", "/static/css/", "/static/js/"} {
		t.Run(path, func(t *testing.T) {
			res := h.Get(path, "Accept-Language", "de")
			for hops := 0; res.Status == http.StatusMovedPermanently; hops++ {
				if hops == 1 {
					t.Fatalf("more than one redirect, the last to %q", res.Header.Get("Location"))
				}
				res = h.Get(res.Header.Get("Location"), "Accept-Language", "de")
			}
			if title := res.Doc().Find("title").Text(); res.Status != http.StatusNotFound || !strings.Contains(title, "Seite nicht gefunden") {
				t.Errorf("status %d, title %q; want the German 404 page", res.Status, title)
			}
		})
	}
}

func TestListOrderAndSearchFollowPeoplesExpectations(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	for i, name := range []string{"zeta Person", "Émile Zola", "Bob Builder"} {
		form := webtest.SignForm(fmt.Sprintf("p%d@example.org", i))
		form.Set("name", name)
		form.Set("affiliation", "")
		signAndConfirm(t, h, form)
	}
	signAndConfirm(t, h, orgForm("Zebra Rights", "https://zebra.example", "z@zebra.example", "GB"))
	quiet := webtest.SignForm("q@example.org")
	quiet.Del("show_name")
	quiet.Set("country", "FR")
	signAndConfirm(t, h, quiet)

	list := getJSON[signatoriesJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug+"/signatories")
	if len(list.Signatories) != 4 || list.Signatories[0].Kind != "organisation" {
		t.Fatalf("organisations should come first: %+v", list.Signatories)
	}
	doc := h.Get("/letters/" + webtest.LetterSlug).Doc()
	var names []string
	doc.Find("#country-GB ul.names").Last().Find("li").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if strings.Join(names, "|") != "Bob Builder|Émile Zola|zeta Person" {
		t.Errorf("names in the reader's alphabetical order: %v", names)
	}
	if got := doc.Find("#country-FR .others").Text(); got != "1 person who chose not to be named" {
		t.Errorf("a country with only unnamed signers says %q", got)
	}
	for _, q := range []string{"émile", "ÉMILE", "zola"} {
		found := getJSON[signatoriesJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug+"/signatories?q="+url.QueryEscape(q))
		if len(found.Signatories) != 1 || found.Signatories[0].Name != "Émile Zola" {
			t.Errorf("search %q found %+v", q, found.Signatories)
		}
	}
}

// TestLetterPageIsCompressedForClientsThatTakeGzip fetches the letter page
// and the JSON totals as a browser does (gzip) and as a client that takes
// only plain bytes: both are whole, with their true length, and only the
// first is compressed.
func TestLetterPageIsCompressedForClientsThatTakeGzip(t *testing.T) {
	h := webtest.New(t)
	for _, path := range []string{"/letters/" + webtest.LetterSlug, "/api/v1/letters/" + webtest.LetterSlug} {
		plain := h.Get(path, "Accept-Encoding", "identity")
		packed := h.Get(path, "Accept-Encoding", "gzip, deflate, br")
		for _, res := range []*webtest.Response{plain, packed} {
			if res.Status != http.StatusOK {
				t.Fatalf("GET %s: status %d", path, res.Status)
			}
			if got := res.Header.Get("Content-Length"); got != strconv.Itoa(len(res.Body)) {
				t.Errorf("GET %s: Content-Length %q, body %d bytes", path, got, len(res.Body))
			}
		}
		if enc := plain.Header.Get("Content-Encoding"); enc != "" {
			t.Errorf("GET %s without gzip: Content-Encoding %q", path, enc)
		}
		if strings.Contains(path, "/api/") {
			continue // the totals of an empty letter are too small to compress
		}
		if enc := packed.Header.Get("Content-Encoding"); enc != "gzip" {
			t.Fatalf("GET %s with gzip: Content-Encoding %q, want gzip", path, enc)
		}
		if !slices.Contains(packed.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("GET %s: Vary %q lacks Accept-Encoding", path, packed.Header.Values("Vary"))
		}
		zr, err := gzip.NewReader(strings.NewReader(packed.Body))
		if err != nil {
			t.Fatal(err)
		}
		inflated, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if len(packed.Body) >= len(inflated)/2 || !strings.HasPrefix(string(inflated), "<!DOCTYPE html>") || !strings.Contains(string(inflated), "</html>") {
			t.Errorf("GET %s: %d gzip bytes inflate to %d bytes of %.40q…, want a whole page at least halved", path, len(packed.Body), len(inflated), inflated)
		}
	}
}
