package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/signing"
)

// inboxView is the "check your inbox" page and the form to ask for the link again.
type inboxView struct {
	*Page
	Letter *letters.Letter
	Fields []formField
	Errors formErrors
}

// checkInboxPath is the "check your inbox" page of the letter with slug.
func checkInboxPath(slug string) string { return "/letters/" + slug + "/check-inbox" }

// showCheckInbox is where the sign form leads: it says a mail is on its way,
// without saying whether the address had signed before.
func (a *App) showCheckInbox(c echo.Context) error {
	return a.renderInbox(c, http.StatusOK, "check_inbox", "", nil)
}

// showResend is the form to have the confirmation link sent again.
func (a *App) showResend(c echo.Context) error {
	return a.renderInbox(c, http.StatusOK, "resend", "", nil)
}

type resendForm struct {
	Email string `form:"email"`
}

// createResend sends the link again, or a reminder that the address has signed;
// it answers the same whether or not the address is known, and whether or
// not it is blocked: as on the sign form, the block list is consulted after
// the address is checked and the limits are applied.
func (a *App) createResend(c echo.Context) error {
	letter, err := a.letter(c)
	if err != nil {
		return err
	}
	var form resendForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	if errs := signing.ValidateEmail(form.Email); len(errs) > 0 {
		return a.renderInbox(c, http.StatusUnprocessableEntity, "resend", form.Email, errs)
	}
	if err := a.d.Guard.Allow(c.Request().Context(), abuse.ActionResend, c.RealIP(), form.Email); err != nil {
		return a.renderInbox(c, http.StatusTooManyRequests, "resend", form.Email, signing.FieldErrors{"email": "error.rate_limited"})
	}
	if a.d.Blocks.Blocked(c.RealIP(), form.Email) {
		return redirect(c, checkInboxPath(letter.Slug))
	}
	err = a.d.Signing.Resend(c.Request().Context(), letter.Slug, form.Email)
	var invalid *signing.ValidationError
	if errors.As(err, &invalid) {
		return a.renderInbox(c, http.StatusUnprocessableEntity, "resend", form.Email, invalid.Fields)
	}
	if err != nil {
		return err
	}
	return redirect(c, checkInboxPath(letter.Slug))
}

func (a *App) renderInbox(c echo.Context, status int, page, email string, errs signing.FieldErrors) error {
	letter, err := a.letter(c)
	if err != nil {
		return err
	}
	l := a.localizer(c)
	fields := prepareFields([]formField{{Name: "email", Type: "email", Label: l.T("field.email.label"), Value: email,
		Required: true, MaxLength: 254, Autocomplete: "email"}}, errs, l)
	v := &inboxView{Page: a.page(c, l.T(page+".title")), Letter: letter, Fields: fields, Errors: errorSummary(fields)}
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, page, v)
}
