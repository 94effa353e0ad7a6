package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// consoleLetterView is a letter's page in the console: where it stands and
// what happens next, the buttons that move it, its schedule, goal, texts
// and settings.
type consoleLetterView struct {
	*Page
	Letter      *letters.Letter
	URL         string
	State       string
	Next        string
	Events      []eventButton
	Schedule    []formField
	CanSchedule bool
	Goal        *letters.Goal
	GoalField   formField
	GoalButton  string
	Texts       []textLink
	Settings    []formField
	Review      formField
	PublicURL   string
	AuditURL    string
	Errors      formErrors
	Conflict    string
	Flash       string
	// Packs are the letter's delivery packs, newest first; Delivery is
	// the form that records one as delivered.
	Packs    []packRow
	Delivery []formField
	// Partners are the organisations sharing the letter, the form that
	// adds one, and the letter's signatures per source.
	Partners partnerSection
}

// eventButton is one move the letter can make now, as a button.
type eventButton struct {
	Event letters.Event
	Label string
}

// textLink is the letter in one interface language: its text to edit, or a
// translation to add.
type textLink struct {
	Lang    string
	Name    string
	Title   string
	Version int
	Has     bool
	URL     string
}

// scheduleForm is the schedule form as posted, in UTC, to the minute.
type scheduleForm struct {
	OpensAt   string `form:"opens_at"`
	PublishAt string `form:"publish_at"`
	ClosesAt  string `form:"closes_at"`
}

// settingsForm is the settings form as posted.
type settingsForm struct {
	Slug   string   `form:"slug"`
	Lang   string   `form:"lang"`
	Review []string `form:"review"`
}

// letterPageInput is what a letter's page shows of a form sent back: what
// was typed and what is wrong with it, or the move that was refused.
type letterPageInput struct {
	schedule *scheduleForm
	goal     *string
	settings *settingsForm
	delivery *deliveryForm
	partner  *partnerForm
	newLink  *newPartnerLink // a partner's private link just made, shown once
	errs     signing.FieldErrors
	conflict string
}

// showConsoleLetter is a letter's page in the console; moderators read it,
// admins act on it.
func (a *App) showConsoleLetter(c echo.Context) error {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return err
	}
	return a.renderConsoleLetter(c, http.StatusOK, letter, letterPageInput{})
}

// eventForm is one of the letter page's move buttons as posted.
type eventForm struct {
	Event string `form:"event"`
}

// createLetterEvent makes the letter take a move now: open, publish,
// close, reopen or archive.
func (a *App) createLetterEvent(c echo.Context) error {
	var form eventForm
	letter, err := a.postedLetter(c, &form)
	if err != nil {
		return err
	}
	ev := letters.Event(form.Event)
	if !slices.ContainsFunc(letters.Lifecycle(), func(m letters.Move) bool { return m.Event == ev }) {
		return echo.ErrBadRequest
	}
	err = a.d.LetterConsole.Apply(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, ev)
	return a.afterLetterChange(c, letter, err, letterPageInput{}, "moved")
}

// updateLetterSchedule sets the dates of the moves the letter has still to
// make.
func (a *App) updateLetterSchedule(c echo.Context) error {
	var form scheduleForm
	letter, err := a.postedLetter(c, &form)
	if err != nil {
		return err
	}
	input := letterPageInput{schedule: &form}
	schedule, errs := parseSchedule(form)
	if len(errs) > 0 {
		input.errs = errs
		return a.renderConsoleLetter(c, http.StatusUnprocessableEntity, letter, input)
	}
	err = a.d.LetterConsole.SetSchedule(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, schedule)
	return a.afterLetterChange(c, letter, err, input, "saved")
}

// goalForm is the goal form as posted.
type goalForm struct {
	Goal string `form:"goal"`
}

// updateLetterGoal sets the number of signatures the letter aims for next.
func (a *App) updateLetterGoal(c echo.Context) error {
	var form goalForm
	letter, err := a.postedLetter(c, &form)
	if err != nil {
		return err
	}
	total, err := a.letterTotal(c, letter)
	if err != nil {
		return err
	}
	err = a.d.LetterConsole.SetGoal(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, parseGoal(form.Goal), total)
	return a.afterLetterChange(c, letter, err, letterPageInput{goal: &form.Goal}, "saved")
}

// updateLetterSettings changes the letter's slug, language and the kinds
// of signer staff review.
func (a *App) updateLetterSettings(c echo.Context) error {
	var form settingsForm
	letter, err := a.postedLetter(c, &form)
	if err != nil {
		return err
	}
	s := letters.Settings{Slug: form.Slug, Lang: form.Lang, Review: kindsOf(form.Review)}
	err = a.d.LetterConsole.UpdateSettings(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, s, a.Languages())
	return a.afterLetterChange(c, letter, err, letterPageInput{settings: &form}, "saved")
}

