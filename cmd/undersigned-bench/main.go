// Command undersigned-bench is Undersigned's load test. It starts a server on
// a fresh data folder (SQLite) or a fresh PostgreSQL database, seeds a letter
// with published signatures, then drives it from the same machine and prints
// throughput and latency percentiles for each phase: mail delivered to a
// local SMTP server, sign posts, the letter page (while signing runs at 500
// a second), the JSON totals, beside a bare echo handler's figures as the
// ceiling, and event streams held by a child process. On PostgreSQL it can
// start two servers on the one database, spread the load over both and
// measure how long a name published through one takes to reach the other's
// event stream. The campaign phase, asked for by name, signs again while
// signers confirm, webhook events are delivered and an update is sent.
//
//	go run ./cmd/undersigned-bench -seed 1000000 -duration 60s -streams 10000
//	go run ./cmd/undersigned-bench -phases sign,json -duration 10s
//	go run ./cmd/undersigned-bench -phases sign,campaign -seed 50000 -duration 15s
//	go run ./cmd/undersigned-bench -database postgres -postgres-bin /usr/lib/postgresql/15/bin -instances 2
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned"
	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

func main() {
	var o options
	flag.IntVar(&o.seed, "seed", 1_000_000, "published signatures to seed")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long each phase runs")
	flag.IntVar(&o.clients, "clients", 64, "concurrent HTTP clients per phase")
	flag.IntVar(&o.streams, "streams", 1000, "event-stream clients to hold open")
	flag.IntVar(&o.signRate, "sign-rate", 5000, "signatures a second to start, whatever the answers' pace, in the open-loop sign phase (0 skips it)")
	flag.IntVar(&o.confirmRate, "confirm-rate", 500, "confirmations a second beside signing in the campaign phase")
	flag.DurationVar(&o.signRamp, "sign-ramp", 2*time.Second, "how long the open-loop sign phase takes to rise to -sign-rate before it is measured (reported on a line of its own)")
	phases := flag.String("phases", "mail,sign,page,json,streams,propagation", "the phases to run, comma-separated (propagation needs -instances 2); "+
		"confirm (not by default) signs again while signers confirm; campaign (not by default) too, while webhooks are delivered and an update is sent")
	flag.StringVar(&o.database, "database", "sqlite", `the database: "sqlite" (a file in a temporary folder) or "postgres" (-dsn or -postgres-bin)`)
	flag.StringVar(&o.dsn, "dsn", "", "PostgreSQL: a key=value connection string without dbname; the run creates a database of its own there and drops it at the end")
	flag.StringVar(&o.postgresBin, "postgres-bin", "", "PostgreSQL: the folder of initdb and pg_ctl, to start a throwaway cluster on a free port instead of -dsn")
	postgresSet := flag.String("postgres-set", "", "PostgreSQL: settings for the throwaway cluster, name=value, comma-separated (fsync and synchronous_commit are on)")
	flag.IntVar(&o.instances, "instances", 1, "servers on the one database, each on its own port, the load spread over them (2 needs PostgreSQL)")
	flag.BoolVar(&o.hold, "hold", false, "after the phases, keep the server running (until interrupted) for an outside load generator such as wrk")
	streamClients := flag.String("stream-clients", "", "internal: hold -streams event streams open on this URL (the child process)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (server and load) to this file")
	flag.StringVar(&o.memProfile, "memprofile", "", "write a heap profile (server and load) to this file after the request phases, when their RSS is printed")
	flag.Parse()
	o.phases = strings.Split(*phases, ",")
	if *postgresSet != "" {
		o.postgresSet = strings.Split(*postgresSet, ",")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "undersigned-bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	var err error
	if *streamClients != "" {
		err = holdStreams(*streamClients, o.streams)
	} else {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "undersigned-bench:", err)
		os.Exit(1)
	}
}

const slug = "protect-strong-encryption"

// options are the command's flags.
type options struct {
	seed, clients, streams int
	signRate, confirmRate  int
	signRamp               time.Duration
	duration               time.Duration
	phases                 []string
	hold                   bool
	memProfile             string
	database, dsn          string
	postgresBin            string
	postgresSet            []string
	instances              int
}

