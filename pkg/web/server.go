// Package web is Undersigned's HTTP face: the echo server, its routes, the pages
// and the JSON API. It is the only package that knows about HTTP; it maps the
// domain packages' errors to statuses.
package web

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language/display"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/geo"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/imports"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/metrics"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/partners"
	"github.com/undersigned/undersigned/pkg/record"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/staff"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/webhooks"
)

// Deps are what the web app is built from; main assembles them.
type Deps struct {
	Config  config.Config
	Store   *store.Store
	Letters *letters.Registry
	// LetterConsole writes, translates and schedules letters for staff.
	LetterConsole *letters.Console
	// LetterUpdates sends admins' updates to the signers who asked to be
	// kept informed.
	LetterUpdates *letters.Updates
	// Record makes delivery packs and proofs and keeps the deliveries.
	Record *record.Service
	// Webhooks adds the letters' webhook endpoints and sends test events.
	Webhooks  *webhooks.Service
	Signing   *signing.Service
	Staff     *staff.Service
	Moderator *moderation.Service
	// Imports brings in signatures gathered elsewhere, from admins' CSV files.
	Imports *imports.Service
	// Partners keeps the organisations sharing each letter, and their
	// private pages' links.
	Partners  *partners.Service
	Guard     *abuse.Guard
	Blocks    *abuse.Blocklist
	Streams   *abuse.StreamLimit // event streams open per client network
	Outbox    interface{ Wake() }
	Metrics   *metrics.Metrics
	Live      *live.Hub
	Countries *geo.Countries
	Catalog   *i18n.Catalog
	Files     fs.FS // the embedded tree holding templates/ and static/
	Log       *slog.Logger
	Now       func() time.Time
}

// App holds the handlers' dependencies; every handler is a method on it.
type App struct {
	d         Deps
	templates *templates
	echo      *echo.Echo
	languages []languageLink // every language the app speaks, named in itself; built once
	pages     *pageCache     // letter pages of the current second
	apiBodies *pageCache     // JSON totals of the current snapshot
	events    *eventData     // broadcast updates' data, per language
}

// New builds the app and its routes.
func New(d Deps) (*App, error) {
	tpl, err := parseTemplates(d.Files)
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(d.Files, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	a := &App{d: d, templates: tpl, echo: echo.New(), pages: newPageCache(), apiBodies: newPageCache(), events: newEventData()}
	for _, tag := range d.Catalog.Languages() {
		a.languages = append(a.languages, languageLink{Tag: tag.String(), Name: display.Self.Name(tag)})
	}
	a.echo.HideBanner, a.echo.HidePort = true, true
	a.echo.HTTPErrorHandler = a.handleError
	a.echo.IPExtractor = ipExtractor(d.Config.Abuse.TrustedProxies)
	a.routes(filesOnly{static})
	return a, nil
}

// filesOnly is the static tree as /static serves it: its files, and no
// folders. Echo's file server answers a folder with a redirect that adds a
// slash, which the pre-routing middleware that removes trailing slashes
// undoes, so a folder would loop between the two; a folder is not found.
type filesOnly struct{ fs.FS }

// Open opens the file name, or reports fs.ErrNotExist for a folder.
func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if info, err := file.Stat(); err != nil || info.IsDir() {
		_ = file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return file, nil
}

// Server is the HTTP server for the app, with the configured timeouts.
func (a *App) Server() *http.Server {
	cfg := a.d.Config.Server
	return &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: cfg.ReadTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(a.d.Log.Handler(), slog.LevelWarn),
	}
}

// Handler is the app as an http.Handler. It answers HEAD like GET, as
// monitors and link checkers expect; the server, which still sees HEAD,
// sends no body.
func (a *App) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
		}
		a.echo.ServeHTTP(w, r)
	})
}

// ipExtractor finds the client's address: the connection's peer, or, when
// that peer is a configured trusted proxy, the address it reports in
// X-Forwarded-For. No network is trusted unless configured.
func ipExtractor(trusted []string) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, cidr := range trusted {
		_, network, err := net.ParseCIDR(cidr)
		if err == nil { // config.Validate has checked them
			opts = append(opts, echo.TrustIPRange(network))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Languages lists the tags of the languages the app speaks.
func (a *App) Languages() []string {
	var out []string
	for _, tag := range a.d.Catalog.Languages() {
		out = append(out, tag.String())
	}
	return out
}
