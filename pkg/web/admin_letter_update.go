package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// letterUpdateView is the form where an admin writes an update to the
// letter's signers who asked to be kept informed: a subject and a Markdown
// body per language the letter is written in, each with its preview.
type letterUpdateView struct {
	*Page
	LetterURL   string
	LetterTitle string
	Action      string
	Texts       []updateLanguage
	Errors      formErrors
	Flash       string
}

// updateLanguage is the update's fields and preview in one language.
type updateLanguage struct {
	Lang    string
	Name    string // the language, named in itself
	Own     bool   // the letter's own language, whose text is required
	Subject formField
	Body    formField
	Preview letterPreview
}

// updateForm is the update form as posted; the texts are read per
// language (subject_<lang>, body_<lang>).
type updateForm struct {
	Action string `form:"action"` // "preview" or "send"
}

// showLetterUpdate is the empty update form, or after a send, the form
// saying the update is on its way.
func (a *App) showLetterUpdate(c echo.Context) error {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return err
	}
	return a.renderLetterUpdate(c, http.StatusOK, letter, nil, nil, false)
}

// createLetterUpdate previews the update form, or sends the update.
func (a *App) createLetterUpdate(c echo.Context) error {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return err
	}
	var form updateForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	texts := updateTexts(c, letter)
	if form.Action == "preview" {
		return a.renderLetterUpdate(c, http.StatusOK, letter, texts, nil, true)
	}
	_, err = a.d.LetterUpdates.Send(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, texts)
	if errs := letterFieldErrors(err); errs != nil {
		return a.renderLetterUpdate(c, http.StatusUnprocessableEntity, letter, texts, errs, false)
	}
	if errors.Is(err, letters.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return redirect(c, consoleLetterURL(letter.ID)+"/update?sent=1")
}

// updateTexts reads the posted texts, one per language of the letter.
func updateTexts(c echo.Context, letter *letters.Letter) []letters.UpdateText {
	form := c.Request().PostForm
	var texts []letters.UpdateText
	for _, lang := range letter.Languages() {
		texts = append(texts, letters.UpdateText{Lang: lang, Subject: form.Get("subject_" + lang), Body: form.Get("body_" + lang)})
	}
	return texts
}

func (a *App) renderLetterUpdate(c echo.Context, status int, letter *letters.Letter, texts []letters.UpdateText, errs signing.FieldErrors, preview bool) error {
	l := a.localizer(c)
	v := &letterUpdateView{Page: a.page(c, l.T("admin.update.title")), LetterURL: consoleLetterURL(letter.ID), LetterTitle: letter.Title(),
		Action: consoleLetterURL(letter.ID) + "/update"}
	var fields []formField
	for i, lang := range letter.Languages() {
		var text letters.UpdateText
		if i < len(texts) {
			text = texts[i]
		}
		own := lang == letter.Lang
		fs := prepareFields([]formField{
			{Name: "subject_" + lang, Type: "text", Label: l.T("admin.update.subject"), Value: text.Subject, Required: own, MaxLength: 200},
			{Name: "body_" + lang, Type: "textarea", Label: l.T("admin.update.body"), Hint: l.T("admin.letter.field.body_hint"), Value: text.Body, Required: own, Rows: 10},
		}, errs, l)
		u := updateLanguage{Lang: lang, Name: languageName(lang), Own: own, Subject: fs[0], Body: fs[1], Preview: letterPreview{Page: v.Page}}
		if preview {
			u.Preview, _ = a.preview(c, text.Body)
		}
		v.Texts, fields = append(v.Texts, u), append(fields, fs...)
	}
	v.Errors = errorSummary(fields)
	v.HasErrors = len(v.Errors) > 0
	if c.QueryParams().Has("sent") {
		v.Flash = l.T("admin.update.sent")
	}
	return a.render(c, status, "admin_letter_update", v)
}
