package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/letters"
)

// healthTimeout bounds how long /healthz waits for the database.
const healthTimeout = 2 * time.Second

type homeView struct {
	*Page
	Letters []homeLetter
}

// homeLetter is a letter on the home page, in the reader's language.
type homeLetter struct {
	Slug string
	Text letters.Text
}

// showHome leads straight to the letter when there is one, or lists them.
// Its title names the list, as the layout adds the site's name after it.
func (a *App) showHome(c echo.Context) error {
	l := a.localizer(c)
	v := &homeView{Page: a.page(c, l.T("home.title"))}
	now := a.d.Now()
	for _, letter := range a.d.Letters.All() {
		if letter.ListedAt(now) {
			v.Letters = append(v.Letters, homeLetter{Slug: letter.Slug, Text: letter.In(l.Lang())})
		}
	}
	if len(v.Letters) == 1 {
		return c.Redirect(http.StatusFound, "/letters/"+v.Letters[0].Slug)
	}
	return a.render(c, http.StatusOK, "home", v)
}

type privacyView struct {
	*Page
	ConsentVersion string
}

// CampaignContact is the campaign's address as the privacy notice gives it,
// or "" when there is none or the operator's line names it already (the
// contact falls back to the privacy address).
func (v *privacyView) CampaignContact() string {
	contact := v.Site.Contact()
	if v.Site.Operator != "" && contact == v.Site.PrivacyEmail {
		return ""
	}
	return contact
}

// showPrivacy is the privacy notice that every sign form links to.
func (a *App) showPrivacy(c echo.Context) error {
	v := &privacyView{Page: a.page(c, a.localizer(c).T("privacy.title")), ConsentVersion: a.d.Config.Signing.ConsentVersion}
	return a.render(c, http.StatusOK, "privacy", v)
}

// showHealth answers load balancers and monitors: 200 while the database answers.
func (a *App) showHealth(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), healthTimeout)
	defer cancel()
	if err := a.d.Store.Ping(ctx); err != nil {
		a.d.Log.Error("health check failed", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
