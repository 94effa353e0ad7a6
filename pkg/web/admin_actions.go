package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

// decisionForm is the bulk action form of the queue, and the action buttons of
// a signature's page.
type decisionForm struct {
	IDs        []string `form:"ids"`
	Action     string   `form:"action"`
	ApproveOne string   `form:"approve_one"` // a row's own Approve button
	OpenNext   string   `form:"open_next"`   // "… and open the next" on a signature's page
	Reason     string   `form:"reason"`
	Note       string   `form:"note"`
	Return     string   `form:"return"`
}

// createDecision applies an action to the checked signatures (or to the one
// whose Approve button was pressed) and returns to where the form was.
func (a *App) createDecision(c echo.Context) error {
	var form decisionForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	if form.ApproveOne != "" {
		form.IDs, form.Action = []string{form.ApproveOne}, string(moderation.ActionApprove)
	}
	ids, err := parseIDs(form.IDs)
	if err != nil {
		return echo.ErrBadRequest
	}
	d := moderation.Decision{Action: moderation.Action(form.Action), Reason: form.Reason, Note: form.Note}
	res, err := a.d.Moderator.Apply(c.Request().Context(), currentStaff(c), ids, d)
	if err != nil {
		return a.decisionError(c, err, form.Return)
	}
	if len(ids) == 1 && len(res.Refused) == 1 {
		return a.renderRefusal(c, res.Refused[0], safeNext(form.Return))
	}
	if len(ids) == 1 && form.OpenNext != "" {
		return a.openNext(c, ids[0], res)
	}
	return redirect(c, withQuery(safeNext(form.Return), "changed", strconv.Itoa(res.Changed), "skipped", strconv.Itoa(res.Skipped)))
}

// openNext sends a moderator who decided on the signature with id to the
// next one of the queue they came from (its filter carried in the form), or
// back to that queue with a notice when none is left after it.
func (a *App) openNext(c echo.Context, id uint64, res moderation.Result) error {
	filter, _, carried, err := a.postedQueueFilter(c)
	if err != nil {
		return err
	}
	next, found, err := a.d.Moderator.Next(c.Request().Context(), filter, id)
	switch {
	case errors.Is(err, moderation.ErrNotFound): // erased meanwhile
	case err != nil:
		return err
	case found:
		return redirect(c, withQuery(signatureURL(next, carried), "changed", strconv.Itoa(res.Changed), "skipped", strconv.Itoa(res.Skipped)))
	}
	carried.Set("queue_done", "1")
	return redirect(c, "/admin?"+carried.Encode())
}

// renderRefusal tells a moderator that the signature they decided on had
// moved on meanwhile (another moderator decided first, the signer withdrew):
// where it stands now, and who moved it there.
func (a *App) renderRefusal(c echo.Context, refused *store.MoveError, back string) error {
	l := a.localizer(c)
	by := refused.By
	if by == "" {
		by = l.T("admin.refused.nobody")
	}
	msg := l.T("admin.refused.decided", "By", by, "Status", l.T("status."+string(refused.Now)))
	return a.renderNotice(c, http.StatusConflict, msg, back)
}

func parseIDs(raw []string) ([]uint64, error) {
	ids := make([]uint64, 0, len(raw))
	for _, s := range raw {
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func errorName(err error) string {
	switch {
	case errors.Is(err, moderation.ErrNoSelection):
		return "no_selection"
	case errors.Is(err, moderation.ErrUnknownReason):
		return "reason"
	default:
		return "too_many"
	}
}

// withQuery adds key/value pairs to a console URL's query string.
func withQuery(target string, kv ...string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "/admin"
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

type noticeView struct {
	*Page
	Message string
	Back    string
}

// renderNotice shows a short message with a way back, for console requests
// that cannot be carried out as asked.
func (a *App) renderNotice(c echo.Context, status int, message, back string) error {
	v := &noticeView{Page: a.page(c, a.localizer(c).T("admin.notice.title")), Message: message, Back: back}
	return a.render(c, status, "admin_notice", v)
}
