package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/staff"
	"github.com/undersigned/undersigned/pkg/store"
)

type accountView struct {
	*Page
	Fields []formField
	Errors formErrors
	Flash  string
}

type accountForm struct {
	Digest string `form:"digest"`
}

// showAccount is the page where a staff member, of either role, chooses how
// often they are mailed a digest of the signatures awaiting review; the
// console's navigation and every digest link to it.
func (a *App) showAccount(c echo.Context) error {
	return a.renderAccount(c, http.StatusOK, accountForm{Digest: string(currentStaff(c).Digest)}, nil)
}

// updateAccount saves the staff member's digest choice.
func (a *App) updateAccount(c echo.Context) error {
	var form accountForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	err := a.d.Staff.SetDigest(c.Request().Context(), currentStaff(c), store.Digest(form.Digest))
	if errors.Is(err, staff.ErrInvalidDigest) {
		return a.renderAccount(c, http.StatusUnprocessableEntity, form, map[string]string{"digest": "admin.account.error.digest"})
	}
	if err != nil {
		return err
	}
	return redirect(c, "/admin/account?saved=1")
}

func (a *App) renderAccount(c echo.Context, status int, form accountForm, errs map[string]string) error {
	l := a.localizer(c)
	var choices []fieldOption
	for _, d := range store.Digests() {
		choices = append(choices, fieldOption{Value: string(d), Label: l.T("digest." + string(d)), Selected: string(d) == form.Digest})
	}
	fields := prepareFields([]formField{
		{Name: "digest", Type: "select", Label: l.T("admin.account.digest"), Hint: l.T("admin.account.digest_hint"), Options: choices, Required: true},
	}, errs, l)
	v := &accountView{Page: a.page(c, l.T("admin.account.title")), Fields: fields, Errors: errorSummary(fields), Flash: flashMessage(l, c.QueryParams())}
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, "admin_account", v)
}