// afterLetterChange answers a change to a letter: back to its page with
// flash on success, the page with the errors beside their fields (422) or
// with the refused move explained (409) otherwise.
func (a *App) afterLetterChange(c echo.Context, letter *letters.Letter, err error, input letterPageInput, flash string) error {
	var refused *letters.MoveError
	switch {
	case errors.Is(err, letters.ErrNotFound):
		return echo.ErrNotFound
	case errors.As(err, &refused):
		l := a.localizer(c)
		input.conflict = l.T("admin.letter.error.move", "Move", l.T("admin.letter.event."+string(refused.Event)),
			"State", stateLabel(l, refused.From))
		return a.renderConsoleLetter(c, http.StatusConflict, a.reloadedLetter(letter), input)
	case letterFieldErrors(err) != nil:
		input.errs = letterFieldErrors(err)
		return a.renderConsoleLetter(c, http.StatusUnprocessableEntity, a.reloadedLetter(letter), input)
	case err != nil:
		return err
	}
	return redirect(c, consoleLetterURL(letter.ID)+"?"+flash+"=1")
}

// reloadedLetter is the letter as the registry has it now.
func (a *App) reloadedLetter(letter *letters.Letter) *letters.Letter {
	if now, ok := a.d.Letters.ByID(letter.ID); ok {
		return now
	}
	return letter
}

// postedLetter is the letter the :id in the path names, its form posted
// bound into form.
func (a *App) postedLetter(c echo.Context, form any) (*letters.Letter, error) {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return nil, err
	}
	if err := bindForm(c, form); err != nil {
		return nil, err
	}
	return letter, nil
}

// consoleLetter is the letter the :id in the path names, or a 404.
func (a *App) consoleLetter(c echo.Context) (*letters.Letter, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, echo.ErrNotFound
	}
	letter, ok := a.d.Letters.ByID(uint(id))
	if !ok {
		return nil, echo.ErrNotFound
	}
	return letter, nil
}

// letterTotal is the letter's count of published signatures.
func (a *App) letterTotal(c echo.Context, letter *letters.Letter) (int64, error) {
	snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
	if err != nil {
		return 0, err
	}
	return snap.Totals.Total, nil
}

func (a *App) renderConsoleLetter(c echo.Context, status int, letter *letters.Letter, in letterPageInput) error {
	l := a.localizer(c)
	now := a.d.Now()
	state := letter.StateAt(now)
	signed, err := a.d.LetterConsole.Signed(c.Request().Context(), letter.ID)
	if err != nil {
		return err
	}
	total, err := a.letterTotal(c, letter)
	if err != nil {
		return err
	}
	v := &consoleLetterView{
		Page: a.page(c, letter.Title()), Letter: letter, URL: consoleLetterURL(letter.ID),
		State: stateLabel(l, state), Next: nextMove(l, letter, state),
		PublicURL: "/letters/" + url.PathEscape(letter.Slug), AuditURL: "/admin/audit?letter=" + url.QueryEscape(letter.Slug),
		Conflict: in.conflict, Flash: letterFlash(l, c.QueryParams()),
	}
	for _, ev := range letters.Events(state) {
		v.Events = append(v.Events, eventButton{Event: ev, Label: l.T("admin.letter.event." + string(ev))})
	}
	v.Schedule, v.CanSchedule = scheduleFields(l, letter, state, in.schedule), state != store.LetterClosed && state != store.LetterArchived
	v.Schedule = prepareFields(v.Schedule, in.errs, l)
	v.Goal, v.GoalField, v.GoalButton = goalFields(l, letter, total, in.goal, in.errs)
	v.Texts = a.textLinks(letter)
	v.Settings, v.Review = a.settingsFields(l, letter, signed, in.settings, in.errs)
	if v.Packs, v.Delivery, err = a.deliveryFields(c, letter.ID, in.delivery, in.errs); err != nil {
		return err
	}
	if v.Partners, err = a.partnerSection(c, l, letter, in); err != nil {
		return err
	}
	v.Errors = errorSummary(slices.Concat(v.Schedule, []formField{v.GoalField}, v.Settings, []formField{v.Review}, v.Delivery, v.Partners.Fields))
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, "admin_letter", v)
}

// nextMove says what happens to a letter next, by itself or by a button.
func nextMove(l *i18n.Localizer, letter *letters.Letter, state store.LetterState) string {
	switch {
	case state == store.LetterDraft && !letter.OpensAt.IsZero():
		return l.T("admin.letter.next.opens", "Date", l.DateTime(letter.OpensAt))
	case state == store.LetterEmbargo && !letter.PublishAt.IsZero():
		return l.T("admin.letter.next.publish", "Date", l.DateTime(letter.PublishAt))
	case state == store.LetterPublic && !letter.ClosesAt.IsZero():
		return l.T("admin.letter.next.closes", "Date", l.DateTime(letter.ClosesAt))
	}
	return l.T("admin.letter.next." + string(state))
}

// dateLayout is how a datetime-local input writes a date, to the minute.
const dateLayout = "2006-01-02T15:04"

