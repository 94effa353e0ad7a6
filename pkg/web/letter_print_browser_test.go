package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/undersigned/undersigned/pkg/deliver/pdftest"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestPrintedListHasRunningTitleAndPageNumbers prints the printable list of
// 695 signatories with Chromium, with the page size and margins of its
// stylesheet: every page carries the letter's title at its top and "N/M" at
// its foot (CSS margin boxes), and nothing of the site's navigation, footer
// or forms is printed.
func TestPrintedListHasRunningTitleAndPageNumbers(t *testing.T) {
	h := webtest.New(t)
	seedPrintLetter(t, h)
	browser := webtest.Chrome(t)
	if err := chromedp.Do(browser, chromedp.Navigate(h.URL+"/letters/"+webtest.LetterSlug+"/print")); err != nil {
		t.Fatal(err)
	}
	yes := true
	res, err := chromedp.Call(browser, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
	if err != nil {
		t.Fatal(err)
	}
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	pages := strings.Split(pdftest.Text(t, res.Data), "\f")
	pages = pages[:len(pages)-1] // pdftotext ends the last page with a form feed too
	if len(pages) < 3 {
		t.Fatalf("%d pages, want the 528 names over several", len(pages))
	}
	for i, p := range pages {
		if !strings.Contains(p, letter.Title()) {
			t.Errorf("page %d lacks the running title", i+1)
		}
		if want := fmt.Sprintf("%d/%d", i+1, len(pages)); !strings.Contains(strings.ReplaceAll(p, " ", ""), want) {
			t.Errorf("page %d lacks its number %q", i+1, want)
		}
		for _, chrome := range []string{"Privacy notice", "Skip to main content", "Back to the letter"} {
			if strings.Contains(p, chrome) {
				t.Errorf("page %d prints the site's %q", i+1, chrome)
			}
		}
	}
}
