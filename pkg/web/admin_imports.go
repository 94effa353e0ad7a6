package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/imports"
	"github.com/undersigned/undersigned/pkg/store"
)

// importUploadPath is where the import form uploads its file, the one route
// whose body may be as large as imports.max_bytes.
const importUploadPath = "/admin/imports"

// importsView is the admins' page for importing signatures: the upload
// form and the imports so far.
type importsView struct {
	*Page
	Fields  []formField
	Errors  formErrors
	Imports []importSummary
}

// importSummary is one import as the list shows it.
type importSummary struct {
	store.Import
	Letter string
	State  string
}

// showImports is /admin/imports.
func (a *App) showImports(c echo.Context) error {
	return a.renderImports(c, http.StatusOK, "", nil)
}

// createImport takes an uploaded file for preview; a file that cannot be
// read is answered 422 with the reason beside the file field.
func (a *App) createImport(c echo.Context) error {
	slug := c.FormValue("letter")
	header, err := c.FormFile("file")
	if err != nil {
		return a.renderImports(c, http.StatusUnprocessableEntity, slug, map[string]fieldError{"file": {id: "admin.imports.error.file"}})
	}
	data, err := readUpload(header)
	if err != nil {
		return err
	}
	imp, err := a.d.Imports.Upload(c.Request().Context(), currentStaff(c), slug, header.Filename, data)
	if errs := uploadErrors(err); errs != nil {
		return a.renderImports(c, http.StatusUnprocessableEntity, slug, errs)
	}
	if err != nil {
		return err
	}
	return redirect(c, importPath(imp.ID))
}

// fieldError is a message id for beside a field, with its arguments and
// an optional link.
type fieldError struct {
	id   string
	args []any
	link string
}

// uploadErrors maps what an upload was refused for to its field.
func uploadErrors(err error) map[string]fieldError {
	var quoting *imports.QuotingError
	var tooMany *imports.TooManyRowsError
	var already *imports.AlreadyImportedError
	switch {
	case errors.Is(err, imports.ErrLetterNotFound):
		return map[string]fieldError{"letter": {id: "admin.abuse.error.letter"}}
	case errors.Is(err, imports.ErrNotUTF8):
		return map[string]fieldError{"file": {id: "admin.imports.error.encoding"}}
	case errors.Is(err, imports.ErrNoRows):
		return map[string]fieldError{"file": {id: "admin.imports.error.empty"}}
	case errors.As(err, &quoting):
		return map[string]fieldError{"file": {id: "admin.imports.error.quoting", args: []any{"Line", quoting.Line}}}
	case errors.As(err, &tooMany):
		return map[string]fieldError{"file": {id: "admin.imports.error.too_many", args: []any{"Max", tooMany.Max}}}
	case errors.As(err, &already):
		return map[string]fieldError{"file": {id: "admin.imports.error.already", args: []any{"ID", already.ID}, link: importPath(already.ID)}}
	}
	return nil
}

// readUpload reads the uploaded file whole; the route's body limit bounds it.
func readUpload(header *multipart.FileHeader) ([]byte, error) {
	f, err := header.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func importPath(id uint64) string { return "/admin/imports/" + strconv.FormatUint(id, 10) }

func (a *App) renderImports(c echo.Context, status int, slug string, errs map[string]fieldError) error {
	l := a.localizer(c)
	list, err := a.d.Imports.Recent(c.Request().Context())
	if err != nil {
		return err
	}
	var rows []importSummary
	for _, imp := range list {
		row := importSummary{Import: imp, State: l.T("admin.imports.state." + string(imp.State))}
		if letter, ok := a.d.Letters.ByID(imp.LetterID); ok {
			row.Letter = letter.Title()
		}
		rows = append(rows, row)
	}
	var letters []fieldOption
	for _, letter := range a.d.Letters.All() {
		letters = append(letters, fieldOption{Value: letter.Slug, Label: letter.Title(), Selected: letter.Slug == slug})
	}
	fields := withErrors([]formField{
		{Name: "letter", Type: "select", Label: l.T("admin.export.letter"), Options: letters, Required: true},
		{Name: "file", Type: "file", Label: l.T("admin.imports.file"), Hint: l.T("admin.imports.file_hint", "Max", a.d.Config.Imports.MaxRows), Required: true},
	}, errs, l)
	v := &importsView{Page: a.page(c, l.T("admin.imports.title")), Fields: fields, Errors: errorSummary(fields), Imports: rows}
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, "admin_imports", v)
}

// withErrors puts each field's error beside it, translated with its
// arguments, and marks the optional fields.
func withErrors(fields []formField, errs map[string]fieldError, l *i18n.Localizer) []formField {
	for i := range fields {
		if e, ok := errs[fields[i].Name]; ok {
			fields[i].Error = l.T(e.id, e.args...)
			if e.link != "" {
				fields[i].Link, fields[i].LinkText = e.link, l.T("admin.imports.open_earlier")
			}
		}
		if !fields[i].Required {
			fields[i].Optional = l.T("form.optional")
		}
	}
	return fields
}
