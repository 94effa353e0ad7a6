package abuse

import (
	"context"
	"log/slog"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Counter counts the events of keys against a rate: the in-memory Limiter
// on a server alone, the database's counters (SharedCounts) when servers
// share one. Allow records an event for key and reports whether it is
// within the rate; an event refused is not recorded.
type Counter interface {
	Allow(ctx context.Context, key string) bool
}

// Counters makes the counter of one limit, named so that the limits of
// different actions keep apart, enforcing every window at once.
type Counters func(name string, windows []Window) Counter

// InMemory makes in-memory counters (Limiter): what a server that shares
// its database with no other uses.
func InMemory(now func() time.Time) Counters {
	return func(_ string, windows []Window) Counter { return NewLimiter(now, windows...) }
}

// purposeRateKey hashes the keys of SharedCounts, so that the table holds
// no client address or email domain.
const purposeRateKey = "rate.key"

// SharedCounts are the counters of servers sharing a PostgreSQL database,
// kept in its rate_counts table so that together the servers allow what one
// would. Each window is fixed, aligned to its period: one statement counts
// an event in all of a limit's windows at once, where a sliding window
// would need a row per event. The price is that a client may get up to
// twice a window's count across the boundary of two windows; over longer
// times the rate is the same. When the database does not answer, the event
// is allowed and the failure logged: signing needs the database anyway.
type SharedCounts struct {
	store *store.Store
	vault *vault.Vault
	now   func() time.Time
	log   *slog.Logger
}

// NewSharedCounts returns the counters over st's rate_counts table.
func NewSharedCounts(st *store.Store, v *vault.Vault, now func() time.Time, log *slog.Logger) *SharedCounts {
	return &SharedCounts{store: st, vault: v, now: now, log: log}
}

// Counter makes the counter of one limit; it is a Counters.
func (s *SharedCounts) Counter(name string, windows []Window) Counter {
	return &sharedCounter{counts: s, name: name, windows: distinctPeriods(windows)}
}

// Prune deletes the windows that have ended; the app runs it on a timer.
func (s *SharedCounts) Prune(ctx context.Context) (int64, error) {
	return s.store.PruneRateCounts(ctx, s.now())
}

// distinctPeriods keeps, of windows with one period, the one of the
// lowest count: a window is a row, and one event counts once in each.
func distinctPeriods(windows []Window) []Window {
	var kept []Window
	for _, w := range windows {
		i := 0
		for i < len(kept) && kept[i].Period != w.Period {
			i++
		}
		if i == len(kept) {
			kept = append(kept, w)
		} else {
			kept[i].Count = min(kept[i].Count, w.Count)
		}
	}
	return kept
}

// sharedCounter is one limit of SharedCounts.
type sharedCounter struct {
	counts  *SharedCounts
	name    string
	windows []Window
}

// Allow counts the event in the database and takes it back when a window
// refuses it.
func (c *sharedCounter) Allow(ctx context.Context, key string) bool {
	rows := c.rateWindows(key)
	counts, err := c.counts.store.CountRateEvent(ctx, rows)
	if err != nil {
		c.counts.log.Error("rate counters unavailable; the event is allowed", "limit", c.name, "err", err)
		return true
	}
	for i, w := range c.windows {
		if counts[i] > int64(w.Count) {
			// Taken back even if the client has gone, lest the count stay high.
			if err := c.counts.store.UncountRateEvent(context.WithoutCancel(ctx), rows); err != nil {
				c.counts.log.Error("taking back a refused rate event", "limit", c.name, "err", err)
			}
			return false
		}
	}
	return true
}

// rateWindows are the windows of key that an event now falls in.
func (c *sharedCounter) rateWindows(key string) []store.RateWindow {
	now := c.counts.now()
	hashed := c.counts.vault.Hash(purposeRateKey, c.name+" "+key)
	rows := make([]store.RateWindow, len(c.windows))
	for i, w := range c.windows {
		rows[i] = store.RateWindow{Key: hashed, Start: now.Truncate(w.Period), Period: w.Period}
	}
	return rows
}
