package web

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// lettersView is the console's list of every letter, drafts and archived
// ones included.
type lettersView struct {
	*Page
	Rows []letterRow
}

// letterRow is one letter in the console's list.
type letterRow struct {
	URL       string
	Title     string
	Slug      string
	State     string
	Dates     []string
	Total     int64
	Languages string
}

// listLetters is the console's page of letters, reached from "Letters" in
// its navigation; admins find "New letter" on it.
func (a *App) listLetters(c echo.Context) error {
	l := a.localizer(c)
	now := a.d.Now()
	v := &lettersView{Page: a.page(c, l.T("admin.letters.title"))}
	for _, letter := range a.d.Letters.All() {
		snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
		if err != nil {
			return err
		}
		v.Rows = append(v.Rows, letterRow{URL: consoleLetterURL(letter.ID), Title: letter.Title(), Slug: letter.Slug,
			State: stateLabel(l, letter.StateAt(now)), Dates: letterDates(l, letter), Total: snap.Totals.Total,
			Languages: languageNames(letter.Languages())})
	}
	return a.render(c, http.StatusOK, "admin_letters", v)
}

// consoleLetterURL is the address of a letter's console page; it goes by id,
// since a draft's slug may change.
func consoleLetterURL(id uint) string { return "/admin/letters/" + strconv.FormatUint(uint64(id), 10) }

func stateLabel(l *i18n.Localizer, s store.LetterState) string {
	return l.T("admin.letter.state." + string(s))
}

// letterDates lists the dates a letter has, each with what happens on it.
func letterDates(l *i18n.Localizer, letter *letters.Letter) []string {
	var out []string
	for _, d := range []struct {
		id string
		at time.Time
	}{
		{"admin.letter.date.opens", letter.OpensAt},
		{"admin.letter.date.publish", letter.PublishAt},
		{"admin.letter.date.closes", letter.ClosesAt},
		{"admin.letter.date.archived", letter.ArchivedAt},
	} {
		if !d.at.IsZero() {
			out = append(out, l.T(d.id, "Date", l.DateTime(d.at)))
		}
	}
	return out
}

// languageName is a language tag named in its own language: "Français".
func languageName(tag string) string { return display.Self.Name(language.Make(tag)) }

func languageNames(tags []string) string {
	names := make([]string, len(tags))
	for i, tag := range tags {
		names[i] = languageName(tag)
	}
	return strings.Join(names, ", ")
}

// newLetterView is the form that writes a new letter, with its preview.
type newLetterView struct {
	*Page
	Fields  []formField
	Review  formField
	Errors  formErrors
	Preview letterPreview
}

// letterPreview is a body rendered as the letter page will show it, or the
// message saying why it cannot be.
type letterPreview struct {
	*Page
	HTML  template.HTML
	Error string
}

// newLetterForm is the new-letter form as posted.
type newLetterForm struct {
	Slug       string   `form:"slug"`
	Title      string   `form:"title"`
	Summary    string   `form:"summary"`
	Recipients string   `form:"recipients"`
	Lang       string   `form:"lang"`
	Body       string   `form:"body"`
	Review     []string `form:"review"`
	Goal       string   `form:"goal"`
	Action     string   `form:"action"` // "preview" or "save"
}

// newLetter is the empty new-letter form (admins only).
func (a *App) newLetter(c echo.Context) error {
	form := newLetterForm{Lang: a.localizer(c).Lang(), Review: []string{string(store.KindOrganisation)}}
	return a.renderNewLetter(c, http.StatusOK, form, nil, letterPreview{})
}

// createLetter previews the new-letter form, or saves it as a draft and
// goes to the letter's page.
func (a *App) createLetter(c echo.Context) error {
	var form newLetterForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	if form.Action == "preview" {
		preview, errs := a.preview(c, form.Body)
		return a.renderNewLetter(c, statusOf(errs), form, errs, preview)
	}
	draft := letters.Draft{
		Settings:   letters.Settings{Slug: form.Slug, Lang: form.Lang, Review: kindsOf(form.Review)},
		TextFields: letters.TextFields{Title: form.Title, Summary: form.Summary, Recipients: form.Recipients, Body: form.Body},
		Goal:       parseGoal(form.Goal),
	}
	letter, err := a.d.LetterConsole.Create(c.Request().Context(), store.StaffActor(currentStaff(c)), draft, a.Languages())
	if errs := letterFieldErrors(err); errs != nil {
		return a.renderNewLetter(c, http.StatusUnprocessableEntity, form, errs, letterPreview{})
	}
	if err != nil {
		return err
	}
	return redirect(c, consoleLetterURL(letter.ID)+"?created=1")
}

// previewForm is what the live preview posts: the body alone.
type previewForm struct {
	Body string `form:"body"`
}