// bench is a run in progress: the servers under test and what drives it.
type bench struct {
	options
	ctx     context.Context
	app     *app.App // the first server, which the mail and stream phases use
	base    string   // its address
	servers []server
	client  *client
	mails   *sink
	// campaign receives the webhook events of the campaign phase; nil
	// when it does not run.
	campaign *campaign
	signs    atomic.Int64 // numbers the load's sign posts, so each address is new
	turn     atomic.Int64 // spreads the requests over the servers
}

func run(o options) (err error) {
	if o.instances < 1 || o.instances > 2 || (o.instances > 1 && o.database != "postgres") {
		return fmt.Errorf("-instances must be 1, or 2 with -database postgres; got %d on %s", o.instances, o.database)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	dir, err := os.MkdirTemp("", "undersigned-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, dropDB, err := prepareDatabase(o)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, dropDB()) }()
	mails, err := startSink()
	if err != nil {
		return err
	}
	b := &bench{options: o, ctx: ctx, mails: mails, client: newClient()}
	var env []string
	if b.runs("campaign") {
		if b.campaign, err = startReceiver(dir); err != nil {
			return err
		}
		defer b.campaign.receiver.Close()
		env = b.campaign.env()
	}
	servers, err := startServers(ctx, o.instances, dir, mails.addr, db, env...)
	defer func() { err = errors.Join(err, stopServers(stop, servers)) }()
	if err != nil {
		return err
	}
	b.app, b.base, b.servers = servers[0].app, servers[0].base, servers
	if err := b.printHeader(); err != nil {
		return err
	}

	start := time.Now()
	if err := seedLetter(ctx, b.app, o.seed, b.campaign != nil); err != nil {
		return err
	}
	fmt.Printf("seeded %d published signatures in %s (%.0f/s)\n", o.seed, time.Since(start).Round(time.Millisecond), float64(o.seed)/time.Since(start).Seconds())
	if err := b.reportMemory("seeding"); err != nil {
		return err
	}
	fmt.Println()

	if b.runs("mail") {
		if err := b.mail(); err != nil {
			return err
		}
	}
	if b.runs("sign") || b.runs("confirm") || b.runs("campaign") || b.runs("page") || b.runs("json") {
		if err := b.requests(); err != nil {
			return err
		}
	}
	if b.runs("streams") {
		if err := streamLatency(ctx, b.app, b.base, o.streams); err != nil {
			return err
		}
	}
	if b.runs("propagation") && len(servers) > 1 {
		if err := b.propagation(); err != nil {
			return err
		}
	}
	if err := b.reportMemory("every phase"); err != nil {
		return err
	}
	if o.hold {
		fmt.Printf("\nthe server goes on at %s until interrupted\n", b.base)
		interrupted, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		<-interrupted.Done()
	}
	return nil
}

func (b *bench) runs(phase string) bool { return slices.Contains(b.phases, phase) }

// printHeader says when, where and on what the run measures.
func (b *bench) printHeader() error {
	database := "SQLite"
	if b.database == "postgres" {
		settings, err := b.app.Store.PostgresSettings(b.ctx, shownSettings())
		if err != nil {
			return err
		}
		database = strings.Join(settings, ", ")
	}
	instances := "1 instance"
	if len(b.servers) > 1 {
		instances = fmt.Sprintf("%d instances", len(b.servers))
	}
	fmt.Printf("Undersigned load test — %s, %d CPUs, Go %s, %s, %s\n\n", time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(),
		runtime.Version()[2:], database, instances)
	return nil
}

// target is the server the next request goes to: each in turn.
func (b *bench) target() string {
	return b.servers[int(b.turn.Add(1))%len(b.servers)].base
}

// mail measures the outbox against the SMTP sink: how fast it delivers a
// burst, and how long a mail takes at 200 signs a second.
func (b *bench) mail() error {
	if err := mailBurst(b.ctx, b.app, b.mails, b.client, b.base, 5000, b.clients); err != nil {
		return err
	}
	if err := mailPaced(b.ctx, b.app, b.mails, b.client, b.base, 200, b.duration); err != nil {
		return err
	}
	fmt.Println()
	return nil
}

// requests measures the bare ceiling, then signing, the letter page (while
// signing runs at 500 a second) and the JSON totals. Signing at a set pace
// (the target) comes first, on the letter as seeded, and signing as fast as
// the server answers after it: run first, that phase added as many
// signatures as the host's speed allowed (400,000 to 550,000 in 60 s), so
// each run's paced phase met a database of another size. Before each
// following phase the outbox sends what signing queued, so that it competes
// with the mail of the signing it runs beside, not with a backlog.
func (b *bench) requests() error {
	ceiling, err := bareCeiling(b.ctx, b.client, b.duration, b.clients)
	if err != nil {
		return err
	}
	results := []result{ceiling}
	if b.runs("sign") {
		if b.signRate > 0 {
			if b.signRamp > 0 {
				name := fmt.Sprintf("sign POST, rising to %d/s in %s", b.signRate, b.signRamp)
				results = append(results, paced(name, b.signRamp, rising(b.signRate, b.signRamp), b.sign))
			}
			name := fmt.Sprintf("sign POST, %d/s started", b.signRate)
			results = append(results, paced(name, b.duration, steady(b.signRate), b.sign))
			if err := b.drainOutbox(); err != nil {
				return err
			}
			if err := b.reportMemory("signing at " + strconv.Itoa(b.signRate) + "/s"); err != nil {
				return err
			}
		}
		results = append(results, load("sign POST, as fast as answered", b.duration, b.clients, b.sign))
		if err := b.drainOutbox(); err != nil {
			return err
		}
	}
	for _, phase := range []string{"confirm", "campaign"} {
		if b.runs(phase) {
			beside, err := b.campaignPhases(phase == "campaign")
			if err != nil {
				return err
			}
			results = append(results, beside...)
		}
	}
	if b.runs("page") {
		var background atomic.Int64
		go pace(500, b.duration, func() {
			if b.sign() {
				background.Add(1)
			}
		})
		r := load("letter page GET", b.duration, b.clients, func() bool { return b.client.get(b.target() + "/letters/" + slug) })
		r.name += fmt.Sprintf(" (signing %.0f/s)", float64(background.Load())/b.duration.Seconds())
		results = append(results, r)
		if err := b.drainOutbox(); err != nil {
			return err
		}
	}
	if b.runs("json") {
		results = append(results, load("JSON API GET", b.duration, b.clients, func() bool { return b.client.get(b.target() + "/api/v1/letters/" + slug) }))
	}
	fmt.Printf("%-36s %10s %10s %10s %10s %10s %8s\n", "phase", "req/s", "p50", "p99", "vs ceiling", "CPU/req", "stolen")
	for _, r := range results {
		fmt.Printf("%-36s %10.0f %10s %10s %9.0f%% %10s %7.1f%%\n", r.name, r.rps, r.p50, r.p99, 100*r.rps/ceiling.rps,
			r.cpu.Round(time.Microsecond), 100*r.stolen)
	}
	if err := b.reportMemory("these phases"); err != nil {
		return err
	}
	fmt.Println()
	if b.memProfile != "" {
		return writeHeapProfile(b.memProfile)
	}
	return nil
}

// writeHeapProfile writes what the heap holds live now to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile shows the heap as of the last collection
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// reportMemory prints the resident memory of this process, the server and
// the load generator in one, and how many signatures the server holds.
func (b *bench) reportMemory(after string) error {
	var stored int64
	if err := b.app.Store.Read(b.ctx).Model(&store.Signature{}).Count(&stored).Error; err != nil {
		return err
	}
	fmt.Printf("RSS after %s, with %d signatures stored: %d MiB\n", after, stored, rssMiB())
	return nil
}

// sign posts the sign form with a new address.
func (b *bench) sign() bool {
	return b.client.sign(b.target(), fmt.Sprintf("load%d@example.org", b.signs.Add(1)), nil)
}

// signInformed posts the sign form with a new address, come through a
// newsletter's link, asking to be kept informed.
func (b *bench) signInformed() bool {
	return b.client.sign(b.target(), fmt.Sprintf("load%d@example.org", b.signs.Add(1)),
		url.Values{"keep_informed": {"yes"}, "ref": {"newsletter"}, "utm_source": {"newsletter"}})
}

// drainOutbox waits for the outbox to send what the last phase queued and
// says how fast it went.
func (b *bench) drainOutbox() error {
	stats, err := store.OutboxStats(b.app.Store.Read(b.ctx), store.MailFilter{}, time.Now().UTC())
	if err != nil {
		return err
	}
	start := time.Now()
	if err := waitForEmptyOutbox(b.ctx, b.app); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Printf("  (the outbox sent the %d mails left queued in %s: %.0f/s)\n", stats.Queued, took.Round(time.Millisecond), float64(stats.Queued)/took.Seconds())
	return nil
}

// server is one instance of the app under test.
type server struct {
	app    *app.App
	base   string
	served chan struct{} // closed when Serve has returned
}

// startServers starts n servers on the database db, sharing the data folder
// dir (and so the secret key) and the SMTP sink, configured further by env.
// The first migrates the database; the others find it done.
func startServers(ctx context.Context, n int, dir string, smtpAddr *net.TCPAddr, db config.Database, env ...string) ([]server, error) {
	var servers []server
	for range n {
		s, err := startServer(ctx, dir, smtpAddr, db, env)
		if err != nil {
			return servers, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

// stopServers ends ctx (stop), waits for each server to finish and closes
// its database connections.
func stopServers(stop context.CancelFunc, servers []server) error {
	stop()
	var errs []error
	for _, s := range servers {
		<-s.served
		errs = append(errs, s.app.Close())
	}
	return errors.Join(errs...)
}

// startServer builds and serves the app on the database db, with the data
// folder dir and its mail sent to smtpAddr, configured further by env.
func startServer(ctx context.Context, dir string, smtpAddr *net.TCPAddr, db config.Database, env []string) (server, error) {
	cfg, err := config.Load("config.yaml", append([]string{"UNDERSIGNED_DATA_DIR=" + dir, "UNDERSIGNED_LOG_LEVEL=error",
		"UNDERSIGNED_ABUSE_IP_ALLOWLIST=127.0.0.0/8", "UNDERSIGNED_ABUSE_MIN_FORM_TIME=0s",
		"UNDERSIGNED_ABUSE_DOMAIN_ALLOWLIST=example.org",
		"UNDERSIGNED_MAIL_TRANSPORT=smtp", "UNDERSIGNED_MAIL_SMTP_HOST=127.0.0.1",
		fmt.Sprintf("UNDERSIGNED_MAIL_SMTP_PORT=%d", smtpAddr.Port), "UNDERSIGNED_MAIL_SMTP_TLS=none"}, env...))
	if err != nil {
		return server{}, err
	}
	cfg.Database = db
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return server{}, err
	}
	cfg.BaseURL = "http://" + ln.Addr().String()
	cfg.Letters[0].Review = nil
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	app.TuneCollector(cfg.Runtime, os.Environ(), log)
	a, err := app.Build(ctx, cfg, app.Options{Files: undersigned.Files(), Log: log, Now: func() time.Time { return time.Now().UTC() }, Random: rand.Reader})
	if err != nil {
		return server{}, err
	}
	s := server{app: a, base: cfg.BaseURL, served: make(chan struct{})}
	go func() {
		defer close(s.served)
		_ = a.Serve(ctx, ln)
	}()
	return s, nil
}

// prepareDatabase returns the database the servers use: SQLite in their
// data folder, or a database of the run's own on PostgreSQL (on a throwaway
// cluster with -postgres-bin), and the function that removes it.
func prepareDatabase(o options) (config.Database, func() error, error) {
	none := func() error { return nil }
	switch {
	case o.database == "sqlite":
		return config.Database{Driver: "sqlite"}, none, nil
	case o.database != "postgres":
		return config.Database{}, nil, fmt.Errorf(`-database must be "sqlite" or "postgres", got %q`, o.database)
	case (o.dsn == "") == (o.postgresBin == ""):
		return config.Database{}, nil, errors.New("-database postgres needs one of -dsn and -postgres-bin")
	}
	base, stopCluster := o.dsn, none
	if o.postgresBin != "" {
		c, err := startCluster(o.postgresBin, o.postgresSet)
		if err != nil {
			return config.Database{}, nil, err
		}
		base, stopCluster = c.dsn(), c.stop
	}
	dsn, drop, err := benchDatabase(base)
	if err != nil {
		return config.Database{}, nil, errors.Join(err, stopCluster())
	}
	return config.Database{Driver: "postgres", DSN: dsn}, func() error { return errors.Join(drop(), stopCluster()) }, nil
}

// seedLetter seeds the letter with n published signatures; with informed,
// the first campaignInformed of them asked to be kept informed.
func seedLetter(ctx context.Context, a *app.App, n int, informed bool) error {
	letter, _ := a.Letters.BySlug(slug)
	countries := []string{"DE", "GB", "FR", "US", "BR", "IN", "KE", "JP", "AU", "CA", "ES", "IT", "NL", "SE", "NG", "ZA", "MX", "AR", "PL", "KR"}
	sealed, err := a.Vault.Seal(vault.PurposeEmail, "seed@example.org")
	if err != nil {
		return err
	}
	err = a.Store.SeedPublished(ctx, letter.ID, n, countries, time.Now().UTC(), func(i int, sig *store.Signature) {
		sig.Name = fmt.Sprintf("Signatory %07d", i)
		sig.EmailSealed = sealed
		// Hashes as signing makes them, 64 hex digits in no order, so the
		// indexes are as large and as scattered as a real campaign's.
		sig.EmailHash = a.Vault.Hash(vault.PurposeEmail, fmt.Sprintf("seed%d@example.org", i))
		sig.TokenHash = signing.HashToken(fmt.Sprintf("seed-token-%d", i))
		sig.ManageHash = signing.HashToken(fmt.Sprintf("seed-manage-%d", i))
		if informed && i < campaignInformed {
			sig.KeepInformed, sig.KeepInformedVersion, sig.KeepInformedAt = true, "seed", sig.ConfirmedAt
		}
	})
	if err != nil {
		return err
	}
	return a.Store.AnalyzeAfterSeeding(ctx)
}

// result is one phase's figures.
type result struct {
	name     string
	rps      float64
	p50, p99 time.Duration
	cpu      time.Duration // this process's CPU time (server and generator) per request
	stolen   float64       // share of the machine's CPU time the hypervisor gave to others
}

// load runs do from clients goroutines for d and measures each call.
func load(name string, d time.Duration, clients int, do func() bool) result {
	var rec recorder
	m := startMeter()
	deadline := m.start.Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t := time.Now()
				if do() {
					mine = append(mine, time.Since(t))
				} else {
					bad++
				}
			}
			rec.add(mine, bad)
		})
	}
	wg.Wait()
	return rec.result(name, m.read())
}

