package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// How long shared caches and browsers may keep public data, in seconds.
const (
	apiLetterMaxAge      = 5
	apiSignatoriesMaxAge = 30
)

// notModified sets the ETag and Cache-Control of a public response and, when
// the client already has this version, answers 304 and reports true.
func notModified(c echo.Context, etag string, maxAge int) bool {
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", maxAge))
	h.Add("Vary", "Accept-Language")
	for _, tag := range strings.Split(c.Request().Header.Get("If-None-Match"), ",") {
		if strings.TrimSpace(tag) == etag || strings.TrimSpace(tag) == "*" {
			c.Response().WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

// allowAnyOrigin lets any site's scripts read public, read-only data.
func allowAnyOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag")
		return next(c)
	}
}
