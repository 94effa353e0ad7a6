package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/deliver"
	"github.com/undersigned/undersigned/pkg/deliver/pdftest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// printCountries are 42 countries the seeded letter's signatories come from.
var printCountries = []string{"AR", "AT", "AU", "BE", "BR", "CA", "CH", "CL", "CN", "CO", "CZ", "DE", "DK", "EG", "ES",
	"FI", "FR", "GB", "GH", "GR", "IE", "IL", "IN", "IT", "JP", "KE", "KR", "MA", "MX", "NG", "NL", "NO", "NZ", "PE",
	"PL", "PT", "SE", "SN", "TR", "UA", "US", "ZA"}

// seedPrintLetter publishes 195 organisations and 500 individuals from 42
// countries on the harness's letter; every third individual is unnamed. It
// returns the names the public list must show.
func seedPrintLetter(t testing.TB, h *webtest.Harness) []string {
	return seedSignatories(t, h, 695, 195)
}

// seedSignatories publishes n signatures from 42 countries, the first orgs
// of them organisations, and returns the names the public list must show.
func seedSignatories(t testing.TB, h *webtest.Harness, n, orgs int) []string {
	t.Helper()
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	hash := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	var named []string
	err := h.App.Store.SeedPublished(context.Background(), letter.ID, n, printCountries, h.Clock.Now(), func(i int, sig *store.Signature) {
		sig.EmailHash, sig.TokenHash, sig.ManageHash = hash(fmt.Sprint("e", i)), hash(fmt.Sprint("t", i)), hash(fmt.Sprint("m", i))
		sig.EmailSealed = []byte("sealed")
		sig.Kind, sig.ShowName, sig.OrgType = store.KindIndividual, i%3 != 0, ""
		sig.Name, sig.Affiliation = fmt.Sprintf("Person %03d", i), fmt.Sprintf("University %03d", i)
		if i < orgs {
			sig.Kind, sig.ShowName, sig.OrgType = store.KindOrganisation, true, "ngo"
			sig.Name, sig.Affiliation = fmt.Sprintf("Organisation %03d", i), ""
		}
		if sig.ShowName {
			named = append(named, sig.Name)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return named
}

func TestPrintPageListsEveryPublicNameOnce(t *testing.T) {
	h := webtest.New(t)
	named := seedPrintLetter(t, h)
	res := h.Get("/letters/" + webtest.LetterSlug + "/print")
	if res.Status != http.StatusOK {
		t.Fatalf("print page: %d\n%s", res.Status, res.Body)
	}
	doc := res.Doc()
	if n := doc.Find(".print-names li").Length(); n != len(named) {
		t.Errorf("%d names listed, want %d (every public name, no cap per country)", n, len(named))
	}
	for _, name := range named {
		if n := strings.Count(res.Body, ">"+name+"<"); n != 1 {
			t.Errorf("%q listed %d times, want once", name, n)
		}
	}
	if n := doc.Find(".print-country").Length(); n != len(printCountries) {
		t.Errorf("%d countries, want %d", n, len(printCountries))
	}
	// Countries in the reader's collation: English names, alphabetically.
	var headings []string
	doc.Find(".print-country h3").Each(func(_ int, s *goquery.Selection) { headings = append(headings, s.Text()) })
	if len(headings) < 3 || !strings.HasPrefix(headings[0], "Argentina:") || !strings.HasPrefix(headings[1], "Australia:") ||
		!strings.HasPrefix(headings[len(headings)-1], "United States:") {
		t.Errorf("countries not in collation order: %q", headings)
	}
	if n := strings.Count(res.Body, "for identification only"); n != 1 {
		t.Errorf(`"for identification only" appears %d times, want once`, n)
	}
	if !strings.Contains(res.Body, "other people who chose not to be named") || !strings.Contains(res.Body, "University 200") {
		t.Error("the unnamed individuals or the affiliations are missing")
	}
	if doc.Find("main form").Length() != 0 {
		t.Error("the printable list carries a form")
	}
	if !strings.Contains(res.Body, `href="/static/css/print.css"`) {
		t.Error("the print stylesheet is not linked")
	}
	if href, _ := h.Get("/letters/" + webtest.LetterSlug).Doc().Find(`a[href$="/print"]`).Attr("href"); href != "/letters/"+webtest.LetterSlug+"/print" {
		t.Errorf("the letter page links to %q, want its printable list", href)
	}
}

func TestPrintPageCases(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].Translations = map[string]config.LetterText{"fr": {Title: "Lettre ouverte", Body: "Nous demandons.\n"}}
	})
	path := "/letters/" + webtest.LetterSlug + "/print"
	t.Run("no signatures", func(t *testing.T) {
		res := h.Get(path)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "No signatories yet.") {
			t.Errorf("%d, want the page saying no signatories yet\n%s", res.Status, res.Body)
		}
	})
	t.Run("a language the letter has", func(t *testing.T) {
		res := h.Get(path + "?lang=fr")
		if !strings.Contains(res.Body, "<h1>Lettre ouverte</h1>") || strings.Contains(res.Body, `class="notice"`) {
			t.Errorf("?lang=fr: want the French text without a note\n%s", res.Body)
		}
	})
	t.Run("a language the letter lacks", func(t *testing.T) {
		res := h.Get(path + "?lang=de")
		letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "<h1>"+letter.Title()+"</h1>") ||
			res.Doc().Find("p.notice").Length() != 1 {
			t.Errorf("?lang=de: %d, want the letter's own text with a note\n%s", res.Status, res.Body)
		}
	})
	t.Run("running title", func(t *testing.T) {
		res := h.Get(path + ".css?lang=fr")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `@top-center { content: "Lettre ouverte"`) {
			t.Errorf("print.css: %d %q", res.Status, res.Body)
		}
	})
	t.Run("not public", func(t *testing.T) {
		embargoed := webtest.New(t, func(c *config.Config) { c.Letters[0].PublishAt = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) })
		for _, p := range []string{path, path + ".css"} {
			if res := embargoed.Get(p); res.Status != http.StatusNotFound {
				t.Errorf("%s under embargo: %d, want 404", p, res.Status)
			}
		}
	})
}

