package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/store"
)

// showLogo is GET /letters/{slug}/logos/{id}.png, an organisation's logo on
// the letter's logo wall: the PNG the server re-encoded, never the upload,
// served only while the signature is published and its logo approved (404
// otherwise). Its address carries the logo's version (?v=), so it may be
// cached for a year.
func (a *App) showLogo(c echo.Context) error {
	letter, err := a.publicLetter(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(strings.TrimSuffix(c.Param("file"), ".png"), 10, 64)
	if err != nil || !strings.HasSuffix(c.Param("file"), ".png") {
		return echo.ErrNotFound
	}
	png, err := store.PublicLogo(a.d.Store.Read(c.Request().Context()), letter.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	return sendPNG(c, png)
}

// sendPNG answers with png, which the browser must not take for anything
// else.
func sendPNG(c echo.Context, png []byte) error {
	h := c.Response().Header()
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(png)))
	return c.Blob(http.StatusOK, "image/png", png)
}
