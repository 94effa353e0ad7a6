package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/moderation"
)

// bulkForm is a decision on every signature a queue filter matches: posted
// by the queue's "all matching" button to the preview, then by the
// preview's confirmation with what the preview counted. The filter comes
// in the same form, as the queue's parameters.
type bulkForm struct {
	Action string `form:"action"`
	Reason string `form:"reason"`
	Note   string `form:"note"`
	Count  string `form:"count"`
	MaxID  string `form:"max_id"`
	AsOf   string `form:"as_of"`
}

// bulkPreviewView says what a decision by filter would do before it is
// taken: the decision, the filter in words, how many signatures it matches.
type bulkPreviewView struct {
	*Page
	Form      bulkForm
	Action    string
	Reason    string
	Terms     []filterTerm
	Selection moderation.Selection
	Carry     url.Values
	Back      string
}

// filterTerm is one field of the queue's filter, in words.
type filterTerm struct {
	Label string
	Value string
}

// previewBulkDecision counts the signatures the queue's filter matches on
// every page and asks to confirm the decision on them all.
func (a *App) previewBulkDecision(c echo.Context) error {
	form, filter, letter, carried, err := a.bindBulkForm(c)
	if err != nil {
		return err
	}
	d := moderation.Decision{Action: moderation.Action(form.Action), Reason: form.Reason, Note: form.Note}
	if err := a.d.Moderator.Validate(d); err != nil {
		return a.decisionError(c, err, "/admin?"+carried.Encode())
	}
	sel, err := a.d.Moderator.PreviewSelection(c.Request().Context(), filter)
	if err != nil {
		return err
	}
	l := a.localizer(c)
	form.Count, form.MaxID, form.AsOf = strconv.FormatInt(sel.Count, 10), strconv.FormatUint(sel.MaxID, 10), sel.AsOf.Format(time.RFC3339Nano)
	v := &bulkPreviewView{Page: a.page(c, l.T("admin.bulk_preview.title")), Form: form, Selection: sel, Carry: carried,
		Action: l.T("admin.action." + form.Action), Terms: filterTerms(l, a.queueFilters(l, filter, letter)),
		Back: "/admin?" + carried.Encode()}
	if reason, ok := a.d.Moderator.Reason(form.Reason); ok && d.Action == moderation.ActionReject {
		v.Reason = reason.Text
	}
	return a.render(c, http.StatusOK, "admin_bulk_preview", v)
}

// createBulkDecision starts the decision the preview counted, on the
// signatures it counted, and follows it on its progress page.
func (a *App) createBulkDecision(c echo.Context) error {
	form, filter, _, carried, err := a.bindBulkForm(c)
	if err != nil {
		return err
	}
	count, errCount := strconv.ParseInt(form.Count, 10, 64)
	maxID, errID := strconv.ParseUint(form.MaxID, 10, 64)
	asOf, errTime := time.Parse(time.RFC3339Nano, form.AsOf)
	if errors.Join(errCount, errID, errTime) != nil {
		return echo.ErrBadRequest
	}
	sel := moderation.Selection{Filter: filter, Count: count, MaxID: maxID, AsOf: asOf}
	d := moderation.Decision{Action: moderation.Action(form.Action), Reason: form.Reason, Note: form.Note}
	id, err := a.d.Moderator.StartDecision(c.Request().Context(), currentStaff(c), sel, d)
	if err != nil {
		return a.decisionError(c, err, "/admin?"+carried.Encode())
	}
	return redirect(c, "/admin/decisions/"+strconv.Itoa(id))
}

// bindBulkForm reads a bulk decision's form and the queue filter it
// carries (see postedQueueFilter).
func (a *App) bindBulkForm(c echo.Context) (bulkForm, moderation.Filter, letterChoice, url.Values, error) {
	var form bulkForm
	if err := bindForm(c, &form); err != nil {
		return form, moderation.Filter{}, letterChoice{}, nil, err
	}
	filter, letter, carried, err := a.postedQueueFilter(c)
	return form, filter, letter, carried, err
}

// postedQueueFilter reads the queue filter a console form carries, with its
// parameters as posted; 400 when it is not one the queue offers.
func (a *App) postedQueueFilter(c echo.Context) (moderation.Filter, letterChoice, url.Values, error) {
	carried := carriedFilter(c.Request().PostForm)
	filter, letter, ok := a.queueFilter(carried)
	if !ok || letter.Error != "" {
		return moderation.Filter{}, letter, nil, echo.ErrBadRequest
	}
	return filter, letter, carried, nil
}

// decisionError answers a decision that cannot be taken as asked: 422 with
// the reason and a way back, or 400 for an action the console never offers.
func (a *App) decisionError(c echo.Context, err error, back string) error {
	switch {
	case errors.Is(err, moderation.ErrNoSelection), errors.Is(err, moderation.ErrUnknownReason), errors.Is(err, moderation.ErrTooMany):
		return a.renderNotice(c, http.StatusUnprocessableEntity, a.localizer(c).T("admin.error."+errorName(err)), safeNext(back))
	case errors.Is(err, moderation.ErrUnknownAction):
		return echo.ErrBadRequest
	}
	return err
}

// filterTerms puts the queue's filter form in words: each field's label with
// the option chosen, or what was typed, or "any".
func filterTerms(l *i18n.Localizer, fields []formField) []filterTerm {
	terms := make([]filterTerm, 0, len(fields))
	for _, f := range fields {
		value := f.Value
		for _, o := range f.Options {
			if o.Selected {
				value = o.Label
			}
		}
		if value == "" {
			value = l.T("admin.filter.any")
		}
		terms = append(terms, filterTerm{Label: f.Label, Value: value})
	}
	return terms
}
