package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// confirmView is the page behind the link in the confirmation mail, in each of
// its states.
type confirmView struct {
	*Page
	Link        signing.Link
	CountryName string
	Token       string
	State       string // ready, expired, used, confirmed
	Status      store.Status
	// ShareLinks and Totals are the thank-you page's (state confirmed):
	// Totals is nil while the letter's list is under embargo.
	ShareLinks []shareLink
	Totals     *live.Totals
}

// showConfirm is the page a signer reaches from the link in the confirmation
// mail. It changes nothing: the signature is confirmed by its button, since
// mail scanners open links too.
func (a *App) showConfirm(c echo.Context) error {
	token := c.Param("token")
	link, err := a.d.Signing.Inspect(c.Request().Context(), token)
	return a.renderConfirm(c, token, link, "ready", err)
}

// createConfirmation is the confirm button. Confirmations are rate limited
// per network; a click on a link already used or expired is not counted.
func (a *App) createConfirmation(c echo.Context) error {
	token := c.Param("token")
	if _, err := a.d.Signing.Inspect(c.Request().Context(), token); err == nil {
		if err := a.d.Guard.Allow(c.Request().Context(), abuse.ActionConfirm, c.RealIP(), ""); err != nil {
			return echo.ErrTooManyRequests
		}
	}
	link, err := a.d.Signing.Confirm(c.Request().Context(), token)
	return a.renderConfirm(c, token, link, "confirmed", err)
}

// createNewLink is the button on the page of an expired link: it mails a new one.
func (a *App) createNewLink(c echo.Context) error {
	token := c.Param("token")
	if err := a.d.Guard.Allow(c.Request().Context(), abuse.ActionResend, c.RealIP(), ""); err != nil {
		return echo.ErrTooManyRequests
	}
	link, err := a.d.Signing.ResendByToken(c.Request().Context(), token)
	if err != nil {
		return a.renderConfirm(c, token, link, "", err)
	}
	return redirect(c, checkInboxPath(link.Letter.Slug))
}

// renderConfirm shows the confirm page in state, or in the state err stands for.
func (a *App) renderConfirm(c echo.Context, token string, link signing.Link, state string, err error) error {
	status := http.StatusOK
	switch {
	case errors.Is(err, signing.ErrTokenNotFound):
		return a.render(c, http.StatusNotFound, "link_unknown", a.page(c, a.localizer(c).T("link_unknown.title")))
	case errors.Is(err, signing.ErrTokenExpired):
		state, status = "expired", http.StatusGone
	case errors.Is(err, signing.ErrTokenUsed):
		state = "used"
	case err != nil:
		return err
	}
	l := a.localizer(c)
	v := &confirmView{Page: a.page(c, l.T("confirm."+state+".title")), Link: link, Token: token, State: state, Status: link.Status,
		CountryName: a.d.Countries.Name(link.Country, l.Tag)}
	if state == "confirmed" {
		if err := a.fillThanks(c, v); err != nil {
			return err
		}
	}
	return a.render(c, status, "confirm", v)
}

// fillThanks adds to the thank-you page what invites the signer to bring
// others: the plain share links of the letter page and, unless the letter
// is under embargo, its count from the live snapshot (no query while
// nothing changes).
func (a *App) fillThanks(c echo.Context, v *confirmView) error {
	letter := v.Link.Letter
	v.ShareLinks = shareLinks(v.L, letter, a.letterURL(letter))
	if !letter.ListIsPublic(a.d.Now()) {
		return nil
	}
	snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
	if err != nil {
		return err
	}
	// The snapshot may be up to live.max_stale older than this signature:
	// a count of nobody beside "your signature now counts" would read as
	// wrong, so that one is left out.
	if snap.Totals.Total == 0 && v.Link.Status == store.StatusPublished {
		return nil
	}
	v.Totals = &snap.Totals
	return nil
}
