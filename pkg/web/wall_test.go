package web_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// publishSeeded approves n seeded organisations from country.
func publishSeeded(t *testing.T, h *webtest.Harness, n int, country string) {
	t.Helper()
	ids := h.SeedPending(n, country)
	b := h.LoginAs(fmt.Sprintf("mod-%s@campaign.example", country), store.RoleModerator)
	for start := 0; start < len(ids); start += 1000 {
		if res := decide(t, b, "approve", ids[start:min(start+1000, len(ids))]); res.Status != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.Status)
		}
	}
}

func TestCountryPagePaginatesPastTwoHundredAndNumbersAreFormatted(t *testing.T) {
	h := webtest.New(t)
	publishSeeded(t, h, 1205, "KE")
	letter := h.Get("/letters/" + webtest.LetterSlug).Doc()
	if got := letter.Find(`[data-count="total"]`).Text(); got != "1,205" {
		t.Errorf("total shown as %q, want 1,205", got)
	}
	group := letter.Find("#country-KE")
	if n := group.Find("li").Length(); n != 50 {
		t.Errorf("the letter page lists %d names for Kenya, want the first 50", n)
	}
	more, _ := group.Find(".more a").Attr("href")
	if more != "/letters/"+webtest.LetterSlug+"/countries/KE" || group.Find(".more").Text() != "Kenya: see all, 1,155 more" {
		t.Errorf("link to the rest: %q %q", more, group.Find(".more").Text())
	}

	page := h.Get(more).Doc()
	if n := page.Find("ul.names li").Length(); n != 200 {
		t.Errorf("country page 1 lists %d, want 200", n)
	}
	if first := page.Find("ul.names li").First().Text(); first != "Org 0000" {
		t.Errorf("first name %q", first)
	}
	next, _ := page.Find(`a[rel="next"]`).Attr("href")
	last := h.Get(strings.Replace(next, "page=2", "page=7", 1)).Doc()
	if n := last.Find("ul.names li").Length(); n != 5 || last.Find(`a[rel="next"]`).Length() != 0 {
		t.Errorf("last page lists %d, next link %d", n, last.Find(`a[rel="next"]`).Length())
	}
	if res := h.Get("/letters/" + webtest.LetterSlug + "/countries/XX"); res.Status != http.StatusNotFound {
		t.Errorf("unknown country: %d", res.Status)
	}
}

func TestSearchWorksWithoutJavaScript(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	grace := webtest.SignForm("grace@example.org")
	grace.Set("name", "Grace Hopper")
	grace.Set("country", "US")
	signAndConfirm(t, h, grace)
	doc := h.Get("/letters/" + webtest.LetterSlug + "?q=grace").Doc()
	results := doc.Find("ul.search-results li")
	if results.Length() != 1 || !strings.Contains(results.Text(), "Grace Hopper") || !strings.Contains(results.Text(), "United States") {
		t.Errorf("search results: %q", results.Text())
	}
	if v, _ := doc.Find("#f-q").Attr("value"); v != "grace" {
		t.Errorf("the search box lost the query: %q", v)
	}
	if doc.Find("section.country").Length() != 0 {
		t.Error("the country groups are shown with search results")
	}
	if n := h.Get("/letters/" + webtest.LetterSlug + "?filter_country=GB").Doc().Find("ul.search-results li").Length(); n != 1 {
		t.Errorf("country filter: %d", n)
	}
	if n := h.Get("/letters/" + webtest.LetterSlug + "?filter_kind=organisation").Doc().Find("ul.search-results li").Length(); n != 0 {
		t.Errorf("kind filter: %d", n)
	}
	if res := h.Get("/letters/" + webtest.LetterSlug + "?filter_country=XX"); res.Status != http.StatusBadRequest {
		t.Errorf("bad filter: %d", res.Status)
	}
}

