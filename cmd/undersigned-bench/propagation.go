package main

import (
	"bufio"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// propagationEvery is how often the propagation phase publishes a name.
const propagationEvery = 250 * time.Millisecond

// propagation measures how long a name published through the first server
// (committed) takes to reach an event stream on the second, which learns of it only
// from the database, while signing runs at -sign-rate over both: one name
// every propagationEvery for -duration, each waited for up to 10 s after.
func (b *bench) propagation() error {
	watcher, err := watchNames(b.servers[1].base + "/letters/" + slug + "/events")
	if err != nil {
		return err
	}
	defer watcher.close()
	var background sync.WaitGroup
	var signed atomic.Int64
	background.Go(func() {
		pace(b.signRate, b.duration, func() {
			if b.sign() {
				signed.Add(1)
			}
		})
	})
	// Each name's time runs from its commit: the write's own wait for a
	// connection, when the first server is behind, is signing's latency.
	published := map[int]time.Time{}
	start := time.Now()
	for i := 0; time.Duration(i)*propagationEvery < b.duration; i++ {
		if err := b.publishThroughFirst(i); err != nil {
			return err
		}
		published[i] = time.Now()
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * propagationEvery)))
	}
	background.Wait()
	seen := watcher.waitFor(len(published), 10*time.Second)
	var latencies []time.Duration
	for i, at := range seen {
		latencies = append(latencies, at.Sub(published[i]))
	}
	slices.Sort(latencies)
	fmt.Printf("propagation from instance 1 to instance 2's event stream (signing %.0f/s): %d of %d names seen",
		float64(signed.Load())/b.duration.Seconds(), len(seen), len(published))
	if len(latencies) > 0 {
		fmt.Printf(", p50 %s, p99 %s, max %s", percentile(latencies, 50, time.Millisecond), percentile(latencies, 99, time.Millisecond),
			percentile(latencies, 100, time.Millisecond))
	}
	fmt.Println()
	if err := b.drainOutbox(); err != nil {
		return err
	}
	fmt.Println()
	return nil
}

// publishThroughFirst publishes the named signature "Propagation i" through
// the first server, as its signing service does after a confirmation: in the
// database, then told to its hub.
func (b *bench) publishThroughFirst(i int) error {
	letter, _ := b.app.Letters.BySlug(slug)
	email := fmt.Sprintf("propagation%d@example.org", i)
	sealed, err := b.app.Vault.Seal(vault.PurposeEmail, email)
	if err != nil {
		return err
	}
	err = b.app.Store.SeedPublished(b.ctx, letter.ID, 1, []string{"DE"}, time.Now().UTC(), func(_ int, sig *store.Signature) {
		sig.Kind, sig.OrgType, sig.ShowName = store.KindIndividual, "", true
		sig.Name, sig.EmailSealed = "Propagation "+strconv.Itoa(i), sealed
		sig.EmailHash, sig.TokenHash = b.app.Vault.Hash(vault.PurposeEmail, email), "propagation-"+strconv.Itoa(i)
	})
	if err != nil {
		return err
	}
	b.app.Live.Notify(store.Change{LetterID: letter.ID, Countries: []string{"DE"}})
	return nil
}

// nameWatcher holds an event stream open and notes when each propagation
// name first shows in it.
type nameWatcher struct {
	res  *http.Response
	mu   sync.Mutex
	seen map[int]time.Time
	more chan struct{} // receives after each name seen
}

// watchNames opens the event stream at url and watches it until closed.
func watchNames(url string) (*nameWatcher, error) {
	res, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("event stream %s: %s", url, res.Status)
	}
	w := &nameWatcher{res: res, seen: map[int]time.Time{}, more: make(chan struct{}, 1)}
	go w.read()
	return w, nil
}

func (w *nameWatcher) read() {
	name := regexp.MustCompile(`Propagation (\d+)`)
	lines := bufio.NewScanner(w.res.Body)
	lines.Buffer(make([]byte, 64<<10), 16<<20)
	for lines.Scan() {
		at := time.Now()
		for _, m := range name.FindAllStringSubmatch(lines.Text(), -1) {
			i, _ := strconv.Atoi(m[1])
			w.mu.Lock()
			if _, ok := w.seen[i]; !ok {
				w.seen[i] = at
			}
			w.mu.Unlock()
		}
		select {
		case w.more <- struct{}{}:
		default:
		}
	}
}

// waitFor waits until n names have been seen, or for at most limit, and
// returns when each name seen showed.
func (w *nameWatcher) waitFor(n int, limit time.Duration) map[int]time.Time {
	for timeout := time.After(limit); ; {
		w.mu.Lock()
		seen := maps.Clone(w.seen)
		w.mu.Unlock()
		if len(seen) >= n {
			return seen
		}
		select {
		case <-w.more:
		case <-timeout:
			return seen
		}
	}
}

func (w *nameWatcher) close() { w.res.Body.Close() }
