package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/undersigned/undersigned/pkg/staff"
	"github.com/undersigned/undersigned/pkg/store"
)

const (
	sessionCookie = "undersigned_staff"
	csrfCookie    = "undersigned_csrf"
	csrfKey       = "csrf"
	staffKey      = "staff"
)

// csrfProtection makes every console form carry a token that matches a cookie
// (browsers that send Sec-Fetch-Site are checked by origin as well). A missing
// or wrong token is refused with 403.
func (a *App) csrfProtection() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:csrf",
		CookieName:     csrfCookie,
		CookiePath:     "/admin",
		CookieHTTPOnly: true,
		CookieSecure:   a.d.Config.SecureCookies(),
		CookieSameSite: http.SameSiteStrictMode,
		ContextKey:     csrfKey,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden).SetInternal(err)
		},
	})
}

// requireStaff lets a request through only with a live staff session, and
// sends everyone else to the login page.
func (a *App) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		cookie, err := c.Cookie(sessionCookie)
		token := ""
		if err == nil {
			token = cookie.Value
		}
		member, err := a.d.Staff.Authenticate(c.Request().Context(), token)
		if errors.Is(err, staff.ErrNoSession) {
			a.clearSessionCookie(c)
			return redirect(c, "/admin/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if err != nil {
			return err
		}
		c.Set(staffKey, member)
		return next(c)
	}
}

// requireAdmin refuses moderators.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if m := currentStaff(c); m == nil || m.Role != store.RoleAdmin {
			return echo.ErrForbidden
		}
		return next(c)
	}
}

// currentStaff is the logged-in staff member, or nil.
func currentStaff(c echo.Context) *store.Staff {
	m, _ := c.Get(staffKey).(*store.Staff)
	return m
}

type loginForm struct {
	Email    string `form:"email"`
	Password string `form:"password"`
	Next     string `form:"next"`
}

type loginView struct {
	*Page
	Fields  []formField
	Message string
	Next    string
}

// showLogin is the staff login page.
func (a *App) showLogin(c echo.Context) error {
	return a.renderLogin(c, http.StatusOK, loginForm{Next: c.QueryParam("next")}, "")
}

// createSession logs a staff member in. Unknown email and wrong password get
// the same message; repeated failures lock the account and the address out,
// and a login that finds the password checks all taken is asked to retry in a
// second. Both refusals are 429 with Retry-After.
func (a *App) createSession(c echo.Context) error {
	var form loginForm
	if err := bindForm(c, &form); err != nil {
		return err
	}
	l := a.localizer(c)
	token, _, err := a.d.Staff.Login(c.Request().Context(), form.Email, form.Password, c.RealIP())
	switch {
	case errors.Is(err, staff.ErrBadCredentials):
		return a.renderLogin(c, http.StatusUnauthorized, form, l.T("admin.login.failed"))
	case errors.Is(err, staff.ErrLockedOut):
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(a.d.Config.Staff.LockoutWindow.Seconds())))
		return a.renderLogin(c, http.StatusTooManyRequests, form, l.T("admin.login.locked"))
	case errors.Is(err, staff.ErrBusy):
		c.Response().Header().Set("Retry-After", "1")
		return a.renderLogin(c, http.StatusTooManyRequests, form, l.T("admin.login.busy"))
	case err != nil:
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/admin", HttpOnly: true,
		Secure: a.d.Config.SecureCookies(), SameSite: http.SameSiteLaxMode})
	return redirect(c, safeNext(form.Next))
}

// deleteSession logs out.
func (a *App) deleteSession(c echo.Context) error {
	if cookie, err := c.Cookie(sessionCookie); err == nil {
		if err := a.d.Staff.Logout(c.Request().Context(), cookie.Value); err != nil {
			return err
		}
	}
	a.clearSessionCookie(c)
	return redirect(c, "/admin/login")
}

func (a *App) renderLogin(c echo.Context, status int, form loginForm, message string) error {
	l := a.localizer(c)
	fields := prepareFields([]formField{
		{Name: "email", Type: "email", Label: l.T("admin.login.email"), Value: form.Email, Required: true, Autocomplete: "username"},
		{Name: "password", Type: "password", Label: l.T("admin.login.password"), Required: true, Autocomplete: "current-password"},
	}, nil, l)
	v := &loginView{Page: a.page(c, l.T("admin.login.title")), Fields: fields, Message: message, Next: safeNext(form.Next)}
	return a.render(c, status, "admin_login", v)
}

func (a *App) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/admin", MaxAge: -1, HttpOnly: true,
		Secure: a.d.Config.SecureCookies(), SameSite: http.SameSiteLaxMode})
}

// safeNext keeps the redirect after login inside the console, so the login
// form cannot be used to send staff to another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "/admin/login") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin"
	}
	return next
}
