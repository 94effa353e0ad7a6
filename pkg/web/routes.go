package web

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4/middleware"
)

// routes is the one table of every route the app serves.
func (a *App) routes(static fs.FS) {
	e := a.echo
	// Security headers come first, before routing, so that even the
	// trailing-slash redirect carries them.
	e.Pre(a.securityHeaders,
		middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(a.recoverPanics(), a.logRequests, a.limitBodies(), a.negotiateLanguage)

	e.GET("/", a.showHome)
	e.GET("/privacy", a.showPrivacy)
	e.GET("/healthz", a.showHealth)
	e.GET("/.well-known/undersigned-keys.json", a.showCampaignKeys, allowAnyOrigin)
	if a.d.Config.Metrics.Enabled {
		e.GET("/metrics", a.showMetrics)
	}

	// Letter pages fall back to the letter's language (not a group: a group's
	// catch-all would answer 404 where 405 is right).
	lang := a.letterLanguage
	e.GET("/letters/:slug", a.showLetter, lang)
	e.GET("/letters/:slug/countries/:code", a.showCountry, lang)
	e.GET("/letters/:slug/events", a.streamEvents, lang)
	e.GET("/letters/:slug/embed", a.showEmbed, lang, allowFraming)
	e.GET("/letters/:slug/print", a.showPrint, lang)
	e.GET("/letters/:slug/print.css", a.showPrintStyle, lang)
	e.GET("/letters/:slug/signatories.csv", a.downloadCSV, lang, allowAnyOrigin, answerErrorsAs(errorsAsText))
	e.GET("/letters/:slug/signatories.json", a.downloadJSON, lang, allowAnyOrigin, answerErrorsAs(errorsAsJSON))
	e.POST("/letters/:slug/sign", a.createSignature, lang)
	e.GET("/letters/:slug/logos/:file", a.showLogo, lang)
	e.GET("/letters/:slug/check-inbox", a.showCheckInbox, lang)
	e.GET("/letters/:slug/resend", a.showResend, lang)
	e.POST("/letters/:slug/resend", a.createResend, lang)
	e.GET("/partners/:token", a.showPartnerPage, noReferrer)

	confirm := e.Group("/confirm", noReferrer)
	confirm.GET("/:token", a.showConfirm)
	confirm.POST("/:token", a.createConfirmation)
	confirm.POST("/:token/resend", a.createNewLink)

	manage := e.Group("/manage", noReferrer)
	manage.GET("/:token", a.showManage)
	manage.POST("/:token", a.updateManage)
	manage.POST("/:token/withdraw", a.createWithdrawal)
	manage.POST("/:token/consents", a.updateConsents)
	manage.GET("/:token/proofs/:delivery", a.downloadProof)

	unsubscribe := e.Group("/unsubscribe", noReferrer)
	unsubscribe.GET("/:token", a.showUnsubscribe)
	unsubscribe.POST("/:token", a.createUnsubscription)

	api := e.Group("/api/v1", allowAnyOrigin)
	api.GET("/letters", a.apiListLetters)
	api.GET("/letters/:slug", a.apiShowLetter)
	api.GET("/letters/:slug/signatories", a.apiListSignatories)
	api.GET("/letters/:slug/history", a.apiShowLetterHistory)

	admin := e.Group("/admin", a.csrfProtection())
	admin.GET("/login", a.showLogin)
	admin.POST("/login", a.createSession)
	console := admin.Group("", a.requireStaff)
	console.POST("/logout", a.deleteSession)
	console.GET("", a.showQueue)
	console.POST("/signatures/actions", a.createDecision)
	console.POST("/decisions/preview", a.previewBulkDecision)
	console.POST("/decisions", a.createBulkDecision)
	console.GET("/decisions/:id", a.showDecisionJob)
	console.GET("/signatures/:id", a.showSignature)
	console.POST("/signatures/:id", a.updateSignature)
	console.POST("/signatures/:id/erase", a.createErasure, requireAdmin)
	console.GET("/signatures/:id/logo.png", a.showPendingLogo)
	console.POST("/signatures/:id/media", a.createMediaDecision)
	console.GET("/audit", a.showAudit)
	console.GET("/mail", a.showMail)
	console.POST("/mail/requeue", a.createRequeue, requireAdmin)
	console.GET("/export", a.showExport)
	console.POST("/export", a.createExport)
	console.GET("/abuse", a.showAbuse, requireAdmin)
	console.POST("/abuse/blocks", a.createBlock, requireAdmin)
	console.POST("/abuse/blocks/delete", a.deleteBlock, requireAdmin)
	console.POST("/abuse/invalidate", a.createInvalidation, requireAdmin)
	console.GET("/abuse/invalidations/:id", a.showInvalidation, requireAdmin)
	console.GET("/imports", a.showImports, requireAdmin)
	console.POST("/imports", a.createImport, requireAdmin)
	console.GET("/imports/:id", a.showImport, requireAdmin)
	console.POST("/imports/:id", a.updateImport, requireAdmin)
	console.GET("/staff", a.showStaff, requireAdmin)
	console.POST("/staff", a.createStaff, requireAdmin)
	console.POST("/staff/disable", a.disableStaff, requireAdmin)
	console.GET("/account", a.showAccount)
	console.POST("/account", a.updateAccount)
	console.GET("/letters", a.listLetters)
	console.GET("/letters/new", a.newLetter, requireAdmin)
	console.POST("/letters", a.createLetter, requireAdmin)
	console.POST("/letters/preview", a.createPreview, requireAdmin)
	console.GET("/letters/:id", a.showConsoleLetter)
	console.GET("/letters/:id/letter.pdf", a.downloadLetterPDF, requireAdmin)
	console.GET("/letters/:id/history", a.showLetterHistory)
	console.GET("/letters/:id/history.csv", a.downloadLetterHistory)
	console.POST("/letters/:id/events", a.createLetterEvent, requireAdmin)
	console.POST("/letters/:id/schedule", a.updateLetterSchedule, requireAdmin)
	console.POST("/letters/:id/goal", a.updateLetterGoal, requireAdmin)
	console.POST("/letters/:id/settings", a.updateLetterSettings, requireAdmin)
	console.GET("/letters/:id/texts/:lang", a.showLetterText)
	console.POST("/letters/:id/packs", a.createPack, requireAdmin)
	console.POST("/letters/:id/deliveries", a.createDelivery, requireAdmin)
	console.POST("/letters/:id/texts/:lang", a.updateLetterText, requireAdmin)
	console.POST("/letters/:id/partners", a.createPartner, requireAdmin)
	console.POST("/letters/:id/partners/:partner/link", a.rotatePartnerLink, requireAdmin)
	console.POST("/letters/:id/partners/:partner/contacts", a.exportPartnerContacts, requireAdmin)
	console.GET("/letters/:id/webhooks", a.showWebhooks, requireAdmin)
	console.POST("/letters/:id/webhooks", a.createWebhook, requireAdmin)
	console.GET("/letters/:id/webhooks/:hook", a.showWebhookLog, requireAdmin)
	console.POST("/letters/:id/webhooks/:hook/test", a.createWebhookTest, requireAdmin)
	console.POST("/letters/:id/webhooks/:hook/remove", a.removeWebhook, requireAdmin)
	console.GET("/letters/:id/update", a.showLetterUpdate, requireAdmin)
	console.POST("/letters/:id/update", a.createLetterUpdate, requireAdmin)

	e.StaticFS("/static", static)
}
