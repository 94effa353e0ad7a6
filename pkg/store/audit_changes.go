package store

import (
	"encoding/json"
	"fmt"
	"slices"
)

// FieldChange is one field that an audited change changed, with its value
// before and after as text.
type FieldChange struct {
	Field         string
	Before, After string
}

// auditFieldOrder is the order a signature's fields are listed in; fields
// of other records follow in the order of their names.
func auditFieldOrder() []string {
	return []string{"status", "kind", "name", "affiliation", "website", "org_type", "country", "show_name",
		"reason_code", "reason_note"}
}

// Changes lists the fields whose values differ between the event's records
// before and after, for the audit log and a signature's history to show
// field by field. A field missing from one record (left out as empty) is
// empty there. An event without both records, or with one that is not a JSON
// object (erased whole), has none.
func (e *AuditEvent) Changes() []FieldChange {
	before, okBefore := auditRecord(e.Before)
	after, okAfter := auditRecord(e.After)
	if !okBefore || !okAfter {
		return nil
	}
	var out []FieldChange
	for _, field := range recordFields(before, after) {
		b, a := auditValue(before[field]), auditValue(after[field])
		if b != a {
			out = append(out, FieldChange{Field: field, Before: b, After: a})
		}
	}
	return out
}

// auditRecord reads a record as a JSON object.
func auditRecord(doc string) (map[string]any, bool) {
	var record map[string]any
	if doc == "" || json.Unmarshal([]byte(doc), &record) != nil || record == nil {
		return nil, false
	}
	return record, true
}

// recordFields are the fields of two records, a signature's in their order,
// then the others by name.
func recordFields(records ...map[string]any) []string {
	ordered := auditFieldOrder()
	var others []string
	for _, r := range records {
		for field := range r {
			if !slices.Contains(ordered, field) && !slices.Contains(others, field) {
				others = append(others, field)
			}
		}
	}
	slices.Sort(others)
	return append(ordered, others...)
}

// auditValue is a record's value as text; a missing one is empty.
func auditValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool, float64:
		return fmt.Sprint(v)
	default:
		out, _ := json.Marshal(v)
		return string(out)
	}
}