// scheduleFields are the schedule's three dates; those of moves the letter
// made already are read-only. posted, when not nil, is what was typed.
func scheduleFields(l *i18n.Localizer, letter *letters.Letter, state store.LetterState, posted *scheduleForm) []formField {
	value := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(dateLayout)
	}
	form := scheduleForm{OpensAt: value(letter.OpensAt), PublishAt: value(letter.PublishAt), ClosesAt: value(letter.ClosesAt)}
	if posted != nil {
		form = *posted
	}
	made := map[store.LetterState]int{store.LetterDraft: 0, store.LetterEmbargo: 1, store.LetterPublic: 2}[state]
	if state == store.LetterClosed || state == store.LetterArchived {
		made = 3
	}
	fields := []formField{
		{Name: "opens_at", Label: l.T("admin.letter.field.opens_at"), Value: form.OpensAt},
		{Name: "publish_at", Label: l.T("admin.letter.field.publish_at"), Value: form.PublishAt},
		{Name: "closes_at", Label: l.T("admin.letter.field.closes_at"), Value: form.ClosesAt},
	}
	for i := range fields {
		fields[i].Type, fields[i].ReadOnly = "datetime-local", i < made
		if fields[i].ReadOnly {
			fields[i].Hint = l.T("admin.letter.field.date_made")
		}
	}
	return fields
}

// parseSchedule reads the schedule form's dates, in UTC.
func parseSchedule(form scheduleForm) (letters.Schedule, signing.FieldErrors) {
	errs := signing.FieldErrors{}
	parse := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(dateLayout, s)
		if err != nil {
			t, err = time.Parse(dateLayout+":05", s)
		}
		if err != nil {
			errs[field] = "admin.letter.error.date_format"
		}
		return t
	}
	s := letters.Schedule{OpensAt: parse("opens_at", form.OpensAt), PublishAt: parse("publish_at", form.PublishAt),
		ClosesAt: parse("closes_at", form.ClosesAt)}
	return s, errs
}

// goalFields are the letter's goal against its total, the goal field and
// the label of its button: "Set the next goal" once the goal is reached.
func goalFields(l *i18n.Localizer, letter *letters.Letter, total int64, posted *string, errs signing.FieldErrors) (*letters.Goal, formField, string) {
	field := formField{Name: "goal", Type: "number", Label: l.T("admin.letter.field.goal"), Hint: l.T("admin.letter.field.goal_hint")}
	button := l.T("admin.letter.goal.set")
	goal, ok := letter.GoalFor(total)
	switch {
	case ok && goal.Met:
		button = l.T("admin.letter.goal.next")
		field.Label = l.T("admin.letter.field.next_goal")
	case ok:
		field.Value = strconv.FormatInt(goal.Target, 10)
	}
	if posted != nil {
		field.Value = *posted
	}
	field = prepareFields([]formField{field}, errs, l)[0]
	if !ok {
		return nil, field, button
	}
	return &goal, field, button
}

// textLinks are the letter's texts in each interface language: to edit, or
// to add.
func (a *App) textLinks(letter *letters.Letter) []textLink {
	var out []textLink
	for _, lang := range a.Languages() {
		link := textLink{Lang: lang, Name: languageName(lang), Has: letter.Has(lang),
			URL: consoleLetterURL(letter.ID) + "/texts/" + lang}
		if link.Has {
			t := letter.In(lang)
			link.Title, link.Version = t.Title, t.Version
		}
		out = append(out, link)
	}
	return out
}

// settingsFields are the settings form's fields: the slug read-only once
// anyone has signed, the letter's own language among those it is written
// in, and the kinds of signer staff review.
func (a *App) settingsFields(l *i18n.Localizer, letter *letters.Letter, signed bool, posted *settingsForm, errs signing.FieldErrors) ([]formField, formField) {
	form := settingsForm{Slug: letter.Slug, Lang: letter.Lang}
	for _, k := range letter.ReviewKinds() {
		form.Review = append(form.Review, string(k))
	}
	if posted != nil {
		form = *posted
	}
	slug := formField{Name: "slug", Type: "text", Label: l.T("admin.letter.field.slug"), Hint: l.T("admin.letter.field.slug_hint"),
		Value: form.Slug, Required: true, MaxLength: 80, Autocomplete: "off"}
	if signed {
		slug.Value, slug.ReadOnly, slug.Hint = letter.Slug, true, l.T("admin.letter.field.slug_locked")
	}
	fields := prepareFields([]formField{slug,
		{Name: "lang", Type: "select", Label: l.T("admin.letter.field.lang"), Hint: l.T("admin.letter.field.lang_hint"),
			Options: a.languageOptions(letter.Languages(), form.Lang), Required: true},
	}, errs, l)
	return fields, prepareFields([]formField{reviewField(l, form.Review)}, errs, l)[0]
}

// letterFlash is the outcome of the last change to a letter, from the
// query its page was redirected to.
func letterFlash(l *i18n.Localizer, q url.Values) string {
	for _, key := range []string{"created", "moved", "saved", "delivered"} {
		if q.Has(key) {
			return l.T("admin.letter.flash." + key)
		}
	}
	return ""
}
