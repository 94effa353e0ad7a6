// Command undersigned-bench is Undersigned's load test. It starts a server on
// a fresh data folder (SQLite), seeds a letter with published signatures,
// then drives sign posts, letter page and JSON API reads and event-stream
// clients at it from the same machine, and prints throughput and latency
// percentiles for each, beside a bare echo handler's figures as the ceiling.
//
//	go run ./cmd/undersigned-bench -seed 1000000 -duration 60s
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned"
	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

func main() {
	seed := flag.Int("seed", 1_000_000, "published signatures to seed")
	duration := flag.Duration("duration", 20*time.Second, "how long each phase runs")
	clients := flag.Int("clients", 64, "concurrent HTTP clients per phase")
	streams := flag.Int("streams", 1000, "event-stream clients to hold open")
	streamClients := flag.String("stream-clients", "", "internal: hold -streams event streams open on this letter's URL (the child process)")
	flag.Parse()
	var err error
	if *streamClients != "" {
		err = holdStreams(*streamClients, *streams)
	} else {
		err = run(*seed, *duration, *clients, *streams)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "undersigned-bench:", err)
		os.Exit(1)
	}
}

const slug = "protect-strong-encryption"

func run(seed int, d time.Duration, clients, streams int) error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	dir, err := os.MkdirTemp("", "undersigned-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	mails, err := startSink()
	if err != nil {
		return err
	}
	a, base, err := startServer(ctx, dir, mails.addr)
	if err != nil {
		return err
	}
	fmt.Printf("Undersigned load test — %s, %d CPUs, Go %s, SQLite\n\n", time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version()[2:])

	start := time.Now()
	if err := seedLetter(ctx, a, seed); err != nil {
		return err
	}
	fmt.Printf("seeded %d published signatures in %s (%.0f/s)\n", seed, time.Since(start).Round(time.Millisecond), float64(seed)/time.Since(start).Seconds())
	fmt.Printf("server RSS after seeding: %d MiB\n\n", rssMiB())

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Mail first, while the outbox is empty; the phases after it leave it
	// sending their confirmation mails, as on a launch day.
	if err := mailBurst(ctx, a, mails, client, base, 5000, clients); err != nil {
		return err
	}
	if err := mailPaced(ctx, a, mails, client, base, 200, d); err != nil {
		return err
	}
	fmt.Println()

	ceiling, err := bareCeiling(ctx, client, d, clients)
	if err != nil {
		return err
	}
	var n atomic.Int64
	sign := func() bool { return signAs(client, base, fmt.Sprintf("load%d@example.org", n.Add(1))) }
	results := []result{ceiling, load("sign POST", d, clients, sign)}
	var background atomic.Int64
	go pace(500, d, func() {
		if sign() {
			background.Add(1)
		}
	})
	results = append(results, load("letter page GET", d, clients, func() bool { return get(client, base+"/letters/"+slug) }))
	results[len(results)-1].name += fmt.Sprintf(" (signing %.0f/s)", float64(background.Load())/d.Seconds())
	results = append(results, load("JSON API GET", d, clients, func() bool { return get(client, base+"/api/v1/letters/"+slug) }))
	fmt.Printf("%-36s %10s %10s %10s %10s\n", "phase", "req/s", "p50", "p99", "vs ceiling")
	for _, r := range results {
		fmt.Printf("%-36s %10.0f %10s %10s %9.0f%%\n", r.name, r.rps, r.p50, r.p99, 100*r.rps/ceiling.rps)
	}
	fmt.Println()
	if err := streamLatency(ctx, a, base, streams); err != nil {
		return err
	}
	fmt.Printf("server RSS at the end: %d MiB\n", rssMiB())
	return nil
}

func startServer(ctx context.Context, dir string, smtpAddr *net.TCPAddr) (*app.App, string, error) {
	cfg, err := config.Load("config.yaml", []string{"UNDERSIGNED_DATA_DIR=" + dir, "UNDERSIGNED_LOG_LEVEL=error",
		"UNDERSIGNED_ABUSE_IP_ALLOWLIST=127.0.0.0/8", "UNDERSIGNED_ABUSE_MIN_FORM_TIME=0s",
		"UNDERSIGNED_ABUSE_DOMAIN_ALLOWLIST=example.org",
		"UNDERSIGNED_MAIL_TRANSPORT=smtp", "UNDERSIGNED_MAIL_SMTP_HOST=127.0.0.1",
		fmt.Sprintf("UNDERSIGNED_MAIL_SMTP_PORT=%d", smtpAddr.Port), "UNDERSIGNED_MAIL_SMTP_TLS=none"})
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	cfg.BaseURL = "http://" + ln.Addr().String()
	cfg.Letters[0].Review = nil
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.Build(ctx, cfg, app.Options{Files: undersigned.Files(), Log: log, Now: func() time.Time { return time.Now().UTC() }, Random: rand.Reader})
	if err != nil {
		return nil, "", err
	}
	go func() { _ = a.Serve(ctx, ln) }()
	return a, cfg.BaseURL, nil
}

func seedLetter(ctx context.Context, a *app.App, n int) error {
	letter, _ := a.Letters.BySlug(slug)
	countries := []string{"DE", "GB", "FR", "US", "BR", "IN", "KE", "JP", "AU", "CA", "ES", "IT", "NL", "SE", "NG", "ZA", "MX", "AR", "PL", "KR"}
	sealed, err := a.Vault.Seal(vault.PurposeEmail, "seed@example.org")
	if err != nil {
		return err
	}
	return a.Store.SeedPublished(ctx, letter.ID, n, countries, time.Now().UTC(), func(i int, sig *store.Signature) {
		sig.Name = fmt.Sprintf("Signatory %07d", i)
		sig.EmailSealed = sealed
		sig.EmailHash = fmt.Sprintf("seed-%d", i)
		sig.TokenHash = sig.EmailHash
	})
}

// result is one phase's figures.
type result struct {
	name     string
	rps      float64
	p50, p99 time.Duration
}

// load runs do from clients goroutines for d and measures each call.
func load(name string, d time.Duration, clients int, do func() bool) result {
	var mu sync.Mutex
	var latencies []time.Duration
	failed := 0
	deadline := time.Now().Add(d)
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
			mu.Lock()
			latencies, failed = append(latencies, mine...), failed+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	if failed > 0 {
		fmt.Printf("  (%s: %d requests failed)\n", name, failed)
	}
	slices.Sort(latencies)
	r := result{name: name, rps: float64(len(latencies)) / d.Seconds()}
	if len(latencies) > 0 {
		r.p50 = latencies[len(latencies)/2].Round(10 * time.Microsecond)
		r.p99 = latencies[len(latencies)*99/100].Round(10 * time.Microsecond)
	}
	return r
}

// bareCeiling measures an echo server whose handler does nothing: what this
// machine's HTTP stack and load generator can do at most.
func bareCeiling(ctx context.Context, client *http.Client, d time.Duration, clients int) (result, error) {
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
	return load("bare echo (ceiling)", d, clients, func() bool { return get(client, url) }), nil
}

func get(client *http.Client, u string) bool {
	res, err := client.Get(u)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// signAs posts the sign form for an individual with the address email.
func signAs(client *http.Client, base, email string) bool {
	form := url.Values{"kind": {"individual"}, "name": {"Load " + strings.TrimSuffix(email, "@example.org")}, "country": {"DE"},
		"email": {email}, "show_name": {"yes"}, "consent": {"yes"}}
	res, err := client.PostForm(base+"/letters/"+slug+"/sign", form)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusSeeOther
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
