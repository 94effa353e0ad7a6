package deliver

import (
	"html/template"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// bodyBlock is one paragraph of the letter's text as the PDF sets it.
type bodyBlock struct {
	text  string
	style style
}

// bodyBlocks turns the letter's sanitised HTML into paragraphs of plain
// text: headings, paragraphs, list items (with a bullet or their number) and
// quotes, each with its style; inline markup is dropped, its text kept.
func bodyBlocks(body template.HTML) []bodyBlock {
	nodes, err := html.ParseFragment(strings.NewReader(string(body)), &html.Node{Type: html.ElementNode, DataAtom: atom.Div, Data: "div"})
	if err != nil {
		return []bodyBlock{{text: string(body), style: styleText}}
	}
	var out []bodyBlock
	for _, n := range nodes {
		out = appendBlocks(out, n)
	}
	return out
}

// appendBlocks adds the blocks of n.
func appendBlocks(out []bodyBlock, n *html.Node) []bodyBlock {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return appendText(out, textOf(n), styleSub)
	case atom.P, atom.Pre, atom.Blockquote:
		return appendText(out, textOf(n), styleText)
	case atom.Ul, atom.Ol:
		i := 0
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.DataAtom == atom.Li {
				i++
				out = appendText(out, listMarker(n.DataAtom, i)+textOf(c), styleText)
			}
		}
		return out
	}
	if n.Type == html.TextNode {
		return appendText(out, n.Data, styleText)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = appendBlocks(out, c)
	}
	return out
}

// listMarker is the number or bullet before the i-th item of a list.
func listMarker(list atom.Atom, i int) string {
	if list == atom.Ol {
		return strconv.Itoa(i) + ". "
	}
	return "• "
}

// appendText adds text as a block unless it is blank; runs of white space
// become one space, as a browser shows them.
func appendText(out []bodyBlock, text string, st style) []bodyBlock {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return out
	}
	return append(out, bodyBlock{text: text, style: st})
}

// textOf is all the text inside n.
func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.DataAtom == atom.Br {
			b.WriteByte(' ')
		}
		b.WriteString(textOf(c))
	}
	return b.String()
}
