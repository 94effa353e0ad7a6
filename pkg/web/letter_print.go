package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/deliver"
	"github.com/undersigned/undersigned/pkg/letters"
)

// printView is the printable list: the delivered document, laid out by the
// browser.
type printView struct {
	*Page
	Letter *letters.Letter
	Doc    *deliver.Document
}

// showPrint is the printable list the letter page links to: the letter and
// every public name, for staff to print and hand over and for anyone to
// check against. ?lang= picks the text; without it, the text the letter page
// shows the reader.
func (a *App) showPrint(c echo.Context) error {
	letter, err := a.publicLetter(c)
	if err != nil {
		return err
	}
	doc, err := a.deliveredDocument(c, letter, letter.In(a.localizer(c).Lang()).Lang)
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, "print", &printView{Page: a.page(c, doc.Title), Letter: letter, Doc: doc})
}

// deliveredDocument is the letter's delivered document in the language
// ?lang= asks for, or in fallback without one.
func (a *App) deliveredDocument(c echo.Context, letter *letters.Letter, fallback string) (*deliver.Document, error) {
	lang := c.QueryParam("lang")
	if lang == "" {
		lang = fallback
	}
	src := deliver.Source{Store: a.d.Store, Catalog: a.d.Catalog, Countries: a.d.Countries, Now: a.d.Now}
	return deliver.Build(c.Request().Context(), src, letter, lang)
}

// showPrintStyle is the printable list's own stylesheet: the letter's title
// as the running header of every printed page. It is a file rather than
// inline style, which the Content-Security-Policy forbids.
func (a *App) showPrintStyle(c echo.Context) error {
	letter, err := a.publicLetter(c)
	if err != nil {
		return err
	}
	title := letter.In(c.QueryParam("lang")).Title
	css := "@page { @top-center { content: " + cssString(title) +
		`; font: 9pt system-ui, "Noto Sans", sans-serif; color: #4a4a4a; } }` + "\n"
	c.Response().Header().Set("Cache-Control", "public, max-age=60")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(css))
}

// cssString quotes s as a CSS string: quotes, backslashes and control or
// markup characters become escapes, so a title cannot end the rule.
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`"\<>&`, r) {
			fmt.Fprintf(&b, `\%x `, r)
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// downloadLetterPDF is the console letter page's "Download the letter as
// PDF": the printable list as a PDF made on the server, the same document
// `undersigned deliver SLUG` writes. ?lang= picks the text. Staff may
// download it before the list is public, to prepare the delivery.
func (a *App) downloadLetterPDF(c echo.Context) error {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return err
	}
	doc, err := a.deliveredDocument(c, letter, letter.Lang)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := deliver.PDF(c.Request().Context(), &buf, doc); err != nil {
		return err
	}
	startDownload(c, letter.Slug+"-"+doc.Lang+".pdf", "application/pdf", "private, no-store")
	_, err = c.Response().Write(buf.Bytes())
	return err
}
