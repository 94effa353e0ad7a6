package web

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/undersigned/undersigned/pkg/i18n"
)

const localizerKey = "localizer"

// contentSecurityPolicy allows nothing from other origins and no inline script
// or style: every page works from its own static files alone.
const (
	cspBase = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
	contentSecurityPolicy       = cspBase + "frame-ancestors 'none'"
	contentSecurityPolicyFramed = cspBase + "frame-ancestors *"
)

// securityHeaders sets the headers every response carries.
func (a *App) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	https := a.d.Config.SecureCookies()
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// noReferrer keeps the token in a confirmation URL from leaking to any link
// followed from that page.
func noReferrer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Referrer-Policy", "no-referrer")
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// logRequests logs each request by its route pattern, not its URL, so tokens
// in paths and searches in query strings never reach the log.
func (a *App) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelError
		}
		a.d.Log.Log(c.Request().Context(), level, "request", "method", c.Request().Method,
			"route", c.Path(), "status", status, "duration", time.Since(start))
		return nil
	}
}

// negotiateLanguage picks the reader's language for the request.
func (a *App) negotiateLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(localizerKey, a.d.Catalog.Localizer(c.QueryParam("lang"), c.Request().Header.Get("Accept-Language")))
		return next(c)
	}
}

// localizer returns the request's localizer (English before negotiation ran).
func (a *App) localizer(c echo.Context) *i18n.Localizer {
	if l, ok := c.Get(localizerKey).(*i18n.Localizer); ok {
		return l
	}
	return a.d.Catalog.Localizer()
}

func bodyLimit(n int64) string { return fmt.Sprintf("%dB", n) }

// recoverPanics turns a panic into a 500 for the error handler, logged with
// its stack in the app's log.
func (a *App) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			a.d.Log.Error("panic", "route", c.Path(), "err", err, "stack", string(stack))
			return err
		},
	})
}
