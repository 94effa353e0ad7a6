package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

type exportView struct {
	*Page
	Fields []formField
}

type exportForm struct {
	Letter        string `form:"letter"`
	IncludeEmails string `form:"include_emails"`
}

// showExport offers a CSV download of a letter's signatures; admins may ask
// for contact emails too.
func (a *App) showExport(c echo.Context) error {
	l := a.localizer(c)
	letters := []fieldOption{}
	for _, letter := range a.d.Letters.All() {
		letters = append(letters, fieldOption{Value: letter.Slug, Label: letter.Title()})
	}
	fields := []formField{{Name: "letter", Type: "select", Label: l.T("admin.export.letter"), Options: letters, Required: true}}
	page := a.page(c, l.T("admin.export.title"))
	if page.IsAdmin() {
		fields = append(fields, formField{Name: "include_emails", Type: "checkbox", Label: l.T("admin.export.include_emails"), Hint: l.T("admin.export.include_emails_hint")})
	}
	return a.render(c, http.StatusOK, "admin_export", &exportView{Page: page, Fields: fields})
}

// createExport streams the CSV. Asking for emails is refused to moderators,
// and recorded in the audit log for admins.
func (a *App) createExport(c echo.Context) error {
	var form exportForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	letter, ok := a.d.Letters.BySlug(form.Letter)
	if !ok {
		return echo.ErrBadRequest
	}
	includeEmails := checked(form.IncludeEmails)
	if includeEmails && currentStaff(c).Role != store.RoleAdmin {
		return echo.ErrForbidden
	}
	name := fmt.Sprintf("%s-signatures.csv", letter.Slug)
	if includeEmails {
		name = fmt.Sprintf("%s-signatures-with-emails.csv", letter.Slug)
	}
	startDownload(c, name, "text/csv; charset=utf-8", "no-store") // it may hold contact emails
	err := a.d.Moderator.Export(c.Request().Context(), currentStaff(c), letter.ID, includeEmails, c.Response())
	if errors.Is(err, moderation.ErrForbidden) {
		return echo.ErrForbidden
	}
	return err
}
