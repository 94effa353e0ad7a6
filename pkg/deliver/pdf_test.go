package deliver

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/undersigned/undersigned/pkg/deliver/pdftest"
)

// scriptNames are names in every script the PDF must carry.
var scriptNames = map[string]string{
	"Latin":           "Zoë Müller-Łukasiewicz",
	"Greek":           "Αλέξανδρος Παπαδόπουλος",
	"Cyrillic":        "Анна Владимировна Ковалёва",
	"Arabic":          "منظمة حقوق الإنسان",
	"Arabic lam-alef": "سلام عبد الله",
	"Hebrew":          "ארגון זכויות האדם",
	"Devanagari":      "प्रिया शर्मा",
	"Chinese":         "王小明",
	"Japanese":        "山田花子",
	"Korean":          "김민준",
}

func scriptDocument() *Document {
	d := &Document{Lang: "en", Dir: "ltr", Title: "Letter", Date: "1 December 2026", TotalsLine: "9 signatures",
		Words: Words{Signatories: "Signatories", Organisations: "Organisations", Individuals: "Individuals", Page: "Page {page} of {pages}"}}
	c := Country{Code: "ZZ", Name: "Everywhere", Heading: "Everywhere: 9 signatories"}
	for _, n := range scriptNames {
		c.Individuals = append(c.Individuals, Signatory{Name: n})
	}
	d.Countries = []Country{c}
	return d
}

// TestPDFCarriesNamesInEveryScript extracts the PDF's text and finds each
// name. pdftotext writes Arabic and Hebrew lines between the bidi marks
// U+202B and U+202C and their letters in Unicode's presentation forms (the
// glyphs' own code points), so both sides are compared in NFKC with those
// marks removed.
func TestPDFCarriesNamesInEveryScript(t *testing.T) {
	var buf bytes.Buffer
	if err := PDF(context.Background(), &buf, scriptDocument()); err != nil {
		t.Fatal(err)
	}
	text := comparable(pdftest.Text(t, buf.Bytes()))
	for script, name := range scriptNames {
		if !strings.Contains(text, comparable(name)) {
			t.Errorf("%s name %q not in the PDF's text", script, name)
		}
	}
}