// TestPublicReadsAreServedFromMemory proves that, once the snapshot is built,
// the letter page, the JSON totals and the counter run no database query.
func TestPublicReadsAreServedFromMemory(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].Review = nil
		// The hub's poll for other servers' changes, a read every interval,
		// must not fall among the reads this test counts.
		c.Live.Interval = time.Hour
	})
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	paths := []string{"/letters/" + webtest.LetterSlug, "/api/v1/letters/" + webtest.LetterSlug, "/letters/" + webtest.LetterSlug + "/embed"}
	for _, p := range paths {
		h.Get(p) // builds the snapshot
	}
	queries := 0
	db := h.App.Store.Read(t.Context())
	err := db.Callback().Query().Before("gorm:query").Register("test:count", func(*gorm.DB) { queries++ })
	if err != nil {
		t.Fatal(err)
	}
	err = db.Callback().Raw().Before("gorm:raw").Register("test:count_raw", func(*gorm.DB) { queries++ })
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if res := h.Get(p); res.Status != http.StatusOK {
			t.Fatalf("%s: %d", p, res.Status)
		}
	}
	if queries != 0 {
		t.Errorf("%d database queries for %d public reads, want 0", queries, len(paths))
	}
	// The change is read by the thank-you page already, which shows the count.
	signAndConfirm(t, h, webtest.SignForm("bob@example.org"))
	if got := h.Get(paths[0]).Doc().Find(`strong[data-count="total"]`).Text(); got != "2" {
		t.Errorf("letter page total after a change = %q, want 2: the snapshot was not rebuilt", got)
	}
	if got := totals(t, h); got.Total != 2 {
		t.Errorf("total after the change: %d", got.Total)
	}
}

func TestAPICachingAndCORS(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	path := "/api/v1/letters/" + webtest.LetterSlug
	first := h.Get(path)
	etag := first.Header.Get("ETag")
	if etag == "" || !strings.Contains(first.Header.Get("Cache-Control"), "max-age=") || first.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("headers: %v", first.Header)
	}
	if res := h.Get(path, "If-None-Match", etag); res.Status != http.StatusNotModified || res.Body != "" {
		t.Errorf("conditional GET: %d", res.Status)
	}
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	if res := h.Get(path, "If-None-Match", etag); res.Status != http.StatusOK || res.Header.Get("ETag") == etag {
		t.Errorf("after a change: %d, etag %s", res.Status, res.Header.Get("ETag"))
	}
	list := h.Get(path + "/signatories?q=ada")
	if list.Header.Get("ETag") == "" || list.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("signatories headers: %v", list.Header)
	}
	if res := h.Get(path+"/signatories?q=ada", "If-None-Match", list.Header.Get("ETag")); res.Status != http.StatusNotModified {
		t.Errorf("conditional signatories: %d", res.Status)
	}
}

func TestOpenDataDownloads(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	quiet := webtest.SignForm("quiet@example.org")
	quiet.Set("name", "Quiet Person")
	quiet.Del("show_name")
	signAndConfirm(t, h, quiet)
	signAndConfirm(t, h, orgForm("=Formula Org", "https://formula.example", "x@formula.example", "DE"))

	res := h.Get("/letters/" + webtest.LetterSlug + "/signatories.csv")
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", res.Status, res.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != "kind,name,affiliation,website,organisation_type,country,published_at" {
		t.Fatalf("csv rows: %v", rows)
	}
	if rows[2][1] != "'=Formula Org" {
		t.Errorf("formula not defused: %q", rows[2][1])
	}
	for _, leak := range []string{"Quiet Person", "example.org", "Kim Park"} {
		if strings.Contains(res.Body, leak) {
			t.Errorf("the CSV contains %q", leak)
		}
	}
	var list []map[string]string
	jsonRes := h.Get("/letters/" + webtest.LetterSlug + "/signatories.json")
	if err := json.Unmarshal([]byte(jsonRes.Body), &list); err != nil {
		t.Fatalf("json: %v\n%s", err, jsonRes.Body)
	}
	if len(list) != 2 || list[0]["name"] != "Ada Lovelace" || list[1]["country_name"] != "Germany" {
		t.Errorf("json: %v", list)
	}
}

func TestLetterPageHasShareMetadataAndLinks(t *testing.T) {
	h := webtest.New(t)
	doc := h.Get("/letters/" + webtest.LetterSlug).Doc()
	for _, prop := range []string{"og:title", "og:url", "og:type"} {
		if v, _ := doc.Find(`meta[property="` + prop + `"]`).Attr("content"); v == "" {
			t.Errorf("no %s", prop)
		}
	}
	if v, _ := doc.Find(`meta[name="twitter:card"]`).Attr("content"); v != "summary" {
		t.Errorf("twitter:card = %q", v)
	}
	if n := doc.Find(".share-links a").Length(); n < 3 {
		t.Errorf("%d share links", n)
	}
	if doc.Find("iframe, script[src^='http'], img[src^='http']").Length() != 0 {
		t.Error("the page loads something from another site")
	}
}
