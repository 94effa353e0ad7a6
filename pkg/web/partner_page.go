package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/history"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/partners"
	"github.com/undersigned/undersigned/pkg/store"
)

// partnerPageView is a partner's private page: the letter's totals and the
// signatures the partner's links brought, counts only.
type partnerPageView struct {
	*Page
	Partner   string
	Letter    *letters.Letter
	LetterURL string
	ShareURL  string
	Totals    live.Totals
	Referrals partners.SourceCount
	// Interval, Points and Cumulative are the partner's referrals per day,
	// from the hourly rollups: a chart and the same figures as a table.
	Interval   history.Interval
	Points     []history.Point
	Cumulative chartView
}

// showPartnerPage is the page a partner reaches through the secret link
// staff gave it. It shows no personal data; a rotated link is not found.
func (a *App) showPartnerPage(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := a.d.Partners.ByToken(ctx, c.Param("token"))
	if errors.Is(err, partners.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	letter, ok := a.d.Letters.ByID(p.LetterID)
	if !ok {
		return echo.ErrNotFound
	}
	snap, err := a.d.Live.Snapshot(ctx, letter.ID)
	if err != nil {
		return err
	}
	referrals, err := a.d.Partners.Referrals(ctx, p)
	if err != nil {
		return err
	}
	hours, err := store.SourceHistory(a.d.Store.Read(ctx), letter.ID, p.Code)
	if err != nil {
		return err
	}
	l := a.localizer(c)
	v := &partnerPageView{Page: a.page(c, l.T("partner.title", "Partner", p.Name)), Partner: p.Name, Letter: letter,
		LetterURL: a.letterURL(letter), ShareURL: a.letterURL(letter) + refQuery(p.Code), Totals: snap.Totals, Referrals: referrals,
		Interval: history.Day, Points: history.Series(hours, history.Day)}
	v.Cumulative = historyChart(l, "cumulative", history.Day, v.Points, history.Totals(v.Points), false)
	return a.render(c, http.StatusOK, "partner", v)
}
