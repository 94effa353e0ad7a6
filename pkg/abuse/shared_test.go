package abuse_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// sharedCounts are counters over a fresh PostgreSQL database, on the clock
// now, logging to log; the test is skipped on SQLite.
func sharedCounts(t *testing.T, now func() time.Time, log io.Writer) (*abuse.SharedCounts, *store.Store) {
	t.Helper()
	dsn := webtest.PostgresDatabase(t)
	if dsn == "" {
		t.Skip("the shared rate counters live on PostgreSQL; set " + webtest.PostgresEnv)
	}
	logger := slog.New(slog.NewTextHandler(log, nil))
	st, err := store.Open(store.Options{Driver: "postgres", DSN: dsn, Log: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(bytes.Repeat([]byte{7}, 32), strings.NewReader(strings.Repeat("r", 1024)))
	if err != nil {
		t.Fatal(err)
	}
	return abuse.NewSharedCounts(st, v, now, logger), st
}

// allowAtOnce asks counter for n events of key at once and returns how many
// it allowed.
func allowAtOnce(counter abuse.Counter, key string, n int) int {
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if counter.Allow(context.Background(), key) {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	return int(allowed.Load())
}

// TestSharedCountersAllowTheLimitAndRecordNoRefusal asks for many events
// at once: exactly the burst is allowed, and the refused ones are not
// counted, so that the next minute allows what the hour has left.
func TestSharedCountersAllowTheLimitAndRecordNoRefusal(t *testing.T) {
	var at atomic.Int64
	at.Store(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).UnixNano())
	counts, _ := sharedCounts(t, func() time.Time { return time.Unix(0, at.Load()).UTC() }, io.Discard)
	counter := counts.Counter("sign network", []abuse.Window{{Count: 5, Period: time.Minute}, {Count: 8, Period: time.Hour}})
	if got := allowAtOnce(counter, "192.0.2.1", 40); got != 5 {
		t.Fatalf("40 events at once: %d allowed, want the burst of 5", got)
	}
	at.Add(int64(time.Minute))
	if got := allowAtOnce(counter, "192.0.2.1", 40); got != 3 {
		t.Errorf("40 events the next minute: %d allowed, want the 3 the hour has left", got)
	}
	other := counts.Counter("sign domain", []abuse.Window{{Count: 1, Period: time.Minute}, {Count: 1, Period: time.Hour}})
	if !other.Allow(t.Context(), "192.0.2.1") {
		t.Error("another limit's counter shared the key's count")
	}
}

// TestSharedCountersAllowWhenTheDatabaseIsGone: without the database the
// event is allowed, and the failure logged.
func TestSharedCountersAllowWhenTheDatabaseIsGone(t *testing.T) {
	var log bytes.Buffer
	counts, st := sharedCounts(t, func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }, &log)
	counter := counts.Counter("sign network", []abuse.Window{{Count: 1, Period: time.Minute}})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if !counter.Allow(t.Context(), "192.0.2.1") {
			t.Fatal("refused while the database is gone")
		}
	}
	if !strings.Contains(log.String(), "rate counters unavailable") {
		t.Errorf("the failure was not logged: %q", log.String())
	}
}