// comparable is s as the PDF's text is compared: NFKC (presentation forms
// become letters, no-break spaces spaces) without bidi embedding marks.
func comparable(s string) string {
	return strings.NewReplacer("\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "").Replace(norm.NFKC.String(s))
}

// TestPDFWrapsLongNamesWithinThePage sets a 300-character organisation name
// with spaces and one without: every word (or marked span) pdftotext finds
// lies within the page's margins, and nothing is lost.
func TestPDFWrapsLongNamesWithinThePage(t *testing.T) {
	d := scriptDocument()
	long := strings.Repeat("International Federation of Associations ", 8)[:300]
	d.Countries[0].Organisations = []Signatory{{Name: long}, {Name: strings.Repeat("Ω", 300)}}
	var buf bytes.Buffer
	if err := PDF(context.Background(), &buf, d); err != nil {
		t.Fatal(err)
	}
	boxes := pdftest.Text(t, buf.Bytes(), "-bbox")
	words := regexp.MustCompile(`xMax="([0-9.]+)"`).FindAllStringSubmatch(boxes, -1)
	if len(words) < 10 {
		t.Fatalf("only %d words found", len(words))
	}
	limit := (pageWidth - marginX) / 25.4 * 72 // points
	for _, w := range words {
		if x, _ := strconv.ParseFloat(w[1], 64); x > limit+1 {
			t.Errorf("a word ends at %.1f pt, beyond the right margin at %.1f pt", x, limit)
		}
	}
	if !strings.Contains(boxes, "International Federation of Associations") || strings.Count(boxes, "Ω") != 300 {
		t.Error("the long names are not all in the PDF")
	}
}

// TestPDFOfALetterWithoutSignatures is a valid one-page PDF that says so.
func TestPDFOfALetterWithoutSignatures(t *testing.T) {
	d := scriptDocument()
	d.Countries, d.Words.NoSignatories = nil, "No signatories yet."
	var buf bytes.Buffer
	if err := PDF(context.Background(), &buf, d); err != nil {
		t.Fatal(err)
	}
	if text := pdftest.Text(t, buf.Bytes()); !strings.Contains(text, "No signatories yet.") {
		t.Errorf("text: %q", text)
	}
	if info := pdftest.Info(t, buf.Bytes()); !strings.Contains(info, "Pages:           1") {
		t.Errorf("pdfinfo:\n%s", info)
	}
}

// BenchmarkPDF10000 makes the PDF of 10,000 signatories in 40 countries,
// names in every script, and prints the time one takes (docs/benchmarks.md).
func BenchmarkPDF10000(b *testing.B) {
	d := scriptDocument()
	d.Countries = nil
	var names []string
	for _, n := range scriptNames {
		names = append(names, n)
	}
	slices.Sort(names)
	for c := range 40 {
		country := Country{Code: fmt.Sprint(c), Name: fmt.Sprint("Country ", c), Heading: fmt.Sprintf("Country %d: 250 signatories", c)}
		for i := range 250 {
			s := Signatory{Name: fmt.Sprintf("%s %d", names[i%len(names)], i), Affiliation: "University of Somewhere"}
			if i < 50 {
				country.Organisations = append(country.Organisations, Signatory{Name: s.Name})
			} else {
				country.Individuals = append(country.Individuals, s)
			}
		}
		d.Countries = append(d.Countries, country)
	}
	var size int
	start := time.Now()
	for b.Loop() {
		var buf bytes.Buffer
		if err := PDF(context.Background(), &buf, d); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	each := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(size)/1e6, "MB/pdf")
	fmt.Printf("PDF of %d signatories: %v, %.1f MB\n", d.Names(), each.Round(time.Millisecond), float64(size)/1e6)
}

// TestPDFOrdersRightToLeftWordsFromTheRight finds, in pdftotext's word
// boxes, the first word of an Arabic and a Hebrew name to the right of the
// next, the space between them kept (separate boxes), and an Arabic
// affiliation after a Latin name to the right of it. pdftotext writes a
// right-to-left word's letters in visual order, so they are reversed back
// (words without a lam-alef ligature, whose two letters it keeps in logical
// order).
func TestPDFOrdersRightToLeftWordsFromTheRight(t *testing.T) {
	d := scriptDocument()
	d.Countries[0].Individuals = append(d.Countries[0].Individuals, Signatory{Name: "Ada Lovelace", Affiliation: "جامعة القاهرة"})
	var buf bytes.Buffer
	if err := PDF(context.Background(), &buf, d); err != nil {
		t.Fatal(err)
	}
	xMin := map[string]float64{}
	boxes := regexp.MustCompile(`<word xMin="([0-9.]+)"[^>]*>([^<]*)</word>`)
	for _, m := range boxes.FindAllStringSubmatch(pdftest.Text(t, buf.Bytes(), "-bbox"), -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		word := comparable(m[2])
		if hasRightToLeft(word) {
			r := []rune(word)
			slices.Reverse(r)
			word = string(r)
		}
		xMin[word] = x
	}
	for _, pair := range [][2]string{{"منظمة", "حقوق"}, {"ארגון", "זכויות"}, {"جامعة", "القاهرة"}, {"Ada", "جامعة"}} {
		right, left := comparable(pair[0]), comparable(pair[1])
		if _, ok := xMin[right]; !ok {
			t.Errorf("no word %q in %v", pair[0], xMin)
			continue
		}
		if _, ok := xMin[left]; !ok {
			t.Errorf("no word %q in %v", pair[1], xMin)
			continue
		}
		if pair[0] == "Ada" {
			right, left = left, right // the affiliation follows the name, to its right
		}
		if xMin[right] <= xMin[left] {
			t.Errorf("%q starts at %.1f, not right of %q at %.1f", right, xMin[right], left, xMin[left])
		}
	}
}
