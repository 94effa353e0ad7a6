package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// openTestStore opens a store on a SQLite file in dir, closed when the test ends.
func openTestStore(t testing.TB, dir string) *Store {
	t.Helper()
	st, err := Open(Options{Driver: "sqlite", DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// openMigratedStore opens a test store, as openTestStore, with its tables made.
func openMigratedStore(t testing.TB) *Store {
	t.Helper()
	st := openTestStore(t, t.TempDir())
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// openLetterStore opens a migrated test store holding one letter.
func openLetterStore(t testing.TB) (*Store, *Letter) {
	t.Helper()
	st := openMigratedStore(t)
	letter := &Letter{Slug: "l", Title: "L", Body: "b", Lang: "en", VersionHash: "v"}
	if err := st.Write(context.Background(), func(tx *gorm.DB) error { return UpsertLetter(tx, letter) }); err != nil {
		t.Fatal(err)
	}
	return st, letter
}

// holdWriter starts a write that holds the writer until release is called,
// then runs fn (when not nil), so that the writes queued meanwhile form one
// batch. release returns once the holding write has committed.
func holdWriter(t *testing.T, st *Store, fn func(tx *gorm.DB) error) (release func()) {
	t.Helper()
	started, done := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- st.Write(context.Background(), func(tx *gorm.DB) error {
			close(started)
			<-done
			if fn == nil {
				return nil
			}
			return fn(tx)
		})
	}()
	<-started
	return func() {
		t.Helper()
		close(done)
		if err := <-holder; err != nil {
			t.Fatalf("holding write: %v", err)
		}
	}
}

// TestGroupCommitKeepsEachWriteApart queues writes behind one that holds the
// writer, so that they share one commit, and checks that each caller gets its
// own outcome: a failed, refused or panicking write leaves no row and does
// not undo the others.
func TestGroupCommitKeepsEachWriteApart(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	ctx := context.Background()
	insert := func(tx *gorm.DB, n int) error { return tx.Exec("INSERT INTO numbers (n) VALUES (?)", n).Error }
	if err := st.Write(ctx, func(tx *gorm.DB) error { return tx.Exec("CREATE TABLE numbers (n INTEGER PRIMARY KEY)").Error }); err != nil {
		t.Fatal(err)
	}

	release := holdWriter(t, st, func(tx *gorm.DB) error { return insert(tx, 0) })

	errFailed := errors.New("this write fails")
	const writers = 12
	outcomes := make([]any, writers+1)
	var wg sync.WaitGroup
	for i := 1; i <= writers; i++ {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					outcomes[i] = p
				}
			}()
			outcomes[i] = st.Write(ctx, func(tx *gorm.DB) error {
				switch {
				case i == 5:
					return insert(tx, 0) // the holder's row: refused
				case i == 7:
					_ = insert(tx, i)
					panic("write 7 panics")
				case i%3 == 0:
					_ = insert(tx, i)
					return errFailed
				}
				return insert(tx, i)
			})
		})
	}
	waitForLen(st.batch.requests, writers) // every write queued behind the holder
	release()
	wg.Wait()

	for i := 1; i <= writers; i++ {
		got := outcomes[i]
		switch {
		case i == 5:
			if err, _ := got.(error); !errors.Is(err, gorm.ErrDuplicatedKey) {
				t.Errorf("write 5 = %v, want a duplicate key error", got)
			}
		case i == 7:
			if got != "write 7 panics" {
				t.Errorf("write 7 = %v, want its panic re-raised in the caller", got)
			}
		case i%3 == 0:
			if err, _ := got.(error); !errors.Is(err, errFailed) {
				t.Errorf("write %d = %v, want its own error", i, got)
			}
		default:
			if got != nil && got != error(nil) {
				t.Errorf("write %d = %v, want success", i, got)
			}
		}
	}
	var stored []int
	if err := st.Read(ctx).Raw("SELECT n FROM numbers ORDER BY n").Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 4, 8, 10, 11}; !slices.Equal(stored, want) {
		t.Errorf("rows = %v, want %v", stored, want)
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	err := st.Write(context.Background(), func(tx *gorm.DB) error { return nil })
	if !errors.Is(err, errClosed) {
		t.Errorf("write after close = %v, want %v", err, errClosed)
	}
}