// TestConsoleLetterPDFIsTheDeliveredDocument downloads the PDF from the
// console's letter page: its text is the text of the PDF the deliver command
// makes (deliver.Build and deliver.PDF through the app's source), it holds
// the public names, and only admins get it.
func TestConsoleLetterPDFIsTheDeliveredDocument(t *testing.T) {
	h := webtest.New(t)
	named := seedPrintLetter(t, h)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	path := fmt.Sprintf("/admin/letters/%d/letter.pdf", letter.ID)
	res := h.LoginAs("admin@campaign.example", store.RoleAdmin).Get(path)
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("admin: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	doc, err := deliver.Build(t.Context(), h.App.Deliver, letter, letter.Lang)
	if err != nil {
		t.Fatal(err)
	}
	var direct bytes.Buffer
	if err := deliver.PDF(t.Context(), &direct, doc); err != nil {
		t.Fatal(err)
	}
	text := pdftest.Text(t, []byte(res.Body))
	if want := pdftest.Text(t, direct.Bytes()); text != want {
		t.Errorf("the console's PDF reads\n%.500s\nwant the deliver command's\n%.500s", text, want)
	}
	for _, name := range []string{named[0], named[len(named)-1], "University 200"} {
		if !strings.Contains(text, name) {
			t.Errorf("%q is not in the PDF", name)
		}
	}
	if res := h.LoginAs("mod@campaign.example", store.RoleModerator).Get(path); res.Status != http.StatusForbidden {
		t.Errorf("moderator: %d, want 403", res.Status)
	}
	page := h.LoginAs("admin2@campaign.example", store.RoleAdmin).Get(fmt.Sprintf("/admin/letters/%d", letter.ID))
	if href, _ := page.Doc().Find(`a[href$="/letter.pdf"]`).Attr("href"); href != path {
		t.Errorf("the console's letter page links to %q, want %q", href, path)
	}
}
