package deliver

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tdewolff/canvas"
	"github.com/undersigned/undersigned/pkg/deliver/internal/pdf"
)

// The PDF's page: A4, in millimetres, with margins that also print on US
// Letter paper scaled to fit.
const (
	pageWidth    = 210.0
	pageHeight   = 297.0
	marginX      = 20.0
	marginTop    = 22.0
	marginBottom = 20.0
	textWidth    = pageWidth - 2*marginX
)

// Type sizes in points.
const (
	sizeTitle   = 18.0
	sizeHeading = 13.0
	sizeSmall   = 8.0
	sizeText    = 10.0
)

var muted = color.RGBA{0x4a, 0x4a, 0x4a, 0xff}

// PDF writes doc as a PDF to w: A4 pages with the letter's title at the top
// of each and "Page N of M" at the foot, its fonts embedded (subset to the
// glyphs used) and its text selectable. It needs no browser: the text is
// shaped and laid out in Go (github.com/tdewolff/canvas). ctx stops it
// between pages.
func PDF(ctx context.Context, w io.Writer, doc *Document) error {
	f, err := loadFonts()
	if err != nil {
		return err
	}
	l := &layout{ctx: ctx, doc: doc, fonts: f, faces: map[faceKey]*canvas.FontFace{}}
	l.newPage()
	if err := l.document(); err != nil {
		return err
	}
	out := pdf.New(w, pageWidth, pageHeight, nil)
	out.SetInfo(doc.Title, doc.Words.Printable, "", "", "Undersigned")
	out.SetLang(doc.Lang)
	for i, page := range l.pages {
		l.frame(page, i+1, len(l.pages))
		if i > 0 {
			out.NewPage(pageWidth, pageHeight)
		}
		page.RenderTo(out)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("deliver: write PDF: %w", err)
	}
	return nil
}

// layout flows the document's blocks down the pages.
type layout struct {
	ctx   context.Context
	doc   *Document
	fonts *fonts
	faces map[faceKey]*canvas.FontFace
	pages []*canvas.Canvas
	page  *canvas.Context
	y     float64 // the top of the next block, from the page's foot
}

type faceKey struct {
	script script
	size   float64
	bold   bool
	muted  bool
}

// style is how one block is set.
type style struct {
	size   float64
	bold   bool
	muted  bool
	before float64 // space above, in mm
}

var (
	styleTitle   = style{size: sizeTitle, bold: true}
	styleHeading = style{size: sizeHeading, bold: true, before: 6}
	styleSub     = style{size: sizeText, bold: true, before: 3}
	styleText    = style{size: sizeText, before: 2}
	styleName    = style{size: sizeText, before: 0.6}
	styleNote    = style{size: sizeText, muted: true, before: 2}
)

// document lays out the whole document.
func (l *layout) document() error {
	d := l.doc
	if d.Note != "" {
		l.block(d.Note, styleNote)
	}
	l.block(d.Title, styleTitle)
	if d.Recipients != "" {
		l.block(d.Recipients, styleText)
	}
	for _, b := range bodyBlocks(d.Body) {
		l.block(b.text, b.style)
	}
	l.block(d.Date, styleNote)
	l.block(d.Words.Signatories, styleHeading)
	l.block(d.TotalsLine, styleText)
	if len(d.Countries) == 0 {
		l.block(d.Words.NoSignatories, styleText)
		return nil
	}
	l.block(d.Words.Identification, styleNote)
	for _, c := range d.Countries {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		l.country(c)
	}
	return nil
}

// country lays out one country: its heading is kept with what follows.
func (l *layout) country(c Country) {
	l.keepWithNext(c.Heading, styleHeading)
	if len(c.Organisations) > 0 {
		l.keepWithNext(l.doc.Words.Organisations, styleSub)
		for _, s := range c.Organisations {
			l.block(s.Name, styleName)
		}
	}
	if len(c.Individuals) > 0 {
		l.keepWithNext(l.doc.Words.Individuals, styleSub)
		for _, s := range c.Individuals {
			line := s.Name
			if s.Affiliation != "" {
				line += ", " + s.Affiliation
			}
			l.block(line, styleName)
		}
	}
	if c.Others != "" {
		l.block(c.Others, styleNote)
	}
}

