package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/moderation"
)

// jobView is the progress of a bulk job: an invalidation or a decision by
// filter.
type jobView struct {
	*Page
	Job     moderation.Job
	Message string
	Back    string
}

// jobPage is what a kind of bulk job's progress page says: its title,
// messages (running, failed, done) and the page it leads back to.
type jobPage struct {
	prefix string
	back   string
}

func jobPages() map[moderation.JobKind]jobPage {
	return map[moderation.JobKind]jobPage{
		moderation.JobInvalidation: {prefix: "admin.invalidation", back: "/admin/abuse"},
		moderation.JobDecision:     {prefix: "admin.decision_job", back: "/admin"},
	}
}

// showInvalidation follows a bulk invalidation (admins only).
func (a *App) showInvalidation(c echo.Context) error { return a.showJob(c, moderation.JobInvalidation) }

// showDecisionJob follows a decision taken on every signature a queue
// filter matched.
func (a *App) showDecisionJob(c echo.Context) error { return a.showJob(c, moderation.JobDecision) }

// showJob follows a bulk job of kind: how many of the matched signatures are
// changed so far, the page reloading itself every few seconds (no script
// needed) until it has finished, then the final counts.
func (a *App) showJob(c echo.Context, kind moderation.JobKind) error {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil {
		return echo.ErrNotFound
	}
	job, ok := a.d.Moderator.JobStatus(id)
	if !ok || job.Kind != kind {
		return echo.ErrNotFound
	}
	l := a.localizer(c)
	p := jobPages()[kind]
	v := &jobView{Page: a.page(c, l.T(p.prefix+".title")), Job: job, Back: p.back}
	switch {
	case !job.Finished:
		v.Message = l.T(p.prefix+".running", "Done", job.Done, "Total", job.Total)
	case job.Err != nil:
		a.d.Log.Error("bulk job stopped", "id", job.ID, "kind", job.Kind, "err", job.Err)
		v.Message = l.T(p.prefix+".failed", "Done", job.Done)
	default:
		v.Message = l.T(p.prefix+".done", "Done", job.Done, "Skipped", job.Skipped())
	}
	return a.render(c, http.StatusOK, "admin_job", v)
}
