package web

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4/middleware"
)

// routes is the one table of every route the app serves.
func (a *App) routes(static fs.FS) {
	e := a.echo
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.Recover(), a.logRequests, a.securityHeaders,
		middleware.BodyLimit(bodyLimit(a.d.Config.Server.MaxBodyBytes)), a.negotiateLanguage)

	e.GET("/", a.showHome)
	e.GET("/privacy", a.showPrivacy)
	e.GET("/healthz", a.showHealth)

	e.GET("/letters/:slug", a.showLetter)
	e.POST("/letters/:slug/sign", a.createSignature)
	e.GET("/letters/:slug/check-inbox", a.showCheckInbox)
	e.GET("/letters/:slug/resend", a.showResend)
	e.POST("/letters/:slug/resend", a.createResend)

	confirm := e.Group("/confirm", noReferrer)
	confirm.GET("/:token", a.showConfirm)
	confirm.POST("/:token", a.createConfirmation)
	confirm.POST("/:token/resend", a.createNewLink)

	api := e.Group("/api/v1")
	api.GET("/letters/:slug", a.apiShowLetter)
	api.GET("/letters/:slug/signatories", a.apiListSignatories)

	e.StaticFS("/static", static)
}
