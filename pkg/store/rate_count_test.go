package store_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// openPostgres opens a fresh PostgreSQL database, or skips the test when
// the suite runs on SQLite, which has no rate_counts.
func openPostgres(t testing.TB) *store.Store {
	t.Helper()
	dsn := webtest.PostgresDatabase(t)
	if dsn == "" {
		t.Skip("the rate counters live on PostgreSQL; set " + webtest.PostgresEnv)
	}
	return openMigrated(t, store.Options{Driver: "postgres", DSN: dsn})
}

// rateNow is the time the rate counters' tests count at, half a minute
// into a minute.
func rateNow() time.Time { return time.Date(2026, 11, 26, 12, 0, 30, 0, time.UTC) }

// rateWindows are a minute's and an hour's window of key at now.
func rateWindows(key string, now time.Time) []store.RateWindow {
	return []store.RateWindow{
		{Key: key, Start: now.Truncate(time.Minute), Period: time.Minute},
		{Key: key, Start: now.Truncate(time.Hour), Period: time.Hour},
	}
}

// TestConcurrentRateEventsEachGetTheirOwnCount counts events at once from
// many goroutines, as servers sharing the database do: each window's
// counts are 1 to n, none given twice, none lost.
func TestConcurrentRateEventsEachGetTheirOwnCount(t *testing.T) {
	st, ctx, now := openPostgres(t), t.Context(), rateNow()
	const n = 50
	var mu sync.Mutex
	var minutes, hours []int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			counts, err := st.CountRateEvent(ctx, rateWindows("k", now))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			minutes, hours = append(minutes, counts[0]), append(hours, counts[1])
		})
	}
	wg.Wait()
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	slices.Sort(minutes)
	slices.Sort(hours)
	if !slices.Equal(minutes, want) || !slices.Equal(hours, want) {
		t.Fatalf("counts per minute %v, per hour %v; want 1 to %d in each", minutes, hours, n)
	}
	if counts, _ := st.CountRateEvent(ctx, rateWindows("other", now)); !slices.Equal(counts, []int64{1, 1}) {
		t.Errorf("another key's first event counted %v, want [1 1]", counts)
	}
}

// TestRateEventsAreTakenBackAndEndedWindowsPruned: an event taken back no
// longer counts, and pruning deletes the windows that have ended, only them.
func TestRateEventsAreTakenBackAndEndedWindowsPruned(t *testing.T) {
	st, ctx, now := openPostgres(t), t.Context(), rateNow()
	for range 3 {
		if _, err := st.CountRateEvent(ctx, rateWindows("k", now)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UncountRateEvent(ctx, rateWindows("k", now)); err != nil {
		t.Fatal(err)
	}
	if counts, _ := st.CountRateEvent(ctx, rateWindows("k", now)); !slices.Equal(counts, []int64{3, 3}) {
		t.Fatalf("after three events and one taken back, the next counted %v, want [3 3]", counts)
	}
	later := now.Add(time.Minute)
	if n, err := st.PruneRateCounts(ctx, later); err != nil || n != 1 {
		t.Fatalf("pruned %d windows (%v), want the minute's 1", n, err)
	}
	if counts, _ := st.CountRateEvent(ctx, rateWindows("k", now)); !slices.Equal(counts, []int64{1, 4}) {
		t.Errorf("after pruning the minute, an event in it counted %v, want [1 4]", counts)
	}
}

// BenchmarkCountRateEvent is what a signature's rate limit costs on
// PostgreSQL: one event in a minute's and an hour's window, spread over
// many keys as clients are.
func BenchmarkCountRateEvent(b *testing.B) {
	st, ctx, now := openPostgres(b), b.Context(), rateNow()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = string(rune('a'+i%26)) + time.Duration(i).String()
	}
	for i := 0; b.Loop(); i++ {
		if _, err := st.CountRateEvent(ctx, rateWindows(keys[i%len(keys)], now)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRateCountsAreUnlogged: counting writes no WAL, and a crash forgets
// the counts; on a fresh database and on one that the step migrates.
func TestRateCountsAreUnlogged(t *testing.T) {
	st := openPostgres(t)
	db := st.Read(t.Context())
	unlogged := func(when string) {
		t.Helper()
		var persistence string
		if err := db.Raw("SELECT relpersistence FROM pg_class WHERE relname = 'rate_counts'").Scan(&persistence).Error; err != nil {
			t.Fatal(err)
		}
		if persistence != "u" {
			t.Errorf("%s: rate_counts has persistence %q, want u (unlogged)", when, persistence)
		}
	}
	unlogged("fresh")
	for _, undo := range []string{"DROP TABLE rate_counts", "DELETE FROM migrations WHERE id = '2026120514_rate_counts'"} {
		if err := db.Exec(undo).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	unlogged("migrated")
}
