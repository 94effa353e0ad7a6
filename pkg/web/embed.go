package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
)

// embedView is the counter other sites show in an iframe.
type embedView struct {
	*Page
	Letter    *letters.Letter
	LetterURL string
	Totals    live.Totals
	Goal      *letters.Goal // nil when the letter has no goal
	// Embargoed marks a letter whose count is not public yet: the counter
	// says when counting starts instead.
	Embargoed bool
}

// showEmbed is the embeddable counter: the live total and a link to sign.
// It is the one page other sites may frame. Under embargo it says when
// counting starts, in the same small frame, so a partner can put it on their
// site before launch day.
func (a *App) showEmbed(c echo.Context) error {
	letter, err := a.letter(c)
	if err != nil {
		return err
	}
	v := &embedView{Page: a.page(c, letter.In(a.localizer(c).Lang()).Title), Letter: letter,
		LetterURL: a.letterURL(letter) + refQuery(c.QueryParam("ref")), Embargoed: !letter.ListIsPublic(a.d.Now())}
	if !v.Embargoed {
		snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
		if err != nil {
			return err
		}
		v.Totals = snap.Totals
		if goal, ok := letter.GoalFor(snap.Totals.Total); ok {
			v.Goal = &goal
		}
	}
	return a.render(c, http.StatusOK, "embed", v)
}

// allowFraming lets any site frame the response, replacing the app-wide
// refusal; only the embeddable counter uses it.
func allowFraming(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Del("X-Frame-Options")
		h.Set("Content-Security-Policy", contentSecurityPolicyFramed)
		h.Del("Cross-Origin-Opener-Policy")
		return next(c)
	}
}
