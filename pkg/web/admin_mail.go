package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/store"
)

// failedShown is how many failed mails the console lists.
const failedShown = 50

type mailView struct {
	*Page
	Stats  store.MailStats
	Oldest string
	Failed []store.MailJob
	Flash  string
}

// showMail is the outbox at a glance: how much mail waits, how much failed
// and why (SMTP codes only), with a way for admins to send failed mail again.
func (a *App) showMail(c echo.Context) error {
	l := a.localizer(c)
	db := a.d.Store.Read(c.Request().Context())
	stats, err := store.OutboxStats(db, a.d.Now())
	if err != nil {
		return err
	}
	failed, err := store.FailedMailJobs(db, failedShown)
	if err != nil {
		return err
	}
	v := &mailView{Page: a.page(c, l.T("admin.mail.title")), Stats: stats, Failed: failed, Flash: flashMessage(l, c.QueryParams())}
	if stats.OldestQueue != nil {
		v.Oldest = formatTime(stats.OldestQueue)
	}
	return a.render(c, http.StatusOK, "admin_mail", v)
}

type requeueForm struct {
	IDs []string `form:"ids"`
}

// createRequeue sends failed mail again (admins only); with no ids, all of it.
func (a *App) createRequeue(c echo.Context) error {
	var f requeueForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	ids, err := parseIDs(f.IDs)
	if err != nil {
		return echo.ErrBadRequest
	}
	n, err := a.d.Moderator.RequeueMail(c.Request().Context(), currentStaff(c), ids)
	if err != nil {
		return err
	}
	return redirect(c, "/admin/mail?changed="+strconv.FormatInt(n, 10)+"&skipped=0")
}
