package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
)

const (
	localizerKey = "localizer"
	// languageMatchedKey holds whether the reader's preferences matched a
	// language of the catalog (see letterLanguage).
	languageMatchedKey = "language_matched"
)

// contentSecurityPolicy allows nothing from other origins and no inline script
// or style: every page works from its own static files alone.
const (
	cspBase = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
	contentSecurityPolicy       = cspBase + "frame-ancestors 'none'"
	contentSecurityPolicyFramed = cspBase + "frame-ancestors *"
)

// permissionsPolicy turns off the browser features no page of the app uses,
// for the page and anything it embeds.
const permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), interest-cohort=()"

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
		h.Set("Permissions-Policy", permissionsPolicy)
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
		a.d.Metrics.ObserveRequest(c.Request().Method, c.Path(), status, time.Since(start))
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelError
		}
		a.d.Log.Log(c.Request().Context(), level, "request", "method", c.Request().Method,
			"route", c.Path(), "status", status, "duration", time.Since(start))
		return nil
	}
}

// langCookie remembers a reader's explicit choice of language.
const langCookie = "lang"

// negotiateLanguage picks the reader's language: an explicit ?lang= (which
// is remembered in a cookie), else the remembered choice, else the browser's
// Accept-Language. Letter pages fall back to the letter's own language after
// that (letterLanguage).
func (a *App) negotiateLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		explicit := c.QueryParam("lang")
		if explicit != "" {
			if l, ok := a.d.Catalog.Negotiate(explicit); ok {
				c.SetCookie(&http.Cookie{Name: langCookie, Value: l.Lang(), Path: "/", MaxAge: 365 * 24 * 3600,
					HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.d.Config.SecureCookies()})
			}
		}
		remembered := ""
		if cookie, err := c.Cookie(langCookie); err == nil {
			remembered = cookie.Value
		}
		l, matched := a.d.Catalog.Negotiate(explicit, remembered, c.Request().Header.Get("Accept-Language"))
		c.Set(localizerKey, l)
		c.Set(languageMatchedKey, matched)
		return next(c)
	}
}

// letterLanguage serves a letter's pages in the letter's own language when
// the reader expressed no preference the catalog can meet.
func (a *App) letterLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if matched, _ := c.Get(languageMatchedKey).(bool); !matched {
			if letter, found := a.d.Letters.BySlug(c.Param("slug")); found {
				c.Set(localizerKey, a.d.Catalog.Localizer(letter.Lang))
			}
		}
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

// letterFormBytes is the body limit of the console's letter forms: room for
// a letter body well over letters.MaxBodyBytes, form-encoded, so that an
// over-long one reaches validation and gets its message beside the field
// instead of a 413.
const letterFormBytes = 4 * letters.MaxBodyBytes

// limitBodies answers 413 to a request body over server.max_body_bytes,
// except on the console's letter routes, which take up to letterFormBytes
// (or the server's limit, when that is larger), and the import form's
// upload, which takes up to imports.max_bytes: a file of signers is larger
// than any form; and a sign or manage form sent with a logo, which takes
// uploadLimit (takesUpload). It runs after routing, so it knows the route.
func (a *App) limitBodies() echo.MiddlewareFunc {
	forms := middleware.BodyLimit(bodyLimit(a.d.Config.Server.MaxBodyBytes))
	letterForms := middleware.BodyLimit(bodyLimit(max(a.d.Config.Server.MaxBodyBytes, letterFormBytes)))
	uploads := middleware.BodyLimit(bodyLimit(a.d.Config.Imports.MaxBytes))
	logoForms := middleware.BodyLimit(bodyLimit(a.uploadLimit()))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		form, letterForm, upload, logoForm := forms(next), letterForms(next), uploads(next), logoForms(next)
		return func(c echo.Context) error {
			switch r := c.Request(); {
			case r.Method == http.MethodPost && r.URL.Path == importUploadPath:
				return upload(c)
			case takesUpload(c):
				return logoForm(c)
			case strings.HasPrefix(c.Path(), "/admin/letters"):
				return letterForm(c)
			}
			return form(c)
		}
	}
}

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
