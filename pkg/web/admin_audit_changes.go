package web

import (
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/store"
)

// changeRow is one changed field of an audit entry as the console shows it:
// its label and its values before and after, in the reader's language.
type changeRow struct {
	Label         string
	Before, After string
}

// signatureFieldLabels are the translation keys of the fields a
// signature's audit records hold.
func signatureFieldLabels() map[string]string {
	return map[string]string{
		"status": "admin.audit.field.status", "kind": "admin.audit.field.kind", "name": "admin.audit.field.name",
		"affiliation": "admin.audit.field.affiliation", "website": "admin.audit.field.website",
		"org_type": "admin.audit.field.org_type", "country": "admin.audit.field.country",
		"show_name": "admin.audit.field.show_name", "reason_code": "admin.audit.field.reason_code",
		"reason_note": "admin.audit.field.reason_note",
	}
}

// changeRows are the fields e changed, labelled and with their values in
// words (states, kinds, types of organisation and countries by name); a
// field of another kind of record keeps its own name and value.
func (a *App) changeRows(l *i18n.Localizer, e *store.AuditEvent) []changeRow {
	var rows []changeRow
	for _, c := range e.Changes() {
		label := c.Field
		if key, ok := signatureFieldLabels()[c.Field]; ok {
			label = l.T(key)
		}
		rows = append(rows, changeRow{Label: label, Before: a.auditValueText(l, c.Field, c.Before),
			After: a.auditValueText(l, c.Field, c.After)})
	}
	return rows
}

// auditValueText is a recorded value of field in words; an empty one is a
// dash.
func (a *App) auditValueText(l *i18n.Localizer, field, value string) string {
	switch {
	case value == "":
		return "—"
	case field == "status":
		return l.T("status." + value)
	case field == "kind":
		return l.T("kind." + value)
	case field == "org_type":
		return l.T("org_type." + value)
	case field == "country":
		return a.d.Countries.Name(value, l.Tag)
	case field == "show_name" && value == "true":
		return l.T("admin.yes")
	case field == "show_name" && value == "false":
		return l.T("admin.no")
	}
	return value
}
