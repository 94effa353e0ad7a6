package letters

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
	"github.com/yuin/goldmark"
)

// Markdown renders letter bodies. goldmark leaves raw HTML out unless told
// otherwise, so a body cannot carry script whoever wrote it.
type Markdown struct{ md goldmark.Markdown }

// NewMarkdown returns the renderer letters use.
func NewMarkdown() *Markdown { return &Markdown{md: goldmark.New()} }

// Render turns a body written in Markdown into HTML safe to show.
func (m *Markdown) Render(body string) (template.HTML, error) {
	var out bytes.Buffer
	if err := m.md.Convert([]byte(body), &out); err != nil {
		return "", fmt.Errorf("letters: render markdown: %w", err)
	}
	return template.HTML(out.String()), nil //nolint:gosec // goldmark escapes raw HTML
}

// Changes shows what changed from one body to the next as readable HTML:
// the Markdown source, words removed in <del> and words added in <ins>,
// paragraphs kept apart.
func Changes(before, after string) template.HTML {
	dmp := diffmatchpatch.New()
	diffs := dmp.DiffMain(before, after, false)
	diffs = dmp.DiffCleanupSemantic(diffs)
	var out strings.Builder
	for _, d := range diffs {
		text := template.HTMLEscapeString(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			out.WriteString("<ins>" + text + "</ins>")
		case diffmatchpatch.DiffDelete:
			out.WriteString("<del>" + text + "</del>")
		default:
			out.WriteString(text)
		}
	}
	return template.HTML(out.String()) //nolint:gosec // every piece is escaped above
}
