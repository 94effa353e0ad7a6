package store

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

// TestPausedHoldsCommitsBack checks that nothing commits while a function
// passed to paused runs: a write handed in meanwhile waits for its end.
func TestPausedHoldsCommitsBack(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	var wrote atomic.Bool
	committed := make(chan error, 1)
	ran := false
	st.batch.paused(func() {
		ran = true
		go func() {
			committed <- st.Write(context.Background(), func(*gorm.DB) error { wrote.Store(true); return nil })
		}()
		for len(st.batch.requests) == 0 && !wrote.Load() {
			runtime.Gosched()
		}
		if wrote.Load() {
			t.Error("a write committed while the writer was paused")
		}
	})
	if !ran {
		t.Fatal("paused did not run its function")
	}
	if err := <-committed; err != nil || !wrote.Load() {
		t.Errorf("the write held back: %v, ran %v", err, wrote.Load())
	}
	st.batch.stop()
	st.batch.paused(func() { t.Error("paused ran its function after the batcher stopped") })
}

// TestCheckpointStartsTheWALOver drives the checkpointer by hand: it pauses
// the writer for its last copy once the WAL holds restartPages, not before;
// when a reader keeps the WAL from starting over, it tries again only once
// the WAL has grown as much again; and once the WAL has started over, from
// restartPages again.
func TestCheckpointStartsTheWALOver(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	st.checkpointer.stop() // this test checkpoints by hand
	c := st.checkpointer
	c.restartPages, c.nextRestart = 200, 200
	pauses := 0
	c.paused = func(fn func()) { pauses++; st.batch.paused(fn) }
	write := blobWriter(t, st)
	checkpoint := func(wantPauses int) {
		t.Helper()
		if err := c.checkpoint(); err != nil {
			t.Fatal(err)
		}
		if pauses != wantPauses {
			t.Fatalf("after a checkpoint of %d pages (next restart at %d): %d pauses, want %d", c.lastPages, c.nextRestart, pauses, wantPauses)
		}
	}

	write(4)
	checkpoint(0)
	write(10) // the WAL started over: 250 pages or so

	// A reader's snapshot of the WAL keeps it from starting over.
	reading := st.reader.Begin()
	var n int
	if err := reading.Raw("SELECT count(*) FROM blobs").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	checkpoint(1)
	write(4)
	checkpoint(1) // grown by less than restartPages since the last try
	write(6)
	checkpoint(2)
	if err := reading.Rollback().Error; err != nil {
		t.Fatal(err)
	}

	checkpoint(2) // copies what the reader kept it from
	write(1)      // starts the WAL over, now copied to its end
	checkpoint(2)
	if c.lastPages > 50 || c.nextRestart != 200 {
		t.Fatalf("the WAL holds %d pages after starting over, next restart at %d; want few, and 200", c.lastPages, c.nextRestart)
	}
	write(10)
	checkpoint(3)
}

// blobWriter makes a table of blobs in st and returns write, which commits
// that many times 25 blobs of 4,000 bytes: about 25 pages of WAL each.
func blobWriter(t *testing.T, st *Store) (write func(commits int)) {
	t.Helper()
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *gorm.DB) error { return tx.Exec("CREATE TABLE blobs (b BLOB)").Error }); err != nil {
		t.Fatal(err)
	}
	return func(commits int) {
		t.Helper()
		for range commits {
			err := st.Write(ctx, func(tx *gorm.DB) error {
				return tx.Exec(`INSERT INTO blobs WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
					SELECT randomblob(4000) FROM n`).Error
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}
