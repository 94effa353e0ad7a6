package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// signatureView is one signature in the console: its details, the form to
// correct its public fields, the actions that apply to it and its history.
type signatureView struct {
	*Page
	Row     queueRow
	Letter  letterLink
	Fields  []formField
	Errors  formErrors
	Actions []moderation.Action
	Reasons []config.Reason
	History []auditRow
	Flash   string
	Return  string
	// Erase is the checkbox of the erasure form, offered to admins while
	// the signature is not withdrawn.
	Erase    formField
	CanErase bool
	// Media are its statement and logo with their reviews; nil for none.
	Media *mediaView
	// Carry is the filter of the queue the signature was opened from, for
	// "… and open the next".
	Carry url.Values
}

// editForm is the form that corrects a signature's public fields.
type editForm struct {
	Name        string `form:"name"`
	Affiliation string `form:"affiliation"`
	Website     string `form:"website"`
	OrgType     string `form:"org_type"`
	Country     string `form:"country"`
}

// showSignature is a signature's page in the console.
func (a *App) showSignature(c echo.Context) error {
	item, err := a.consoleSignature(c)
	if err != nil {
		return err
	}
	f := editForm{Name: item.Name, Affiliation: item.Affiliation, Website: item.Website, OrgType: item.OrgType, Country: item.Country}
	return a.renderSignature(c, http.StatusOK, item, f, nil)
}

// updateSignature saves corrections to a signature's public fields.
func (a *App) updateSignature(c echo.Context) error {
	item, err := a.consoleSignature(c)
	if err != nil {
		return err
	}
	var f editForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	fields := store.PublicFields{Name: f.Name, Affiliation: f.Affiliation, Website: f.Website, OrgType: f.OrgType, Country: f.Country}
	errs, err := a.d.Moderator.Edit(c.Request().Context(), currentStaff(c), item.ID, fields)
	var refused *store.MoveError
	switch {
	case errors.Is(err, moderation.ErrNotFound): // withdrawn meanwhile
		return echo.ErrNotFound
	case errors.As(err, &refused):
		return a.renderRefusal(c, refused, "/admin/signatures/"+strconv.FormatUint(item.ID, 10))
	case err != nil:
		return err
	}
	if len(errs) > 0 {
		return a.renderSignature(c, http.StatusUnprocessableEntity, item, f, errs)
	}
	return redirect(c, withQuery(signatureURL(item.ID, carriedFilter(c.QueryParams())), "saved", "1"))
}

// erasureForm is an admin's confirmation that the signer asked for their
// signature to be erased.
type erasureForm struct {
	Sure string `form:"sure"`
}

// createErasure erases a signature on the signer's request (by email, say),
// as their own withdrawal would, once the admin ticked that they asked.
func (a *App) createErasure(c echo.Context) error {
	item, err := a.consoleSignature(c)
	if err != nil {
		return err
	}
	var f erasureForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	if !checked(f.Sure) {
		form := editForm{Name: item.Name, Affiliation: item.Affiliation, Website: item.Website, OrgType: item.OrgType, Country: item.Country}
		return a.renderSignature(c, http.StatusUnprocessableEntity, item, form, signing.FieldErrors{"sure": "error.erase.sure"})
	}
	err = a.d.Signing.Erase(c.Request().Context(), store.StaffActor(currentStaff(c)), item.ID)
	switch {
	case errors.Is(err, signing.ErrSignatureNotFound):
		return echo.ErrNotFound
	case errors.Is(err, signing.ErrErasedIncompletely):
		a.d.Log.Warn("erased, but a copy is left for now", "signature", item.ID, "err", err)
	case err != nil:
		return err
	}
	return redirect(c, "/admin?erased=1") // an unconfirmed signature erased is gone
}

func (a *App) consoleSignature(c echo.Context) (moderation.Item, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return moderation.Item{}, echo.ErrNotFound
	}
	item, err := a.d.Moderator.Get(c.Request().Context(), id)
	if errors.Is(err, moderation.ErrNotFound) {
		return moderation.Item{}, echo.ErrNotFound
	}
	return item, err
}

func (a *App) renderSignature(c echo.Context, status int, item moderation.Item, f editForm, errs signing.FieldErrors) error {
	l := a.localizer(c)
	history, _, err := a.d.Moderator.AuditLog(c.Request().Context(), moderation.AuditFilter{SignatureID: item.ID})
	if err != nil {
		return err
	}
	m, err := a.d.Moderator.Media(c.Request().Context(), item.ID)
	if err != nil {
		return err
	}
	source, err := a.d.Partners.Directory(c.Request().Context()).Of(item.LetterID, item.Ref)
	if err != nil {
		return err
	}
	fields := prepareFields(a.editFields(l, item.Kind, f), errs, l)
	title := item.Name
	if title == "" { // erased
		title = l.T("status." + string(item.Status))
	}
	carry := carriedFilter(c.QueryParams())
	v := &signatureView{
		Page: a.page(c, title),
		Row: queueRow{Item: item, CountryName: a.d.Countries.Name(item.Country, l.Tag), StatusLabel: l.T("status." + string(item.Status)),
			Confirmed: formatTime(item.ConfirmedAt), FlagNotes: flagNotes(l, item), Source: sourceText(l, source, &item.Signature)},
		Letter:  a.letterLinkOf(item.LetterID),
		Fields:  fields,
		Errors:  errorSummary(fields),
		Reasons: a.d.Moderator.Reasons(),
		Flash:   flashMessage(l, c.QueryParams()),
		Return:  signatureURL(item.ID, carry),
		Carry:   carry,
		Media:   mediaViewOf(m),
	}
	for _, e := range history {
		v.History = append(v.History, auditRow{AuditEvent: e, Changes: a.changeRows(l, &e)})
	}
	v.Erase = prepareFields([]formField{{Name: "sure", Type: "checkbox", Label: l.T("admin.erase.sure"), Required: true}}, errs, l)[0]
	v.CanErase = item.Status != store.StatusWithdrawn
	v.Errors = append(v.Errors, errorSummary([]formField{v.Erase})...)
	v.HasErrors = len(v.Errors) > 0
	for _, act := range moderation.Actions() {
		if moderation.CanApply(act, item.Status) {
			v.Actions = append(v.Actions, act)
		}
	}
	return a.render(c, status, "admin_signature", v)
}

func (a *App) editFields(l *i18n.Localizer, kind store.Kind, f editForm) []formField {
	fields := []formField{{Name: "name", Type: "text", Label: l.T("admin.field.name"), Value: f.Name, Required: true, MaxLength: 200}}
	if kind == store.KindOrganisation {
		fields = append(fields,
			formField{Name: "website", Type: "text", Label: l.T("field.website.label"), Value: f.Website, Required: true, MaxLength: 300},
			formField{Name: "org_type", Type: "select", Label: l.T("field.org_type.label"), Required: true, Options: orgTypeOptions(l, f.OrgType)})
	} else {
		fields = append(fields, formField{Name: "affiliation", Type: "text", Label: l.T("field.affiliation.label"), Value: f.Affiliation, MaxLength: 200})
	}
	return append(fields, formField{Name: "country", Type: "select", Label: l.T("field.country.label"), Required: true, Options: a.countryOptions(l, f.Country)})
}

// formatTime shows a time in the console (UTC, to the minute).
func formatTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