// TestWriterJournalsSavepointsInMemory checks the writer's temp_store: a
// group commit's savepoints must not journal to a temporary file.
func TestWriterJournalsSavepointsInMemory(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	var mode int
	if err := st.Write(context.Background(), func(tx *gorm.DB) error { return tx.Raw("PRAGMA temp_store").Scan(&mode).Error }); err != nil {
		t.Fatal(err)
	}
	if mode != 2 {
		t.Errorf("writer temp_store = %d, want 2 (memory)", mode)
	}
}

// TestCheckpointsLeaveTheWriter checks that the writer leaves the WAL to the
// checkpointer: writes stay in the WAL until a checkpoint on the
// checkpointer's connection copies them into the database file.
func TestCheckpointsLeaveTheWriter(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	st.checkpointer.stop() // this test checkpoints by hand
	fileSize := func() int64 {
		info, err := os.Stat(filepath.Join(dir, "undersigned.db"))
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	// 6 MB in 60 commits: past the 1,000 pages at which SQLite's writer would
	// checkpoint by default.
	const written = 60 * 25 * 4000
	blobWriter(t, st)(60)
	if before := fileSize(); before > written/4 {
		t.Fatalf("the database file holds %d bytes before any checkpoint: the writer checkpointed itself", before)
	}
	if err := st.checkpointer.checkpoint(); err != nil {
		t.Fatal(err)
	}
	if after := fileSize(); after < written {
		t.Errorf("the database file holds %d bytes after a checkpoint, want the %d written", after, written)
	}
}

// TestBusyWhileWritesQueue checks the signal the outbox gives way to: the
// store is busy after a group commit of busyBatch writes queued behind
// another, and no longer after a write that found the writer free.
func TestBusyWhileWritesQueue(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	ctx := context.Background()
	nothing := func(*gorm.DB) error { return nil }
	if err := st.Write(ctx, nothing); err != nil {
		t.Fatal(err)
	}
	if st.Busy() {
		t.Fatal("busy after one write alone")
	}
	commitTogether(t, st, busyBatch-1)
	if st.Busy() {
		t.Errorf("busy after a batch of %d writes; the rush starts at %d", busyBatch-1, busyBatch)
	}
	commitTogether(t, st, busyBatch)
	if !st.Busy() {
		t.Errorf("not busy after a batch of %d writes queued together", busyBatch)
	}
	if err := st.Write(ctx, nothing); err != nil {
		t.Fatal(err)
	}
	if st.Busy() {
		t.Error("still busy after a write that found the writer free")
	}
}

// commitTogether queues n empty writes behind one that holds the writer, so
// that they are committed as one batch, and returns once they have been.
func commitTogether(t *testing.T, st *Store, n int) {
	t.Helper()
	release := holdWriter(t, st, nil)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := st.Write(context.Background(), func(*gorm.DB) error { return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	waitForLen(st.batch.requests, n)
	release()
	wg.Wait()
}

// waitForLen waits until ch holds n values: writes queued for the writer,
// or batches committed and waiting for their fsync.
func waitForLen[T any](ch chan T, n int) {
	for len(ch) < n {
		runtime.Gosched()
	}
}

// writeAsync starts fn as a write of its own and returns where its outcome
// will arrive.
func writeAsync(st *Store, fn func(tx *gorm.DB) error) <-chan error {
	returned := make(chan error, 1)
	go func() { returned <- st.Write(context.Background(), fn) }()
	return returned
}

// TestCallersHearOnceTheirCommitIsOnDisk holds the fsync that makes commits
// durable and checks that a write, committed and visible to readers, returns
// only once an fsync begun after its commit has ended; that the commits made
// while one fsync runs share the next; and that a failed fsync fails the
// writes it should have made durable, while a write that failed by itself
// keeps its own error.
func TestCallersHearOnceTheirCommitIsOnDisk(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *gorm.DB) error { return tx.Exec("CREATE TABLE numbers (n INTEGER PRIMARY KEY)").Error }); err != nil {
		t.Fatal(err)
	}
	fsyncs := make(chan chan error)
	errOver := errors.New("the test is over")
	replaceBatcher(st, func() error { // a batcher whose fsyncs this test answers
		outcome := make(chan error)
		select {
		case fsyncs <- outcome:
		case <-t.Context().Done(): // a failed test's store closing
			return errOver
		}
		select {
		case err := <-outcome:
			return err
		case <-t.Context().Done():
			return errOver
		}
	}, defaultLinger)
	insert := func(n int) func(tx *gorm.DB) error {
		return func(tx *gorm.DB) error { return tx.Exec("INSERT INTO numbers (n) VALUES (?)", n).Error }
	}
	stored := func() (n int) {
		if err := st.Read(ctx).Raw("SELECT count(*) FROM numbers").Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	first := writeAsync(st, insert(1))
	firstFsync := <-fsyncs
	if n := stored(); n != 1 {
		t.Fatalf("%d rows stored while the first write's fsync runs, want its 1", n)
	}
	// Two more commits while that fsync runs, each its own batch.
	second := writeAsync(st, insert(2))
	waitForLen(st.batch.committed, 1)
	errOwn := errors.New("this write fails by itself")
	third := writeAsync(st, func(tx *gorm.DB) error { _ = insert(3)(tx); return errOwn })
	waitForLen(st.batch.committed, 2)
	select {
	case err := <-first:
		t.Fatalf("the first write returned (%v) before its fsync ended", err)
	default:
	}
	firstFsync <- nil
	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}

	errDisk := errors.New("the disk failed")
	select {
	case next := <-fsyncs:
		next <- errDisk
	case err := <-second:
		t.Fatalf("the second write returned (%v) without an fsync after its commit", err)
	}
	if err := <-second; !errors.Is(err, errDisk) {
		t.Errorf("second write = %v, want the failed fsync's error", err)
	}
	select {
	case err := <-third:
		if !errors.Is(err, errOwn) {
			t.Errorf("third write = %v, want its own error", err)
		}
	case <-fsyncs:
		t.Error("a third fsync: the commits made during the first did not share the second")
	}
	if n := stored(); n != 2 {
		t.Errorf("%d rows stored, want 2: the third write's was rolled back", n)
	}
}

// lingeringStore opens a test store whose writer lingers for linger once
// writes queue for it.
func lingeringStore(t *testing.T, linger time.Duration) *Store {
	t.Helper()
	st := openTestStore(t, t.TempDir())
	replaceBatcher(st, st.batch.sync, linger)
	return st
}

// replaceBatcher stops st's group commit and starts another on the same
// writer and log, with sync and linger.
func replaceBatcher(st *Store, sync func() error, linger time.Duration) {
	st.batch.stop()
	st.batch = newBatcher(st.writer, sync, linger, st.batch.log)
}

// returnsSoon waits for a write's outcome, and fails the test should it not
// come: a write kept waiting for company it was not meant to wait for.
func returnsSoon(t *testing.T, returned <-chan error, what string) {
	t.Helper()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s has not returned after a minute: it lingered", what)
	}
}

