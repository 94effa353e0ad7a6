package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/staff"
	"github.com/undersigned/undersigned/pkg/store"
)

type staffView struct {
	*Page
	Members []store.Staff
	Fields  []formField
	Errors  formErrors
	Flash   string
}

type staffForm struct {
	Email    string `form:"email"`
	Role     string `form:"role"`
	Password string `form:"password"`
}

// showStaff lists staff accounts and offers to add one (admins only).
func (a *App) showStaff(c echo.Context) error {
	return a.renderStaff(c, http.StatusOK, staffForm{Role: string(store.RoleModerator)}, nil)
}

// createStaff adds a staff account.
func (a *App) createStaff(c echo.Context) error {
	var form staffForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	_, err := a.d.Staff.Add(c.Request().Context(), store.StaffActor(currentStaff(c)), form.Email, store.Role(form.Role), form.Password)
	if field, id := staffFieldError(err); field != "" {
		return a.renderStaff(c, http.StatusUnprocessableEntity, form, map[string]string{field: id})
	}
	if err != nil {
		return err
	}
	return redirect(c, "/admin/staff?saved=1")
}

type disableForm struct {
	Email string `form:"email"`
}

// disableStaff disables an account and ends its sessions.
func (a *App) disableStaff(c echo.Context) error {
	var form disableForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	_, err := a.d.Staff.Disable(c.Request().Context(), store.StaffActor(currentStaff(c)), form.Email)
	if errors.Is(err, staff.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return redirect(c, "/admin/staff?saved=1")
}

// staffFieldError names the field a staff.Add error is about, and its message id.
func staffFieldError(err error) (field, id string) {
	switch {
	case errors.Is(err, staff.ErrInvalidEmail):
		return "email", "error.email.invalid"
	case errors.Is(err, staff.ErrEmailTaken):
		return "email", "admin.staff.error.taken"
	case errors.Is(err, staff.ErrInvalidRole):
		return "role", "admin.staff.error.role"
	case errors.Is(err, staff.ErrWeakPassword):
		return "password", "admin.staff.error.password"
	}
	return "", ""
}

func (a *App) renderStaff(c echo.Context, status int, form staffForm, errs map[string]string) error {
	l := a.localizer(c)
	members, err := a.d.Staff.List(c.Request().Context())
	if err != nil {
		return err
	}
	roles := []fieldOption{}
	for _, r := range []store.Role{store.RoleModerator, store.RoleAdmin} {
		roles = append(roles, fieldOption{Value: string(r), Label: l.T("role." + string(r)), Selected: string(r) == form.Role})
	}
	fields := prepareFields([]formField{
		{Name: "email", Type: "email", Label: l.T("admin.staff.email"), Value: form.Email, Required: true, Autocomplete: "off"},
		{Name: "role", Type: "select", Label: l.T("admin.staff.role"), Options: roles, Required: true},
		{Name: "password", Type: "password", Label: l.T("admin.staff.password"), Hint: l.T("admin.staff.password_hint"), Required: true, Autocomplete: "new-password"},
	}, errs, l)
	v := &staffView{Page: a.page(c, l.T("admin.staff.title")), Members: members, Fields: fields, Errors: errorSummary(fields), Flash: flashMessage(l, c.QueryParams())}
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, "admin_staff", v)
}
