package web

import (
	"errors"

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

// showExport offers a CSV download of the signatures of every letter or one
// (preselected by ?letter=slug); admins may ask for contact emails too.
func (a *App) showExport(c echo.Context) error {
	letter := a.chooseLetter(c.QueryParam("letter"))
	return a.renderExport(c, letter, exportForm{})
}

// createExport streams the CSV. Asking for emails is refused to moderators,
// and recorded in the audit log for admins.
func (a *App) createExport(c echo.Context) error {
	var form exportForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	letter := a.chooseLetter(form.Letter)
	if letter.Error != "" {
		return a.renderExport(c, letter, form)
	}
	includeEmails := checked(form.IncludeEmails)
	if includeEmails && currentStaff(c).Role != store.RoleAdmin {
		return echo.ErrForbidden
	}
	startDownload(c, exportFileName(form.Letter, includeEmails), "text/csv; charset=utf-8", "no-store") // it may hold contact emails
	err := a.d.Moderator.Export(c.Request().Context(), currentStaff(c), letter.ID, includeEmails, c.Response())
	if errors.Is(err, moderation.ErrForbidden) {
		return echo.ErrForbidden
	}
	return err
}

func (a *App) renderExport(c echo.Context, letter letterChoice, form exportForm) error {
	l := a.localizer(c)
	fields := []formField{a.letterField(l, l.T("admin.filter.all_letters"), letter)}
	page := a.page(c, l.T("admin.export.title"))
	if page.IsAdmin() {
		fields = append(fields, formField{Name: "include_emails", Type: "checkbox", Label: l.T("admin.export.include_emails"),
			Hint: l.T("admin.export.include_emails_hint"), Checked: checked(form.IncludeEmails)})
	}
	page.HasErrors = letter.Error != ""
	return a.render(c, letter.status(), "admin_export", &exportView{Page: page, Fields: fields})
}

// exportFileName names the CSV of the letter with slug (of every letter when
// slug is empty).
func exportFileName(slug string, includeEmails bool) string {
	name := "signatures"
	if slug != "" {
		name = slug + "-signatures"
	}
	if includeEmails {
		name += "-with-emails"
	}
	return name + ".csv"
}
