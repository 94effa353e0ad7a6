package web

import (
	"net/http"
	"net/url"

	"github.com/undersigned/undersigned/pkg/i18n"
)

// letterChoice is the letter a console page is limited to, read from
// ?letter=slug.
type letterChoice struct {
	ID uint // 0: every letter
	// Error is the message id shown beside the filter when no letter has
	// the slug asked for.
	Error string
}

// chooseLetter reads the letter a console page is limited to from its slug;
// an empty slug means every letter.
func (a *App) chooseLetter(slug string) letterChoice {
	if slug == "" {
		return letterChoice{}
	}
	letter, ok := a.d.Letters.BySlug(slug)
	if !ok {
		return letterChoice{Error: "admin.filter.error.letter"}
	}
	return letterChoice{ID: letter.ID}
}

// status is the status of a page filtered by the choice: 422 when the
// letter asked for is unknown.
func (c letterChoice) status() int {
	if c.Error != "" {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

// letterField is the select "Letter" of a console filter form: anyLabel
// first (every letter), then each letter, the chosen one selected, with the
// message beside it when the letter asked for is unknown.
func (a *App) letterField(l *i18n.Localizer, anyLabel string, choice letterChoice) formField {
	options := []fieldOption{{Value: "", Label: anyLabel}}
	for _, letter := range a.d.Letters.All() {
		options = append(options, fieldOption{Value: letter.Slug, Label: letter.Title(), Selected: letter.ID == choice.ID})
	}
	field := formField{Name: "letter", Type: "select", Label: l.T("admin.filter.letter"), Options: options}
	if choice.Error != "" {
		field.Error = l.T(choice.Error)
	}
	return field
}

// letterLink is a letter as console pages name it: its title and slug, and
// the address of its public page.
type letterLink struct {
	Title string
	Slug  string
	URL   string
}

// letterLinkOf names the letter with id; the zero letterLink when there is
// no such letter.
func (a *App) letterLinkOf(id uint) letterLink {
	letter, ok := a.d.Letters.ByID(id)
	if !ok {
		return letterLink{}
	}
	return letterLink{Title: letter.Title(), Slug: letter.Slug, URL: "/letters/" + url.PathEscape(letter.Slug)}
}

// showLetters tells console tables whether to have a letter column: only
// where there is more than one letter.
func (a *App) showLetters() bool { return len(a.d.Letters.All()) > 1 }
