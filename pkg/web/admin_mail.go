package web

import (
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/store"
)

// failedShown is how many failed mails the console lists.
const failedShown = 50

type mailView struct {
	*Page
	Filters []formField
	// ByLetter is how much mail waits or failed on each letter, with a link
	// to the page limited to that letter.
	ByLetter   []letterMail
	Stats      store.MailStats
	Oldest     string
	Failed     []failedMail
	ShowLetter bool
	Flash      string
}

// letterMail is one letter in the mail page's header.
type letterMail struct {
	Title   string
	URL     string
	Stats   store.MailStats
	Current bool
}

// failedMail is one failed mail as the console lists it.
type failedMail struct {
	store.MailJob
	LetterTitle string
}

// showMail is the outbox at a glance: how much mail waits, how much failed
// and why (SMTP codes only), on every letter or one (?letter=slug), with a
// way for admins to send failed mail again.
func (a *App) showMail(c echo.Context) error {
	l := a.localizer(c)
	letter := a.chooseLetter(c.QueryParam("letter"))
	v := &mailView{Page: a.page(c, l.T("admin.mail.title")), Flash: flashMessage(l, c.QueryParams()), ShowLetter: a.showLetters(),
		Filters: []formField{a.letterField(l, l.T("admin.filter.all_letters"), letter)}}
	v.HasErrors = letter.Error != ""
	db := a.d.Store.Read(c.Request().Context())
	byLetter, err := store.WaitingMailByLetter(db)
	if err != nil {
		return err
	}
	for _, each := range a.d.Letters.All() {
		v.ByLetter = append(v.ByLetter, letterMail{Title: each.Title(), URL: "/admin/mail?letter=" + url.QueryEscape(each.Slug),
			Stats: byLetter[each.ID], Current: each.ID == letter.ID})
	}
	if letter.Error != "" {
		return a.render(c, letter.status(), "admin_mail", v)
	}
	filter := store.MailFilter{LetterID: letter.ID}
	if v.Stats, err = store.OutboxStats(db, filter, a.d.Now()); err != nil {
		return err
	}
	failed, err := store.FailedMailJobs(db, filter, failedShown)
	if err != nil {
		return err
	}
	for _, job := range failed {
		v.Failed = append(v.Failed, failedMail{MailJob: job, LetterTitle: a.letterLinkOf(job.Signature.LetterID).Title})
	}
	if v.Stats.OldestQueue != nil {
		v.Oldest = formatTime(v.Stats.OldestQueue)
	}
	return a.render(c, letter.status(), "admin_mail", v)
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