// keepWithNext sets a heading, starting a new page first when the heading
// and a line after it would not fit on this one.
func (l *layout) keepWithNext(s string, st style) {
	t := l.text(s, st, textWidth)
	if l.y-st.before-t.height()-2*st.size*0.3528*1.4 < marginBottom {
		l.newPage()
	}
	l.place(t, st)
}

// block sets one paragraph across the text width, on a new page when it
// does not fit on this one.
func (l *layout) block(s string, st style) {
	l.place(l.text(s, st, textWidth), st)
}

func (l *layout) place(t block, st style) {
	h := t.height()
	if l.y-st.before-h < marginBottom && l.y < pageHeight-marginTop {
		l.newPage()
	} else {
		l.y -= st.before
	}
	t.draw(l.page, marginX, l.y)
	l.y -= h
}

func (l *layout) newPage() {
	c := canvas.New(pageWidth, pageHeight)
	l.pages = append(l.pages, c)
	l.page = canvas.NewContext(c)
	l.y = pageHeight - marginTop
}

// frame adds the running title and the page number to a laid-out page.
func (l *layout) frame(page *canvas.Canvas, n, total int) {
	ctx := canvas.NewContext(page)
	st := style{size: sizeSmall, muted: true}
	l.text(l.doc.Title, st, textWidth).draw(ctx, marginX, pageHeight-10)
	number := strings.NewReplacer("{page}", strconv.Itoa(n), "{pages}", strconv.Itoa(total)).Replace(l.doc.Words.Page)
	l.textAligned(number, st, textWidth, canvas.Center).draw(ctx, marginX, marginBottom-8)
}

// text shapes s in the document's direction: aligned to the start of the
// line, right for right-to-left languages.
func (l *layout) text(s string, st style, width float64) block {
	align := canvas.Left
	if l.doc.Dir == "rtl" {
		align = canvas.Right
	}
	return l.textAligned(s, st, width, align)
}

// textAligned lays s out, each run of it in its script's font: text with
// right-to-left letters word by word (bidi.go), other text whole, a word
// longer than the line broken.
func (l *layout) textAligned(s string, st style, width float64, align canvas.TextAlign) block {
	if hasRightToLeft(s) {
		return l.words(s, st, width, align)
	}
	t := l.shape(s, st, width, align)
	if w := t.Bounds().W(); w > width { // a word longer than the line
		perLine := max(1, int(float64(utf8.RuneCountInString(s))*width/w*0.9))
		t = l.shape(breakLongWords(s, perLine), st, width, align)
	}
	return canvasBlock{t}
}

// breakLongWords breaks the words of s longer than perLine characters
// with a new line every perLine characters (never before a combining mark),
// as CSS's overflow-wrap: anywhere does.
func breakLongWords(s string, perLine int) string {
	words := strings.Split(s, " ")
	for i, word := range words {
		runes := []rune(word)
		if len(runes) <= perLine {
			continue
		}
		var b strings.Builder
		n := 0
		for _, r := range runes {
			if n >= perLine && !unicode.Is(unicode.M, r) {
				b.WriteByte('\n')
				n = 0
			}
			b.WriteRune(r)
			n++
		}
		words[i] = b.String()
	}
	return strings.Join(words, " ")
}

func (l *layout) shape(s string, st style, width float64, align canvas.TextAlign) *canvas.Text {
	rt := canvas.NewRichText(l.face(scriptLatin, st))
	for _, r := range runs(s) {
		rt.WriteFace(l.face(r.script, st), r.text)
	}
	return rt.ToText(width, 0, align, canvas.Top, &canvas.TextOptions{Linebreaker: canvas.GreedyLinebreaker{}})
}

func (l *layout) face(s script, st style) *canvas.FontFace {
	key := faceKey{s, st.size, st.bold, st.muted}
	if f, ok := l.faces[key]; ok {
		return f
	}
	weight := 0
	if st.bold {
		weight = 1
	}
	fill := color.RGBA{0, 0, 0, 0xff}
	if st.muted {
		fill = muted
	}
	f := l.fonts[s][weight].Face(st.size, fill)
	l.faces[key] = f
	return f
}

// hasRightToLeft reports whether s holds Arabic or Hebrew letters.
func hasRightToLeft(s string) bool {
	for _, r := range s {
		if sc, _ := scriptOf(r); sc == scriptArabic || sc == scriptHebrew {
			return true
		}
	}
	return false
}
