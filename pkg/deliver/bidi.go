package deliver

import (
	"slices"
	"strings"

	"github.com/tdewolff/canvas"
)

// block is text laid out and ready to draw at a top-left corner.
type block interface {
	height() float64
	draw(ctx *canvas.Context, x, top float64)
}

// canvasBlock is text canvas laid out whole: everything without right-to-left
// letters.
type canvasBlock struct{ t *canvas.Text }

func (b canvasBlock) height() float64 { return b.t.Bounds().H() }

func (b canvasBlock) draw(ctx *canvas.Context, x, top float64) { ctx.DrawText(x, top, b.t) }

// wordsBlock is text with right-to-left letters, laid out word by word.
// canvas shapes each word right, but orders the words of a right-to-left
// line wrongly (it moves a space to the line's end, or reverses the words
// when they are joined by no-break spaces), so the words are placed here:
// lines broken between words in their logical order, then each line's words
// ordered for display by a word-level bidi (placeWords).
type wordsBlock struct {
	lines []wordLine
	h     float64
}

// wordLine is one line of a wordsBlock, its words left to right.
type wordLine struct {
	words  []*canvas.Text
	xs     []float64 // each word's left edge, from the block's
	height float64
}

func (b *wordsBlock) height() float64 { return b.h }

func (b *wordsBlock) draw(ctx *canvas.Context, x, top float64) {
	for _, line := range b.lines {
		for i, w := range line.words {
			ctx.DrawText(x+line.xs[i], top, w)
		}
		top -= line.height
	}
}

// word is one word of a right-to-left text, shaped.
type word struct {
	t   *canvas.Text
	w   float64
	rtl bool
}

// words lays out s, which holds right-to-left letters, within width; the
// paragraph's direction is that of its first letter.
func (l *layout) words(s string, st style, width float64, align canvas.TextAlign) block {
	space := l.shape(" ", st, width, canvas.Left).Bounds().W()
	if space == 0 {
		space = st.size * 0.3528 * 0.26 // a quarter em, in mm
	}
	paragraphRTL := paragraphDirection(s)
	var ws []word
	prevRTL := paragraphRTL
	for _, f := range strings.Fields(s) {
		rtl, strong := directionOf(f)
		if !strong {
			rtl = prevRTL // digits and punctuation go the way of the word before
		}
		prevRTL = rtl
		t := l.shape(f, st, width, canvas.Left)
		ws = append(ws, word{t: t, w: t.Bounds().W(), rtl: rtl})
	}
	b := &wordsBlock{}
	for _, line := range breakWords(ws, space, width) {
		wl := placeWords(line, space, paragraphRTL, width, align)
		b.lines = append(b.lines, wl)
		b.h += wl.height
	}
	return b
}

// breakWords fills lines greedily with words in logical order.
func breakWords(ws []word, space, width float64) [][]word {
	var lines [][]word
	var line []word
	used := 0.0
	for _, w := range ws {
		if len(line) > 0 && used+space+w.w > width {
			lines, line, used = append(lines, line), nil, 0
		}
		if len(line) > 0 {
			used += space
		}
		line, used = append(line, w), used+w.w
	}
	return append(lines, line)
}

// placeWords orders a line's words for display and places them: in a
// right-to-left paragraph the words run from the right, except that a run of
// left-to-right words keeps its own order; in a left-to-right paragraph, a
// run of right-to-left words is reversed.
func placeWords(line []word, space float64, paragraphRTL bool, width float64, align canvas.TextAlign) wordLine {
	var visual []word
	for start := 0; start < len(line); {
		end := start + 1
		for end < len(line) && line[end].rtl == line[start].rtl {
			end++
		}
		run := slices.Clone(line[start:end])
		if run[0].rtl {
			slices.Reverse(run)
		}
		visual = append(visual, run...)
		start = end
	}
	if paragraphRTL { // the runs themselves go from the right
		visual = reverseRuns(visual)
	}
	out := wordLine{}
	x, total := 0.0, 0.0
	for i, w := range visual {
		if i > 0 {
			total += space
		}
		total += w.w
	}
	switch align {
	case canvas.Right:
		x = width - total
	case canvas.Center:
		x = (width - total) / 2
	}
	for _, w := range visual {
		out.words, out.xs = append(out.words, w.t), append(out.xs, x)
		x += w.w + space
		out.height = max(out.height, w.t.Bounds().H())
	}
	return out
}

// reverseRuns reverses the order of the runs of same-direction words in
// visual, each run keeping its own order.
func reverseRuns(visual []word) []word {
	var runs [][]word
	for start := 0; start < len(visual); {
		end := start + 1
		for end < len(visual) && visual[end].rtl == visual[start].rtl {
			end++
		}
		runs = append(runs, visual[start:end])
		start = end
	}
	slices.Reverse(runs)
	return slices.Concat(runs...)
}

// directionOf is the direction of the first letter of s, and whether s has
// a letter that decides it.
func directionOf(s string) (rtl, strong bool) {
	for _, r := range s {
		if sc, ok := scriptOf(r); ok {
			return sc == scriptArabic || sc == scriptHebrew, true
		}
	}
	return false, false
}

// paragraphDirection is true when s's first letter is right-to-left.
func paragraphDirection(s string) bool {
	rtl, _ := directionOf(s)
	return rtl
}
