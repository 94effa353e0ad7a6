package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// letterTextView is the form that edits a letter's text in one language,
// or adds it as a translation, with its preview. Once anyone has signed,
// it asks what kind of change an edit is.
type letterTextView struct {
	*Page
	LetterURL   string
	LetterTitle string
	Action      string // where the form posts
	Fields      []formField
	Signed      bool
	Change      formField
	Note        formField
	Errors      formErrors
	Preview     letterPreview
	Version     int // the version now current; 0 for a translation not yet added
	Flash       string
}

// textForm is the text form as posted.
type textForm struct {
	Title      string `form:"title"`
	Summary    string `form:"summary"`
	Recipients string `form:"recipients"`
	Body       string `form:"body"`
	Change     string `form:"change"`
	Note       string `form:"note"`
	Action     string `form:"action"` // "preview" or "save"
}

// showLetterText is the letter's text in :lang to edit, or, when it has
// none in it, an empty form that adds the translation.
func (a *App) showLetterText(c echo.Context) error {
	letter, lang, err := a.consoleLetterText(c)
	if err != nil {
		return err
	}
	var form textForm
	source, err := a.d.LetterConsole.Source(c.Request().Context(), letter.ID, lang)
	switch {
	case err == nil:
		form = textForm{Title: source.Title, Summary: source.Summary, Recipients: source.Recipients, Body: source.Body}
	case !errors.Is(err, letters.ErrNotFound):
		return err
	}
	return a.renderLetterText(c, http.StatusOK, letter, lang, form, nil, letterPreview{})
}

// updateLetterText previews the text form, or saves it: over the current
// version until anyone has signed, as a new version after.
func (a *App) updateLetterText(c echo.Context) error {
	letter, lang, err := a.consoleLetterText(c)
	if err != nil {
		return err
	}
	var form textForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	if form.Action == "preview" {
		preview, errs := a.preview(c, form.Body)
		return a.renderLetterText(c, statusOf(errs), letter, lang, form, errs, preview)
	}
	edit := letters.TextEdit{Lang: lang, Change: store.TextChange(form.Change), Note: form.Note,
		TextFields: letters.TextFields{Title: form.Title, Summary: form.Summary, Recipients: form.Recipients, Body: form.Body}}
	saved, err := a.d.LetterConsole.SaveText(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, edit, a.Languages())
	if errs := letterFieldErrors(err); errs != nil {
		return a.renderLetterText(c, http.StatusUnprocessableEntity, a.reloadedLetter(letter), lang, form, errs, letterPreview{})
	}
	if errors.Is(err, letters.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	target := consoleLetterURL(letter.ID) + "/texts/" + lang + "?version=" + strconv.Itoa(saved.Version)
	if saved.Notified {
		target += "&notified=1"
	}
	return redirect(c, target)
}

// consoleLetterText is the letter and the interface language the path
// names, or a 404.
func (a *App) consoleLetterText(c echo.Context) (*letters.Letter, string, error) {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return nil, "", err
	}
	lang := c.Param("lang")
	if !slices.Contains(a.Languages(), lang) {
		return nil, "", echo.ErrNotFound
	}
	return letter, lang, nil
}

func (a *App) renderLetterText(c echo.Context, status int, letter *letters.Letter, lang string, form textForm, errs signing.FieldErrors, preview letterPreview) error {
	l := a.localizer(c)
	signed, err := a.d.LetterConsole.Signed(c.Request().Context(), letter.ID)
	if err != nil {
		return err
	}
	title := l.T("admin.letter.text.add_title", "Language", languageName(lang))
	v := &letterTextView{LetterURL: consoleLetterURL(letter.ID), LetterTitle: letter.Title(), Signed: signed, Preview: preview,
		Action: consoleLetterURL(letter.ID) + "/texts/" + lang}
	if letter.Has(lang) {
		title = l.T("admin.letter.text.edit_title", "Language", languageName(lang))
		v.Version = letter.In(lang).Version
	}
	v.Page = a.page(c, title)
	if v.Preview.Page == nil {
		v.Preview.Page = v.Page
	}
	v.Fields = prepareFields(textFields(l, letters.TextFields{Title: form.Title, Summary: form.Summary, Recipients: form.Recipients, Body: form.Body}), errs, l)
	change := formField{Name: "change", Type: "radio", Label: l.T("admin.letter.text.change"), Required: true}
	for _, k := range []store.TextChange{store.TextMinor, store.TextMaterial} {
		change.Options = append(change.Options, fieldOption{Value: string(k), Label: l.T("admin.letter.text.change_" + string(k)), Selected: form.Change == string(k)})
	}
	note := formField{Name: "note", Type: "textarea", Label: l.T("admin.letter.text.note"), Hint: l.T("admin.letter.text.note_hint"), Value: form.Note, Rows: 3}
	extra := prepareFields([]formField{change, note}, errs, l)
	v.Change, v.Note = extra[0], extra[1]
	v.Errors = errorSummary(v.Fields)
	if signed {
		v.Errors = append(v.Errors, errorSummary(extra)...)
	}
	v.HasErrors = len(v.Errors) > 0
	if n, err := strconv.Atoi(c.QueryParam("version")); err == nil {
		v.Flash = l.T("admin.letter.text.saved", "Version", n)
		if c.QueryParams().Has("notified") {
			v.Flash += " " + l.T("admin.letter.text.notified")
		}
	}
	return a.render(c, status, "admin_letter_text", v)
}
