package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/store"
)

// sink is the local SMTP server the outbox delivers to. It keeps when mail
// arrived only for the addresses a mail phase watches, and counts
// connections, so the figures show whether the outbox reuses them. Every
// other phase's mail (over a million in a full run) it reads and forgets:
// kept, it held 95 MiB of the process's memory by the end.
type sink struct {
	addr *net.TCPAddr

	mu          sync.Mutex
	watched     string // the prefix of the addresses watched; "" watches none
	arrived     map[string]time.Time
	connections int
}

func startSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{addr: ln.Addr().(*net.TCPAddr), arrived: map[string]time.Time{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.connections++
		s.mu.Unlock()
		return &sinkSession{sink: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = srv.Serve(ln) }()
	return s, nil
}

// watch has the sink keep when mail arrives for each address that starts
// with prefix, until the returned function is called, which forgets them.
func (s *sink) watch(prefix string) (forget func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watched = prefix
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.watched, s.arrived = "", map[string]time.Time{}
	}
}

// deliveredAt returns when mail to each of addrs, which are watched,
// arrived, if it has.
func (s *sink) deliveredAt(addrs []string) map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := map[string]time.Time{}
	for _, a := range addrs {
		if t, ok := s.arrived[a]; ok {
			got[a] = t
		}
	}
	return got
}

// connectionsMade is how many SMTP connections the outbox has opened.
func (s *sink) connectionsMade() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

type sinkSession struct {
	sink *sink
	to   []string
}

func (ss *sinkSession) Reset()                               { ss.to = nil }
func (ss *sinkSession) Logout() error                        { return nil }
func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	now := time.Now()
	ss.sink.mu.Lock()
	defer ss.sink.mu.Unlock()
	for _, to := range ss.to {
		if ss.sink.watched != "" && strings.HasPrefix(to, ss.sink.watched) {
			ss.sink.arrived[to] = now
		}
	}
	return nil
}

// mailBurst signs n times as fast as clients allow and reports how fast the
// outbox delivered the n confirmation mails, from the first sign post to the
// last arrival.
func mailBurst(ctx context.Context, a *app.App, mails *sink, client *client, base string, n, clients int) error {
	if err := waitForEmptyOutbox(ctx, a); err != nil {
		return err
	}
	defer mails.watch("burst")()
	connsBefore := mails.connectionsMade()
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("burst%d@example.org", i)
	}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				client.sign(base, addrs[i], nil)
			}
		})
	}
	wg.Wait()
	signed := time.Since(start)
	got := waitForMail(mails, addrs, 2*time.Minute)
	var last time.Time
	for _, t := range got {
		if t.After(last) {
			last = t
		}
	}
	connsAfter := mails.connectionsMade()
	took := last.Sub(start)
	fmt.Printf("mail burst: %d signs in %s, %d of their mails delivered %s after the first sign: %.0f mails/s over %d SMTP connections\n",
		n, signed.Round(time.Millisecond), len(got), took.Round(time.Millisecond), float64(len(got))/took.Seconds(), connsAfter-connsBefore)
	return nil
}

// mailPaced signs at rate a second for d and reports how long each
// confirmation mail took from its sign post to its arrival.
func mailPaced(ctx context.Context, a *app.App, mails *sink, client *client, base string, rate int, d time.Duration) error {
	if err := waitForEmptyOutbox(ctx, a); err != nil {
		return err
	}
	defer mails.watch("paced")()
	var mu sync.Mutex
	signedAt := map[string]time.Time{}
	var i atomic.Int64
	pace(rate, d, func() {
		addr := fmt.Sprintf("paced%d@example.org", i.Add(1))
		t := time.Now()
		if client.sign(base, addr, nil) {
			mu.Lock()
			signedAt[addr] = t
			mu.Unlock()
		}
	})
	addrs := make([]string, 0, len(signedAt))
	for addr := range signedAt {
		addrs = append(addrs, addr)
	}
	got := waitForMail(mails, addrs, time.Minute)
	var lat []time.Duration
	for addr, t := range got {
		lat = append(lat, t.Sub(signedAt[addr]))
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		fmt.Printf("mail at %d signs/s: no mail arrived\n", rate)
		return nil
	}
	fmt.Printf("mail at %d signs/s for %s: %d signed, %d delivered; sign to delivery p50 %s, p95 %s, max %s\n",
		rate, d, len(addrs), len(lat), percentile(lat, 50, time.Millisecond), percentile(lat, 95, time.Millisecond), percentile(lat, 100, time.Millisecond))
	return nil
}

// pace calls do rate times a second for d, each call in its own goroutine so
// that a slow answer does not slow the pace, and waits for the calls to end.
// It counts calls against the time gone by, not ticks: a ticker drops ticks
// while the machine is busy, and the pace would fall short just when it
// matters.
func pace(rate int, d time.Duration, do func()) { schedule(d, steady(rate), do) }

// steady is the number of calls due after elapsed at rate a second.
func steady(rate int) func(elapsed time.Duration) int {
	return func(elapsed time.Duration) int { return int(elapsed.Seconds() * float64(rate)) }
}

// rising is the number of calls due after elapsed when the rate rises evenly
// from 0 to rate over d: traffic as a launch's grows, and a server that
// warms up (connections opened, its heap grown) before it is measured at
// the full rate.
func rising(rate int, d time.Duration) func(elapsed time.Duration) int {
	return func(elapsed time.Duration) int {
		return int(float64(rate) * elapsed.Seconds() * elapsed.Seconds() / (2 * d.Seconds()))
	}
}

// schedule runs do in its own goroutine each time the number of calls due
// by then, due(elapsed), grows, for d, and waits for the calls to end.
func schedule(d time.Duration, due func(elapsed time.Duration) int, do func()) {
	scheduleUntil(context.Background(), d, due, do)
}

// scheduleUntil is schedule that also stops when ctx ends.
func scheduleUntil(ctx context.Context, d time.Duration, due func(elapsed time.Duration) int, do func()) {
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	start, started := time.Now(), 0
	for elapsed := time.Duration(0); elapsed < d && ctx.Err() == nil; elapsed = time.Since(start) {
		for n := due(elapsed); started < n; started++ {
			wg.Go(do)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	wg.Wait()
}

// waitForMail waits until mail to every one of addrs has arrived, or timeout.
func waitForMail(mails *sink, addrs []string, timeout time.Duration) map[string]time.Time {
	deadline := time.Now().Add(timeout)
	for {
		got := mails.deliveredAt(addrs)
		if len(got) == len(addrs) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForEmptyOutbox waits for the outbox to send what earlier phases queued.
func waitForEmptyOutbox(ctx context.Context, a *app.App) error {
	return waitForNone("mails in the outbox", func() (int64, error) {
		stats, err := store.OutboxStats(a.Store.Read(ctx), store.MailFilter{}, time.Now().UTC())
		return stats.Queued, err
	})
}

// waitForNone polls left, what is still queued, every 100 ms until it is
// none, for at most 15 minutes.
func waitForNone(what string, left func() (int64, error)) error {
	for deadline := time.Now().Add(15 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		n, err := left()
		if err != nil || n == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d %s still queued after 15 minutes", n, what)
		}
	}
}