// paced measures do started for d as due says (steady or rising), each
// call on its own whatever the answers' pace: an open loop, as signers
// arrive on a launch day. A server that falls behind is not asked for less,
// as load's clients would be; its answers grow late, and the latencies show
// it.
func paced(name string, d time.Duration, due func(elapsed time.Duration) int, do func() bool) result {
	var rec recorder
	m := startMeter()
	schedule(d, due, func() {
		t := time.Now()
		if do() {
			rec.add([]time.Duration{time.Since(t)}, 0)
		} else {
			rec.add(nil, 1)
		}
	})
	return rec.result(name, m.read())
}

// recorder gathers a phase's latencies from many goroutines.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration // of the calls that succeeded
	failed    int
}

func (r *recorder) add(latencies []time.Duration, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies, r.failed = append(r.latencies, latencies...), r.failed+failed
}

// result is the phase's figures, from its latencies and what its meter read.
func (r *recorder) result(name string, m reading) result {
	if r.failed > 0 {
		fmt.Printf("  (%s: %d requests failed)\n", name, r.failed)
	}
	slices.Sort(r.latencies)
	res := result{name: name, rps: float64(len(r.latencies)) / m.elapsed.Seconds(), stolen: m.stolen}
	if n := len(r.latencies); n > 0 {
		res.cpu = m.cpu / time.Duration(n)
		res.p50 = percentile(r.latencies, 50, 10*time.Microsecond)
		res.p99 = percentile(r.latencies, 99, 10*time.Microsecond)
	}
	return res
}

// percentile is the p-th percentile (100: the largest) of sorted, a
// non-empty ascending slice, rounded to unit.
func percentile(sorted []time.Duration, p int, unit time.Duration) time.Duration {
	return sorted[min(len(sorted)*p/100, len(sorted)-1)].Round(unit)
}

// bareCeiling measures an echo server whose handler does nothing: what this
// machine's HTTP stack and load generator can do at most.
func bareCeiling(ctx context.Context, client *client, d time.Duration, clients int) (result, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	srv := &http.Server{Handler: e}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown(ctx)
	url := "http://" + ln.Addr().String() + "/"
	return load("bare echo (ceiling)", d, clients, func() bool { return client.get(url) }), nil
}

// rssMiB is this process's resident memory.
func rssMiB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d", &kb)
			return kb / 1024
		}
	}
	return -1
}
