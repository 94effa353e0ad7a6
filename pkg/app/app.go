// Package app assembles Undersigned from its configuration: it opens the
// store, syncs the letters, builds the services and serves them until told to
// stop. cmd/undersigned and the test harness build the app the same way.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/deliver"
	"github.com/undersigned/undersigned/pkg/digest"
	"github.com/undersigned/undersigned/pkg/geo"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/imports"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/mail"
	"github.com/undersigned/undersigned/pkg/metrics"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/partners"
	"github.com/undersigned/undersigned/pkg/record"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/staff"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
	"github.com/undersigned/undersigned/pkg/web"
	"github.com/undersigned/undersigned/pkg/webhooks"
)

// Options are what the app takes from outside besides its configuration; in
// tests they make time and randomness deterministic.
type Options struct {
	Files  fs.FS            // the embedded templates/ and static/
	Log    *slog.Logger     // where the app logs
	Now    func() time.Time // the clock; time.Now outside tests
	Random io.Reader        // crypto/rand.Reader outside tests
}

// App is an assembled Undersigned instance.
type App struct {
	Config  config.Config
	Store   *store.Store
	Vault   *vault.Vault
	Letters *letters.Registry
	// LetterConsole is what staff do to letters in the console.
	LetterConsole *letters.Console
	Signing       *signing.Service
	Staff         *staff.Service
	Moderator     *moderation.Service
	// Imports brings in signatures gathered elsewhere, from admins' CSV files.
	Imports *imports.Service
	Live    *live.Hub
	Blocks  *abuse.Blocklist
	// RateCounts are the rate limits' counters in the database, which
	// servers sharing PostgreSQL count together; nil on SQLite, whose one
	// server counts in memory. Serve prunes them.
	RateCounts *abuse.SharedCounts
	Outbox     *mail.Worker
	// Digests queues the staff's digests of signatures awaiting review;
	// Serve runs it every minute.
	Digests *digest.Service
	// Notices queues, in the background, the mail telling signers of a
	// material change to a letter's text; Serve waits for it when it stops.
	Notices *letters.Notices
	// Updates sends admins' updates to the signers who asked to be kept
	// informed, queued through Notices.
	Updates *letters.Updates
	// Deliver is where the delivered document (deliver.Build) reads a
	// letter's public list from.
	Deliver deliver.Source
	// Record makes delivery packs and inclusion proofs and keeps the
	// deliveries staff record.
	Record *record.Service
	// Webhooks adds letters' webhook endpoints and delivers their events;
	// Serve runs its worker.
	Webhooks *webhooks.Service
	Web      *web.App
	// HashSlots bounds how many staff passwords are hashed at once (Staff
	// takes one per argon2id run); the tests of the bound hold its slots.
	HashSlots *semaphore.Weighted
	log       *slog.Logger
}

// Build opens the database, migrates it, syncs the letters and wires the
// services. Close releases what it opened.
func Build(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("app: create data folder %s: %w", cfg.DataDir, err)
	}
	st, err := store.Open(store.Options{Driver: cfg.Database.Driver, DSN: cfg.Database.DSN, DataDir: cfg.DataDir, Log: opts.Log})
	if err != nil {
		return nil, err
	}
	a, err := build(ctx, cfg, opts, st)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return a, nil
}

