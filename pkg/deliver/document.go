// Package deliver makes the document a letter is handed to its recipients
// as: the letter in one language, its recipients, the date, the totals and
// every public name by country. The print page (pkg/web) draws a Document as
// HTML for the browser to lay out; PDF draws the same Document without one.
package deliver

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/geo"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/store"
)

// readBatch is how many names one query reads.
const readBatch = 1000

// Source is what Build reads a letter's public list from; pkg/app makes one
// for the server and the deliver command.
type Source struct {
	Store     *store.Store
	Catalog   *i18n.Catalog
	Countries *geo.Countries
	Now       func() time.Time
}

// Document is a letter as delivered, in one language.
type Document struct {
	Lang string // the language of the text (and of Words, when the site speaks it)
	Dir  string // "rtl" or "ltr", for Lang
	// Note says the language asked for has no text and which one is shown
	// instead; empty otherwise.
	Note       string
	Title      string
	Summary    string
	Recipients string
	Body       template.HTML // sanitised, as on the letter page
	Date       string        // when the document was made, for the reader
	Totals     live.Totals
	TotalsLine string // "695 signatures · 195 organisations · …"
	Countries  []Country
	Words      Words
}

// Words are the document's fixed phrases in its language.
type Words struct {
	Signatories    string
	Organisations  string
	Individuals    string
	Identification string // that affiliations are for identification only
	NoSignatories  string
	Printable      string // the title of the printable list
	Page           string // "Page {page} of {pages}", for the PDF's footer
}

// Country is one country's public names.
type Country struct {
	Code          string
	Name          string
	Heading       string // "United Kingdom: 12 signatories"
	Organisations []Signatory
	Individuals   []Signatory
	Others        string // "and 3 other people who chose not to be named", or ""
}

// Signatory is one public name.
type Signatory struct {
	Name        string
	Affiliation string // individuals only; may be empty
}

// Names counts the names the document lists.
func (d *Document) Names() int {
	n := 0
	for _, c := range d.Countries {
		n += len(c.Organisations) + len(c.Individuals)
	}
	return n
}

// Build reads the letter's public list and makes its document in lang (a
// language tag), or in the letter's own language, with a note, when the
// letter has no text in lang. Countries come in the collation of the
// document's language; names in each as the letter page lists them.
func Build(ctx context.Context, src Source, letter *letters.Letter, lang string) (*Document, error) {
	text := letter.In(lang)
	l := src.Catalog.Localizer(lang, text.Lang)
	db := src.Store.Read(ctx)
	rows, err := store.CountsForLetter(db, letter.ID)
	if err != nil {
		return nil, fmt.Errorf("deliver: counts of letter %d: %w", letter.ID, err)
	}
	totals, counts := live.CountsFrom(rows)
	d := &Document{
		Lang: text.Lang, Dir: text.Dir(), Note: fallbackNote(l, lang, text.Lang),
		Title: text.Title, Summary: text.Summary, Recipients: text.Recipients, Body: text.BodyHTML,
		Date: l.DateTime(src.Now()), Totals: totals, TotalsLine: totalsLine(l, totals), Words: words(l),
	}
	rank := src.Countries.Rank(l.Tag)
	slices.SortFunc(counts, func(x, y live.CountryCount) int { return cmp.Compare(rank[x.Code], rank[y.Code]) })
	for _, c := range counts {
		country, err := readCountry(db, src.Countries, l, letter.ID, c)
		if err != nil {
			return nil, err
		}
		d.Countries = append(d.Countries, country)
	}
	return d, nil
}

// readCountry reads every public name of one country.
func readCountry(db *gorm.DB, countries *geo.Countries, l *i18n.Localizer, letterID uint, c live.CountryCount) (Country, error) {
	name := countries.Name(c.Code, l.Tag)
	out := Country{Code: c.Code, Name: name, Heading: l.T("country.heading", "Country", name, "Count", c.Total)}
	for _, kind := range store.Kinds() {
		err := store.EachPublishedOfCountry(db, letterID, c.Code, kind, readBatch, func(batch []store.PublicSignatory) error {
			for _, s := range batch {
				if kind == store.KindOrganisation {
					out.Organisations = append(out.Organisations, Signatory{Name: s.Name})
				} else {
					out.Individuals = append(out.Individuals, Signatory{Name: s.Name, Affiliation: s.Affiliation})
				}
			}
			return nil
		})
		if err != nil {
			return Country{}, fmt.Errorf("deliver: names of letter %d: %w", letterID, err)
		}
	}
	switch {
	case c.Unnamed > 0 && c.Named() == 0:
		out.Others = l.T("signatories.unnamed_only", "Count", c.Unnamed)
	case c.Unnamed > 0:
		out.Others = l.T("signatories.others", "Count", c.Unnamed)
	}
	return out, nil
}

// fallbackNote is the note shown when the letter has no text in asked, or "".
func fallbackNote(l *i18n.Localizer, asked, shown string) string {
	base, _, _ := strings.Cut(asked, "-")
	if asked == "" || asked == shown || base == shown {
		return ""
	}
	return l.T("print.language_fallback", "Language", display.Self.Name(language.Make(shown)))
}

// totalsLine is the totals as one line of text.
func totalsLine(l *i18n.Localizer, t live.Totals) string {
	part := func(id string, n int64) string { return l.Number(n) + " " + l.T(id, "Count", n) }
	return strings.Join([]string{
		part("totals.signatures", t.Total), part("totals.organisations", t.Organisations),
		part("totals.individuals", t.Individuals), part("totals.countries", int64(t.Countries)),
	}, " · ")
}

func words(l *i18n.Localizer) Words {
	return Words{
		Signatories: l.T("signatories.title"), Organisations: l.T("signatories.organisations"),
		Individuals: l.T("signatories.individuals"), Identification: l.T("print.identification"),
		NoSignatories: l.T("print.none"), Printable: l.T("print.title"),
		Page: l.T("print.page", "Page", "{page}", "Pages", "{pages}"),
	}
}

// LetterPDF builds letter's document in lang and writes it as a PDF: what
// a delivery pack holds as letter.pdf.
func LetterPDF(ctx context.Context, src Source, letter *letters.Letter, lang string) ([]byte, error) {
	doc, err := Build(ctx, src, letter, lang)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := PDF(ctx, &buf, doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
