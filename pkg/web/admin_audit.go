package web

import (
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

type auditView struct {
	*Page
	Filters    []formField
	Events     []auditRow
	ShowLetter bool
	PrevURL    string
	NextURL    string
}

// auditRow is one event of the audit log with the title of its letter.
type auditRow struct {
	store.AuditEvent
	LetterTitle string
	Changes     []changeRow
}

// showAudit is the audit log: every staff action, newest first, filterable by
// letter, action, staff member and signature.
func (a *App) showAudit(c echo.Context) error {
	l := a.localizer(c)
	q := c.QueryParams()
	letter := a.chooseLetter(q.Get("letter"))
	f := moderation.AuditFilter{Action: q.Get("action"), StaffEmail: q.Get("staff"), LetterID: letter.ID}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if s := q.Get("signature"); s != "" {
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return echo.ErrBadRequest
		}
		f.SignatureID = id
	}
	var events []store.AuditEvent
	var more bool
	if letter.Error == "" {
		var err error
		if events, more, err = a.d.Moderator.AuditLog(c.Request().Context(), f); err != nil {
			return err
		}
	}
	actions := []fieldOption{{Value: "", Label: l.T("admin.filter.any")}}
	for _, act := range auditActions() {
		actions = append(actions, fieldOption{Value: act, Label: l.T("admin.audit.action." + act), Selected: act == f.Action})
	}
	v := &auditView{Page: a.page(c, l.T("admin.audit.title")), ShowLetter: a.showLetters(), Filters: []formField{
		a.letterField(l, l.T("admin.filter.any"), letter),
		{Name: "action", Type: "select", Label: l.T("admin.audit.filter_action"), Options: actions},
		{Name: "staff", Type: "email", Label: l.T("admin.audit.filter_staff"), Value: f.StaffEmail},
		{Name: "signature", Type: "text", Label: l.T("admin.audit.filter_signature"), Value: q.Get("signature")},
	}}
	v.HasErrors = letter.Error != ""
	for _, e := range events {
		row := auditRow{AuditEvent: e, Changes: a.changeRows(l, &e)}
		if e.LetterID != nil {
			row.LetterTitle = a.letterLinkOf(*e.LetterID).Title
		}
		v.Events = append(v.Events, row)
	}
	page := max(f.Page, 1)
	if page > 1 {
		v.PrevURL = withPage("/admin/audit", q, page-1)
	}
	if more {
		v.NextURL = withPage("/admin/audit", q, page+1)
	}
	return a.render(c, letter.status(), "admin_audit", v)
}

// auditActions are the actions the audit log can be filtered by: every
// event of the signature lifecycle, then staff's other actions.
func auditActions() []string {
	var actions []string
	for _, rule := range store.Lifecycle() {
		if rule.Event == store.EventStaffConfirm {
			continue // never an entry of its own: its import is
		}
		if !slices.Contains(actions, string(rule.Event)) {
			actions = append(actions, string(rule.Event))
		}
	}
	actions = append(actions, "export", "export_emails", "staff_add", "staff_disable", "block_add", "block_remove", "mail_requeue", "import",
		moderation.ActionBulkDecision)
	actions = append(actions, moderation.MediaActions()...)
	return append(actions, "webhook_add")
}