func build(ctx context.Context, cfg config.Config, opts Options, st *store.Store) (*App, error) {
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	key, err := vault.LoadKey(cfg.SecretKey, filepath.Join(cfg.DataDir, "secret.key"), opts.Random)
	if err != nil {
		return nil, err
	}
	v, err := vault.New(key, opts.Random)
	if err != nil {
		return nil, err
	}
	imported, err := letters.Import(ctx, st, cfg.Letters, opts.Now())
	if err != nil {
		return nil, err
	}
	if imported > 0 {
		opts.Log.Info("imported letters from config.yaml; the console owns them from now on", "texts", imported)
	}
	markdown := letters.NewMarkdown()
	reg, err := letters.Load(ctx, st, markdown)
	if err != nil {
		return nil, err
	}
	catalog, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	renderer, err := mail.NewRenderer(opts.Files)
	if err != nil {
		return nil, err
	}
	transport, err := mail.NewTransport(cfg.Mail, cfg.DataDir, opts.Log, opts.Now, func(address string) string {
		return v.Hash(vault.PurposeMailFile, address)
	})
	if err != nil {
		return nil, err
	}
	countries := geo.New()
	var hub *live.Hub
	observe := metrics.New(st, func() int { return hub.Subscribers() }, opts.Now, opts.Log)
	outbox := mail.NewWorker(mail.WorkerDeps{
		Store: st, Vault: v, Letters: reg, Catalog: catalog, Renderer: renderer, Transport: transport,
		Config: cfg.Mail, Reasons: cfg.Moderation.Reasons, BaseURL: cfg.BaseURL, SiteName: cfg.Site.Name, Contact: cfg.Site.Contact(), Now: opts.Now, Random: opts.Random, Log: opts.Log, Observer: observe,
		Markdown: markdown,
	})
	hub = live.NewHub(st, live.HubConfig{Interval: cfg.Live.Interval, MaxStale: cfg.Live.MaxStale, Now: opts.Now,
		NamesPerCountry: cfg.Live.NamesPerCountry}, opts.Log)
	signer := signing.New(signing.Deps{
		Store: st, Vault: v, Letters: reg, ValidCountry: countries.Valid, Config: cfg.Signing,
		Now: opts.Now, Outbox: outbox, Live: hub, NetworkRetention: cfg.Abuse.NetworkRetention,
	})
	hashSlots := semaphore.NewWeighted(int64(cfg.Staff.HashSlots()))
	staffService, err := staff.New(staff.Deps{Store: st, Config: cfg.Staff, Now: opts.Now, Random: opts.Random, HashSlots: hashSlots})
	if err != nil {
		return nil, err
	}
	moderator := moderation.New(moderation.Deps{
		Store: st, Vault: v, Letters: reg, ValidCountry: countries.Valid, Config: cfg.Moderation, Now: opts.Now, Outbox: outbox, Live: hub,
	})
	importer := imports.New(imports.Deps{
		Store: st, Vault: v, Letters: reg, Signing: signer, ValidCountry: countries.Valid, Config: cfg.Imports, Now: opts.Now, Outbox: outbox, Live: hub,
	})
	rateCounts, counters := rateCounters(st, v, opts)
	guard := abuse.NewGuard(cfg.Abuse, v, opts.Now, counters)
	blocks := abuse.NewBlocklist(st)
	if err := blocks.Reload(ctx); err != nil {
		return nil, err
	}
	notices := letters.NewNotices(st, outbox, opts.Now, letters.NoticeChunk, cfg.Mail.Outbox.YieldToSigning, opts.Log)
	letterConsole := letters.NewConsole(st, reg, markdown, notices, opts.Now)
	updates := letters.NewUpdates(st, reg, notices, opts.Now)
	campaignKey, err := record.LoadKey(ctx, st, cfg.CampaignKey, filepath.Join(cfg.DataDir, "campaign.key"), opts.Random, opts.Now())
	if err != nil {
		return nil, err
	}
	deliverSource := deliver.Source{Store: st, Catalog: catalog, Countries: countries, Now: opts.Now}
	records := record.New(record.Deps{Store: st, Letters: reg, Key: campaignKey, BaseURL: cfg.BaseURL, Now: opts.Now, Random: opts.Random,
		PDF: func(ctx context.Context, letter *letters.Letter, lang string) ([]byte, error) {
			return deliver.LetterPDF(ctx, deliverSource, letter, lang)
		}})
	hooks, err := buildWebhooks(cfg, opts, st, v)
	if err != nil {
		return nil, err
	}
	webApp, err := web.New(web.Deps{Webhooks: hooks,
		Config: cfg, Store: st, Letters: reg, LetterConsole: letterConsole, LetterUpdates: updates, Record: records, Signing: signer, Staff: staffService, Moderator: moderator, Imports: importer, Live: hub,
		Partners: partners.New(partners.Deps{Store: st, Now: opts.Now, Random: opts.Random}), Guard: guard, Blocks: blocks, Outbox: outbox, Metrics: observe,
		Streams:   abuse.NewStreamLimit(cfg.Live.MaxStreamsPerNetwork, cfg.Abuse.IPAllowlist),
		Countries: countries, Catalog: catalog, Files: opts.Files, Log: opts.Log, Now: opts.Now,
	})
	if err != nil {
		return nil, err
	}
	return &App{Config: cfg, Store: st, Vault: v, Letters: reg, LetterConsole: letterConsole, Notices: notices, Updates: updates, Record: records, Signing: signer, Staff: staffService, Moderator: moderator, Imports: importer,
		Live: hub, Blocks: blocks, RateCounts: rateCounts, Outbox: outbox, Digests: digest.New(digest.Deps{Store: st, Now: opts.Now, Outbox: outbox}),
		Web: webApp, Webhooks: hooks, HashSlots: hashSlots, log: opts.Log,
		Deliver: deliverSource}, nil
}

// rateCounters is where the rate limits count: in the database on
// PostgreSQL, which several servers may share, in memory on SQLite.
func rateCounters(st *store.Store, v *vault.Vault, opts Options) (*abuse.SharedCounts, abuse.Counters) {
	if st.Driver != "postgres" {
		return nil, abuse.InMemory(opts.Now)
	}
	shared := abuse.NewSharedCounts(st, v, opts.Now, opts.Log)
	return shared, shared.Counter
}

