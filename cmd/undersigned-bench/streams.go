package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// streamLatency has a child process hold n event streams open on the server,
// publishes one signature and reports how long the streams took to show the
// new total. The clients live in their own process so that the server's
// memory is measured alone and each process stays within its file limit
// (every stream costs a descriptor at each end).
func streamLatency(ctx context.Context, a *app.App, base string, n int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.CommandContext(ctx, exe, "-stream-clients", base+"/letters/"+slug+"/events", "-streams", strconv.Itoa(n))
	child.Stderr = os.Stderr
	tell, err := child.StdinPipe()
	if err != nil {
		return err
	}
	out, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	if err := child.Start(); err != nil {
		return err
	}
	defer child.Wait()
	defer tell.Close()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		return fmt.Errorf("stream clients ended before opening: %v", lines.Err())
	}
	fmt.Printf("%s; server RSS %d MiB\n", lines.Text(), rssMiB())
	published := time.Now()
	if err := publishOne(ctx, a); err != nil {
		return err
	}
	fmt.Fprintln(tell, published.UnixNano())
	for lines.Scan() {
		fmt.Println(lines.Text())
	}
	return lines.Err()
}

// holdStreams is the child process: it opens n event streams on url, says how
// many opened, reads the time a signature was published from its input, and
// prints how long after it each stream showed the new total.
func holdStreams(url string, n int) error {
	// One source address has about 28,000 ephemeral ports; spread the clients
	// over 127.0.0.2-127.0.0.9 so that tens of thousands can connect.
	var next atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+next.Add(1)%8))}
		return (&net.Dialer{LocalAddr: src, Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: dial, MaxIdleConnsPerHost: n}}
	ready := make(chan struct{}, n)
	updated := make(chan time.Time, n)
	for range n {
		go watchStream(client, url, ready, updated)
	}
	open := 0
	for timeout := time.After(2 * time.Minute); open < n; open++ {
		select {
		case <-ready:
		case <-timeout:
			fmt.Fprintf(os.Stderr, "only %d of %d event streams opened\n", open, n)
			n = open
		}
	}
	fmt.Printf("event streams open: %d, client process RSS %d MiB\n", open, rssMiB())
	var ns int64
	if _, err := fmt.Fscanln(os.Stdin, &ns); err != nil {
		return fmt.Errorf("read the publication time: %w", err)
	}
	published := time.Unix(0, ns)
	var lat []time.Duration
	for timeout := time.After(10 * time.Second); len(lat) < open; {
		select {
		case t := <-updated:
			lat = append(lat, t.Sub(published))
		case <-timeout:
			fmt.Printf("only %d of %d streams saw the change within 10s\n", len(lat), open)
			open = len(lat)
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		fmt.Printf("stream update latency over %d clients: p50 %s, p99 %s, max %s\n", len(lat),
			percentile(lat, 50, time.Millisecond), percentile(lat, 99, time.Millisecond), percentile(lat, 100, time.Millisecond))
	}
	return nil
}

// watchStream opens one event stream, says when it is open and when it first
// carries an update.
func watchStream(client *http.Client, url string, ready chan<- struct{}, updated chan<- time.Time) {
	res, err := client.Get(url)
	if err != nil {
		return
	}
	defer res.Body.Close()
	buf := make([]byte, 4<<10)
	for first := true; ; first = false {
		k, err := res.Body.Read(buf)
		if err != nil {
			return
		}
		if first {
			ready <- struct{}{}
			continue
		}
		if strings.Contains(string(buf[:k]), "event: update") {
			updated <- time.Now()
			return
		}
	}
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
