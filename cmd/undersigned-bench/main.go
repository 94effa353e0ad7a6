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
	flag.Parse()
	if err := run(*seed, *duration, *clients, *streams); err != nil {
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
	a, base, err := startServer(ctx, dir)
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
	ceiling, err := bareCeiling(ctx, client, d, clients)
	if err != nil {
		return err
	}
	var n atomic.Int64
	results := []result{ceiling,
		load("sign POST", d, clients, func() bool { return signOnce(client, base, n.Add(1)) }),
		load("letter page GET", d, clients, func() bool { return get(client, base+"/letters/"+slug) }),
		load("JSON API GET", d, clients, func() bool { return get(client, base+"/api/v1/letters/"+slug) }),
	}
	fmt.Printf("%-22s %10s %10s %10s %10s\n", "phase", "req/s", "p50", "p99", "vs ceiling")
	for _, r := range results {
		fmt.Printf("%-22s %10.0f %10s %10s %9.0f%%\n", r.name, r.rps, r.p50, r.p99, 100*r.rps/ceiling.rps)
	}
	fmt.Println()
	if err := streamLatency(ctx, a, base, streams); err != nil {
		return err
	}
	fmt.Printf("server RSS at the end: %d MiB\n", rssMiB())
	return nil
}

func startServer(ctx context.Context, dir string) (*app.App, string, error) {
	cfg, err := config.Load("config.yaml", []string{"UNDERSIGNED_DATA_DIR=" + dir, "UNDERSIGNED_LOG_LEVEL=error",
		"UNDERSIGNED_ABUSE_IP_ALLOWLIST=127.0.0.0/8", "UNDERSIGNED_ABUSE_MIN_FORM_TIME=0s",
		"UNDERSIGNED_ABUSE_DOMAIN_ALLOWLIST=example.org"})
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

func signOnce(client *http.Client, base string, i int64) bool {
	form := url.Values{"kind": {"individual"}, "name": {fmt.Sprintf("Load %d", i)}, "country": {"DE"},
		"email": {fmt.Sprintf("load%d@example.org", i)}, "show_name": {"yes"}, "consent": {"yes"}}
	res, err := client.PostForm(base+"/letters/"+slug+"/sign", form)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusSeeOther
}

// streamLatency holds event-stream clients open, publishes one signature and
// measures how long each stream takes to show the new total.
func streamLatency(ctx context.Context, a *app.App, base string, n int) error {
	// One source address has about 28,000 ephemeral ports, and each stream
	// holds one; spread the clients over 127.0.0.2-127.0.0.9 so ten thousand
	// and more can connect.
	var next atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+next.Add(1)%8))}
		return (&net.Dialer{LocalAddr: src, Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
	}
	streamClient := &http.Client{Transport: &http.Transport{DialContext: dial, MaxIdleConnsPerHost: n}}
	got := make(chan time.Duration, n)
	ready := make(chan struct{}, n)
	var published atomic.Int64
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range n {
		go func() {
			req, _ := http.NewRequestWithContext(sctx, http.MethodGet, base+"/letters/"+slug+"/events", nil)
			res, err := streamClient.Do(req)
			if err != nil {
				return
			}
			defer res.Body.Close()
			buf := make([]byte, 4<<10) // small: this process holds every client too
			first := true
			for {
				k, err := res.Body.Read(buf)
				if err != nil {
					return
				}
				if first {
					first = false
					ready <- struct{}{}
					continue
				}
				if t := published.Load(); t != 0 && strings.Contains(string(buf[:k]), "event: update") {
					got <- time.Since(time.Unix(0, t))
					return
				}
			}
		}()
	}
	open := 0
	for timeout := time.After(60 * time.Second); open < n; open++ {
		select {
		case <-ready:
		case <-timeout:
			fmt.Printf("only %d of %d event streams opened\n", open, n)
			n = open
		}
	}
	fmt.Printf("event streams open: %d, process RSS (server and clients) %d MiB\n", n, rssMiB())
	// Publish one signature, as a confirmation would, and time its arrival.
	published.Store(time.Now().UnixNano())
	if err := publishOne(ctx, a); err != nil {
		return err
	}
	var lat []time.Duration
	for timeout := time.After(10 * time.Second); len(lat) < n; {
		select {
		case d := <-got:
			lat = append(lat, d)
		case <-timeout:
			fmt.Printf("  %d of %d streams saw the change within 10s\n", len(lat), n)
			n = len(lat)
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		fmt.Printf("stream update latency over %d clients: p50 %s, p99 %s, max %s\n", len(lat),
			lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*99/100].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
	return nil
}

// rssMiB is this process's resident memory (server and load generator).
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

// publishOne stores one more published signature and tells the hub, as the
// signing service does after a confirmation.
func publishOne(ctx context.Context, a *app.App) error {
	letter, _ := a.Letters.BySlug(slug)
	sealed, err := a.Vault.Seal(vault.PurposeEmail, "stream@example.org")
	if err != nil {
		return err
	}
	err = a.Store.SeedPublished(ctx, letter.ID, 1, []string{"DE"}, time.Now().UTC(), func(_ int, sig *store.Signature) {
		sig.Name, sig.EmailSealed, sig.EmailHash, sig.TokenHash = "Stream Test", sealed, "stream-test", "stream-test"
	})
	if err != nil {
		return err
	}
	a.Live.Notify(store.Change{LetterID: letter.ID, Countries: []string{"DE"}})
	return nil
}