// buildWebhooks is the webhook service, its requests guarded by
// webhooks.allow_private.
func buildWebhooks(cfg config.Config, opts Options, st *store.Store, v *vault.Vault) (*webhooks.Service, error) {
	guard, err := webhooks.NewGuard(cfg.Webhooks.AllowPrivate)
	if err != nil {
		return nil, err
	}
	client, err := guard.Client(cfg.Webhooks.CAFile)
	if err != nil {
		return nil, err
	}
	return webhooks.New(webhooks.Deps{Store: st, Vault: v, Guard: guard, Client: client, Outbox: cfg.Mail.Outbox,
		Now: opts.Now, Random: opts.Random, Log: opts.Log}), nil
}

// Close closes the database.
func (a *App) Close() error { return a.Store.Close() }

// expireEvery is how often unconfirmed signatures past their grace, and the
// records of mail sent long ago, are deleted.
const expireEvery = time.Hour

// Serve answers HTTP on ln and runs the outbox worker and the expiry job until
// ctx ends; then it stops taking requests, lets those in flight finish (up to
// server.shutdown_timeout) and stops the workers between jobs.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := a.Web.Server()
	srv.RegisterOnShutdown(a.Live.Close)
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.Outbox.Run(workCtx) })
	wg.Go(func() { a.Webhooks.Run(workCtx) })
	wg.Go(func() { a.every(workCtx, expireEvery, "expiring unconfirmed signatures", a.expire) })
	wg.Go(func() { a.every(workCtx, expireEvery, "pruning sent mail and webhook deliveries", a.pruneSent) })
	wg.Go(func() { a.Live.Run(workCtx) })
	wg.Go(func() { a.every(workCtx, blocksEvery, "reloading the block list", a.Blocks.Reload) })
	wg.Go(func() { a.every(workCtx, lettersEvery, "refreshing the letters", a.refreshLetters) })
	wg.Go(func() { a.every(workCtx, digestsEvery, "queueing staff digests", a.queueDigests) })
	if a.RateCounts != nil {
		wg.Go(func() { a.every(workCtx, rateCountsEvery, "pruning rate counters", a.pruneRateCounts) })
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "base_url", a.Config.BaseURL)

	var err error
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		a.log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), a.Config.Server.ShutdownTimeout)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	stopWork()
	wg.Wait()
	a.Moderator.WaitJobs() // each chunk commits on its own; let the last ones finish
	a.Notices.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// expire deletes unconfirmed signatures past their grace.
func (a *App) expire(ctx context.Context) error {
	n, err := a.Signing.Expire(ctx)
	if n > 0 {
		a.log.Info("deleted unconfirmed signatures past their expiry", "count", n)
	}
	return err
}

// pruneSent deletes the records of mail sent, and of webhook deliveries
// delivered or given up, longer ago than mail.outbox.keep_sent.
func (a *App) pruneSent(ctx context.Context) error {
	mails, err := a.Outbox.PruneSent(ctx)
	if mails > 0 {
		a.log.Info("deleted the records of mail sent long ago", "count", mails)
	}
	if err != nil {
		return err
	}
	deliveries, err := a.Webhooks.PruneLog(ctx)
	if deliveries > 0 {
		a.log.Info("deleted the webhook deliveries ended long ago", "count", deliveries)
	}
	return err
}

// lettersEvery is how often the letters are checked for changes made by
// other servers sharing the database, and for scheduled moves to write down.
const lettersEvery = 5 * time.Second

// refreshLetters reloads the letters another server changed and writes
// down, audited, the moves their dates made.
func (a *App) refreshLetters(ctx context.Context) error {
	if _, err := a.Letters.Refresh(ctx); err != nil {
		return err
	}
	n, err := a.LetterConsole.Advance(ctx)
	if n > 0 {
		a.log.Info("letters moved on their scheduled dates", "moves", n)
	}
	return err
}

// digestsEvery is how often the staff due a digest of the signatures
// awaiting review are looked for: "at once" means within a minute.
const digestsEvery = time.Minute

// queueDigests queues a digest for every staff member due one.
func (a *App) queueDigests(ctx context.Context) error {
	_, err := a.Digests.QueueDue(ctx)
	return err
}

// rateCountsEvery is how often the rate counters' ended windows are
// deleted; each server sharing the database does it, to no harm.
const rateCountsEvery = 10 * time.Minute

// pruneRateCounts deletes the rate counters' ended windows.
func (a *App) pruneRateCounts(ctx context.Context) error {
	_, err := a.RateCounts.Prune(ctx)
	return err
}

// blocksEvery is how often the block list is read again, so that servers
// sharing a database agree on it within a minute.
const blocksEvery = time.Minute

// every runs job now and then every interval until ctx ends, logging what fails.
func (a *App) every(ctx context.Context, interval time.Duration, what string, job func(context.Context) error) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := job(ctx); err != nil && ctx.Err() == nil {
			a.log.Error(what+" failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