// TestQueuedWritesGatherIntoOneBatch checks the linger: a write that queued
// while the writer committed waits for others to join its batch, up to
// lingerFill of them, rather than committing alone.
func TestQueuedWritesGatherIntoOneBatch(t *testing.T) {
	st := lingeringStore(t, time.Hour)
	ctx := context.Background()
	nothing := func(*gorm.DB) error { return nil }
	release := holdWriter(t, st, nil)
	first := writeAsync(st, nothing)
	waitForLen(st.batch.requests, 1)
	// The writer takes the first write as soon as the holder commits, before
	// release returns: the others come after it has.
	release()
	var wg sync.WaitGroup
	for range lingerFill - 1 {
		wg.Go(func() {
			if err := st.Write(ctx, nothing); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	returnsSoon(t, first, "the first write")
	if got := st.batch.last.Load(); got != lingerFill {
		t.Errorf("the last batch held %d writes, want the %d that arrived while the first lingered", got, lingerFill)
	}
}

// TestWritesAloneDoNotLinger checks that a caller writing alone, one write
// after another, never waits for company.
func TestWritesAloneDoNotLinger(t *testing.T) {
	st := lingeringStore(t, time.Hour)
	for i := range 3 {
		returned := writeAsync(st, func(*gorm.DB) error { return nil })
		returnsSoon(t, returned, fmt.Sprintf("write %d of a caller writing alone", i+1))
	}
}

// TestLingerEndsInTime checks that a write lingering for company that never
// comes is committed when its linger ends.
func TestLingerEndsInTime(t *testing.T) {
	st := lingeringStore(t, time.Millisecond)
	release := holdWriter(t, st, nil)
	returned := writeAsync(st, func(*gorm.DB) error { return nil })
	waitForLen(st.batch.requests, 1)
	release()
	returnsSoon(t, returned, "a write that lingered alone")
}
