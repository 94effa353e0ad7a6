package web

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

// mediaView is a signature's statement and logo on its console page, with
// their reviews.
type mediaView struct {
	Statement       string
	StatementStatus store.MediaStatus
	HasLogo         bool
	LogoStatus      store.MediaStatus
	LogoWidth       int
	LogoHeight      int
	LogoVersion     string
}

// mediaViewOf is the console's view of m; nil for none.
func mediaViewOf(m *store.SignatureMedia) *mediaView {
	if m == nil || (m.StatementStatus == store.MediaNone && m.LogoStatus == store.MediaNone) {
		return nil
	}
	return &mediaView{Statement: m.Statement, StatementStatus: m.StatementStatus, HasLogo: m.LogoPNG != nil,
		LogoStatus: m.LogoStatus, LogoWidth: m.LogoWidth, LogoHeight: m.LogoHeight, LogoVersion: m.LogoVersion}
}

// showPendingLogo is a signature's logo for staff, whatever its review says,
// so that a reviewer sees what they approve. It is never cached.
func (a *App) showPendingLogo(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	m, err := a.d.Moderator.Media(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if m == nil || m.LogoPNG == nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return sendPNG(c, m.LogoPNG)
}

// mediaDecisionForm approves or rejects a signature's statement or logo.
type mediaDecisionForm struct {
	Item     string `form:"item"`
	Decision string `form:"decision"`
}

// createMediaDecision approves or rejects a signature's statement or logo,
// apart from the signature, from its console page.
func (a *App) createMediaDecision(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	var f mediaDecisionForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	if f.Decision != "approve" && f.Decision != "reject" {
		return echo.ErrBadRequest
	}
	back := "/admin/signatures/" + strconv.FormatUint(id, 10)
	err = a.d.Moderator.DecideMedia(c.Request().Context(), currentStaff(c), id, store.MediaItem(f.Item), f.Decision == "approve")
	switch {
	case errors.Is(err, moderation.ErrNotFound):
		return echo.ErrNotFound
	case errors.Is(err, moderation.ErrUnknownAction):
		return echo.ErrBadRequest
	case errors.Is(err, moderation.ErrMediaNotPending):
		return redirect(c, back+"?media_stale=1")
	case err != nil:
		return err
	}
	return redirect(c, back+"?saved=1")
}
