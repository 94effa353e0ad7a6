package web

import (
	"html/template"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/signing"
)

// formField is one control of a form as the field partial draws it: a visible
// label, an optional hint, the value the user typed and the message beside it.
type formField struct {
	Name         string
	Type         string // text, email, number, datetime-local, select, checkbox, textarea, file
	Label        string
	Hint         string
	Value        string
	Checked      bool
	Error        string
	Optional     string // "(optional)", shown after the label of a field not required
	Autocomplete string
	MaxLength    int
	Required     bool
	Options      []fieldOption
	Link         string // a link shown under the field, e.g. to the privacy notice
	LinkText     string
	ReadOnly     bool   // shown, not editable: a value that can no longer change
	Rows         int    // a textarea's height in lines
	Accept       string // a file input's accepted types
}

// OptionsHTML renders a select's options. It runs in Go rather than in the
// template because a country list has 250 of them on every sign form; the
// values and labels are escaped here as the template would.
func (f formField) OptionsHTML() template.HTML {
	var b strings.Builder
	for _, o := range f.Options {
		b.WriteString(`<option value="`)
		b.WriteString(template.HTMLEscapeString(o.Value))
		b.WriteByte('"')
		if o.Selected {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		b.WriteString(template.HTMLEscapeString(o.Label))
		b.WriteString("</option>\n")
	}
	return template.HTML(b.String())
}

type fieldOption struct {
	Value    string
	Label    string
	Selected bool
}

// formErrors is the list of messages at the top of a form, each a link to its field.
type formErrors []formField

// errorSummary picks the fields that have an error, in form order.
func errorSummary(fields []formField) formErrors {
	var out formErrors
	for _, f := range fields {
		if f.Error != "" {
			out = append(out, f)
		}
	}
	return out
}

// prepareFields translates field errors onto the fields and marks optional ones.
func prepareFields(fields []formField, errs signing.FieldErrors, l *i18n.Localizer) []formField {
	for i := range fields {
		if id, ok := errs[fields[i].Name]; ok {
			fields[i].Error = l.T(id)
		}
		if !fields[i].Required {
			fields[i].Optional = l.T("form.optional")
		}
	}
	return fields
}

// bindForm decodes an HTML form post into form, from the body alone (the
// query string is not mixed in). Anything but a URL-encoded form is answered
// with 415, a body over the size limit with 413, an undecodable one with 400.
func bindForm(c echo.Context, form any) error {
	r := c.Request()
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mediaType != echo.MIMEApplicationForm {
		return echo.ErrUnsupportedMediaType
	}
	if err := r.ParseForm(); err != nil {
		return bodyError(err)
	}
	r.Form = r.PostForm // bind the body's fields only
	if err := (&echo.DefaultBinder{}).BindBody(c, form); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	return nil
}

// checked is how an HTML checkbox arrives: present with any value when ticked.
func checked(value string) bool { return value != "" }
