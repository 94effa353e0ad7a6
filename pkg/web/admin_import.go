package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/imports"
	"github.com/undersigned/undersigned/pkg/store"
)

// shownRowErrors is how many refused rows the preview lists; it counts the rest.
const shownRowErrors = 1000

// importView is one import: while in preview, its column mapping, the first
// rows as they would be stored, every row refused with its reasons and the
// choice of how the signers are confirmed; once started, its counts.
type importView struct {
	*Page
	Import      *store.Import
	Letter      string
	Mapping     []formField
	ModeFields  []formField
	Errors      formErrors
	Report      *imports.Report
	Sample      []importSampleRow
	RowErrors   []importRowError
	MoreErrors  int
	Resumable   bool
	ModeByMail  bool
	ModeByStaff bool
}

// importSampleRow is a row of the preview as it would be stored.
type importSampleRow struct {
	Kind, Name, Affiliation, Website, OrgType, Country, Email, ShowName string
}

// importRowError is a refused row: its line in the file and, in words, why.
type importRowError struct {
	Row     int
	Reasons []string
}

// importForm is the preview's form: the columns chosen (map_<field>, read
// from the body), the button pressed, and how signers are confirmed.
type importForm struct {
	Action string `form:"action"` // "preview" or "start"
	Mode   string `form:"mode"`
	Basis  string `form:"basis"`
}

// showImport is /admin/imports/{id}.
func (a *App) showImport(c echo.Context) error {
	imp, err := a.loadImport(c)
	if err != nil {
		return err
	}
	return a.renderImport(c, http.StatusOK, imp, importForm{Mode: string(imp.Mode), Basis: imp.Basis}, nil)
}

// updateImport maps an import's columns again, or starts (or resumes) it.
func (a *App) updateImport(c echo.Context) error {
	imp, err := a.loadImport(c)
	if err != nil {
		return err
	}
	var f importForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if imp.State == store.ImportPreview {
		if err := a.d.Imports.Remap(ctx, imp, mappingFrom(c)); err != nil {
			return err
		}
	}
	if f.Action != "start" {
		return redirect(c, importPath(imp.ID))
	}
	_, err = a.d.Imports.Start(ctx, currentStaff(c), imp, store.ImportMode(f.Mode), f.Basis)
	switch {
	case errors.Is(err, imports.ErrBadMode):
		return a.renderImport(c, http.StatusUnprocessableEntity, imp, f, map[string]fieldError{"mode": {id: "admin.imports.error.mode"}})
	case errors.Is(err, imports.ErrBasisRequired):
		return a.renderImport(c, http.StatusUnprocessableEntity, imp, f, map[string]fieldError{"basis": {id: "admin.imports.error.basis"}})
	case errors.Is(err, imports.ErrRunning), errors.Is(err, imports.ErrFinished), errors.Is(err, store.ErrImportMoved):
		return redirect(c, importPath(imp.ID))
	case err != nil:
		return err
	}
	return redirect(c, importPath(imp.ID))
}

// loadImport loads the import the path names, or answers 404.
func (a *App) loadImport(c echo.Context) (*store.Import, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return nil, echo.ErrNotFound
	}
	imp, err := a.d.Imports.Import(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, echo.ErrNotFound
	}
	return imp, err
}

// mappingFrom reads the columns chosen for each field; an empty or
// unreadable choice maps no column.
func mappingFrom(c echo.Context) imports.Mapping {
	m := imports.Mapping{}
	for _, field := range imports.Fields() {
		if i, err := strconv.Atoi(c.Request().PostForm.Get("map_" + string(field))); err == nil && i >= 0 {
			m[field] = i
		}
	}
	return m
}

func (a *App) renderImport(c echo.Context, status int, imp *store.Import, f importForm, errs map[string]fieldError) error {
	l := a.localizer(c)
	v := &importView{Page: a.page(c, l.T("admin.import.title", "ID", imp.ID)), Import: imp,
		ModeByMail: f.Mode == string(store.ImportByMail), ModeByStaff: f.Mode == string(store.ImportByStaff)}
	letter, ok := a.d.Letters.ByID(imp.LetterID)
	if ok {
		v.Letter = letter.Title()
	}
	v.Resumable = imp.State == store.ImportRunning && !a.d.Imports.Running(imp.ID)
	if imp.State == store.ImportPreview && ok {
		columns, err := a.d.Imports.Columns(imp)
		if err != nil {
			return err
		}
		report, err := a.d.Imports.Preview(c.Request().Context(), imp, letter)
		if err != nil {
			return err
		}
		v.Report, v.Mapping = report, mappingFields(l, columns, imports.DecodeMapping(imp.Mapping))
		v.Sample, v.RowErrors = sampleRows(l, report), rowErrors(l, report)
		v.MoreErrors = len(report.Errors) - len(v.RowErrors)
	}
	v.ModeFields = withErrors([]formField{
		{Name: "mode", Label: l.T("admin.imports.mode"), Required: true},
		{Name: "basis", Type: "text", Label: l.T("admin.imports.basis"), Hint: l.T("admin.imports.basis_hint"), Value: f.Basis, MaxLength: 1000},
	}, errs, l)
	v.Errors = errorSummary(v.ModeFields)
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, "admin_import", v)
}

// mappingFields are the selects that choose a column for each field.
func mappingFields(l *i18n.Localizer, columns []string, m imports.Mapping) []formField {
	var fields []formField
	for _, field := range imports.Fields() {
		chosen, mapped := m[field]
		options := []fieldOption{{Value: "", Label: l.T("admin.imports.no_column"), Selected: !mapped}}
		for i, heading := range columns {
			label := l.T("admin.imports.column", "N", i+1, "Heading", heading)
			options = append(options, fieldOption{Value: strconv.Itoa(i), Label: label, Selected: mapped && chosen == i})
		}
		fields = append(fields, formField{Name: "map_" + string(field), Type: "select", Label: l.T("admin.imports.field." + string(field)),
			Options: options, Optional: l.T("form.optional")})
	}
	return fields
}

// sampleRows shows the preview's first rows as they would be stored.
func sampleRows(l *i18n.Localizer, r *imports.Report) []importSampleRow {
	var out []importSampleRow
	for _, s := range r.Sample {
		row := importSampleRow{Kind: l.T("kind." + string(s.Kind)), Name: s.Name, Affiliation: s.Affiliation, Website: s.Website,
			Country: s.Country, Email: s.Email, ShowName: l.T("admin.imports.no")}
		if s.OrgType != "" {
			row.OrgType = l.T("org_type." + s.OrgType)
		}
		if s.ShowName {
			row.ShowName = l.T("admin.imports.yes")
		}
		out = append(out, row)
	}
	return out
}

// rowErrors puts the preview's refused rows in words: "Email: …".
func rowErrors(l *i18n.Localizer, r *imports.Report) []importRowError {
	out := make([]importRowError, 0, min(len(r.Errors), shownRowErrors))
	for _, e := range r.Errors[:min(len(r.Errors), shownRowErrors)] {
		row := importRowError{Row: e.Row}
		for _, p := range e.Problems {
			row.Reasons = append(row.Reasons, l.T("admin.imports.field."+p.Field)+": "+strings.TrimSuffix(l.T(p.Reason), "."))
		}
		out = append(out, row)
	}
	return out
}