// createPreview renders a body as the letter page will show it, for the
// script that keeps a letter form's preview current as staff type.
func (a *App) createPreview(c echo.Context) error {
	var form previewForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	preview, errs := a.preview(c, form.Body)
	return a.renderPartial(c, statusOf(errs), "admin_letter_new", "letter_preview", preview)
}

// preview renders body with the letters' own sanitising, or says why not.
func (a *App) preview(c echo.Context, body string) (letterPreview, signing.FieldErrors) {
	p := letterPreview{Page: a.page(c, "")}
	html, err := a.d.LetterConsole.Preview(body)
	if errs := letterFieldErrors(err); errs != nil {
		p.Error = p.T(errs["body"])
		return p, errs
	}
	if err != nil {
		a.d.Log.Error("letter preview failed", "err", err)
		p.Error = p.T("error.internal")
		return p, nil
	}
	p.HTML = html
	return p, nil
}

func (a *App) renderNewLetter(c echo.Context, status int, form newLetterForm, errs signing.FieldErrors, preview letterPreview) error {
	l := a.localizer(c)
	fields := prepareFields(append([]formField{
		{Name: "slug", Type: "text", Label: l.T("admin.letter.field.slug"), Hint: l.T("admin.letter.field.slug_hint"), Value: form.Slug, Required: true, MaxLength: 80, Autocomplete: "off"},
		{Name: "lang", Type: "select", Label: l.T("admin.letter.field.lang"), Options: a.languageOptions(a.Languages(), form.Lang), Required: true},
	}, textFields(l, letters.TextFields{Title: form.Title, Summary: form.Summary, Recipients: form.Recipients, Body: form.Body})...), errs, l)
	review := prepareFields([]formField{reviewField(l, form.Review)}, errs, l)[0]
	goal := prepareFields([]formField{{Name: "goal", Type: "number", Label: l.T("admin.letter.field.goal"), Hint: l.T("admin.letter.field.goal_hint"), Value: form.Goal}}, errs, l)
	fields = append(fields, goal...)
	if preview.Page == nil {
		preview.Page = a.page(c, "")
	}
	v := &newLetterView{Page: a.page(c, l.T("admin.letters.new")), Fields: fields, Review: review, Preview: preview}
	v.Errors = errorSummary(append(slices.Clone(fields), review))
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, "admin_letter_new", v)
}

// textFields are the fields of a letter's text in one language.
func textFields(l *i18n.Localizer, t letters.TextFields) []formField {
	return []formField{
		{Name: "title", Type: "text", Label: l.T("admin.letter.field.title"), Value: t.Title, Required: true, MaxLength: 300},
		{Name: "summary", Type: "textarea", Label: l.T("admin.letter.field.summary"), Hint: l.T("admin.letter.field.summary_hint"), Value: t.Summary, Rows: 3},
		{Name: "recipients", Type: "text", Label: l.T("admin.letter.field.recipients"), Hint: l.T("admin.letter.field.recipients_hint"), Value: t.Recipients, MaxLength: 300},
		{Name: "body", Type: "textarea", Label: l.T("admin.letter.field.body"), Hint: l.T("admin.letter.field.body_hint"), Value: t.Body, Required: true, Rows: 16},
	}
}

// reviewField is the checkboxes of the kinds of signer staff review.
func reviewField(l *i18n.Localizer, chosen []string) formField {
	f := formField{Name: "review", Type: "checkbox", Label: l.T("admin.letter.field.review"), Hint: l.T("admin.letter.field.review_hint")}
	for _, k := range store.Kinds() {
		f.Options = append(f.Options, fieldOption{Value: string(k), Label: l.T("admin.letter.review." + string(k)), Selected: slices.Contains(chosen, string(k))})
	}
	return f
}

// languageOptions offers tags, each named in its own language.
func (a *App) languageOptions(tags []string, chosen string) []fieldOption {
	options := make([]fieldOption, 0, len(tags))
	for _, tag := range tags {
		options = append(options, fieldOption{Value: tag, Label: languageName(tag), Selected: tag == chosen})
	}
	return options
}

// letterFieldErrors is the field errors of a *letters.ValidationError, nil
// for any other error.
func letterFieldErrors(err error) signing.FieldErrors {
	var invalid *letters.ValidationError
	if errors.As(err, &invalid) {
		return signing.FieldErrors(invalid.Fields)
	}
	return nil
}

// statusOf is 422 when a form has errors, else 200.
func statusOf(errs signing.FieldErrors) int {
	if len(errs) > 0 {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

func kindsOf(values []string) []store.Kind {
	kinds := make([]store.Kind, len(values))
	for i, v := range values {
		kinds[i] = store.Kind(v)
	}
	return kinds
}

// parseGoal reads the goal field: 0 when empty, -1 (which the console
// refuses, beside the field) when it is not a whole number.
func parseGoal(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}
