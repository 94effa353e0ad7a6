package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// errClosed is returned by Write once the store is closed.
var errClosed = errors.New("store: closed")

// maxBatch bounds how many callers' transactions one commit carries, so that
// one slow batch cannot hold the write lock for long.
const maxBatch = 256

// batcher is SQLite's group commit. SQLite has one writer; committed one by
// one, concurrent writes would queue behind each other's commit and fsync.
// The batcher's one goroutine takes every write waiting when the last commit
// ends and runs them in one transaction, each inside its own savepoint, then
// commits once. A write whose function fails is rolled back to its savepoint
// and only its caller sees the error.
//
// Every caller returns only once its commit is on disk, but the writer does
// not wait for that: the connection runs at synchronous=NORMAL, which writes
// each commit to the WAL without an fsync, and a second goroutine
// (syncCommits) fsyncs the WAL for the commits made so far while the writer
// runs the next batch, then answers their callers. At a launch's pace an
// fsync inside each commit costs about a third of the writer's CPU, and
// waiting for it would hold the next batch back.
type batcher struct {
	db  *gorm.DB
	log *slog.Logger
	// sync makes every commit so far durable: it fsyncs the WAL.
	sync      func() error
	requests  chan *writeRequest
	pauses    chan pause          // see paused
	committed chan committedBatch // to syncCommits
	quit      chan struct{}       // closed by stop
	done      chan struct{}       // closed when run returns
	stopOnce  sync.Once
	// linger is how long the writer, while writes arrive together (see
	// arrivingTogether), waits for more to join a batch before committing
	// it. A commit of its own costs the writer about two signatures' inserts
	// (BenchmarkInsertBatch: 321 µs for a batch of one, 114 µs a signature
	// in batches of eight), and each commit needs an fsync besides: at a
	// launch's pace, a millisecond brings five more signatures. A write
	// that finds the writer idle and alone is committed at once.
	linger time.Duration
	// lastEnd is when the last batch's transaction ended; only run uses it.
	lastEnd time.Time
	// last is the size of the batch committed last, read by busy.
	last atomic.Int64
}

// writeRequest is one caller's transaction waiting for the batcher.
type writeRequest struct {
	ctx context.Context
	fn  func(tx *gorm.DB) error
	// insert, when set, is a new signature that fn inserts alone, and that
	// a batch of several inserts more cheaply together (insertInBulk).
	insert   *signatureInsert
	handedIn time.Time
	result   chan writeResult
}

// writeResult is what the batcher hands back: the transaction's error, or
// the value fn panicked with, re-raised in the caller's goroutine.
type writeResult struct {
	err      error
	panicked any
}

// pause is a function to run between two batches (see paused), and the
// channel closed once it has.
type pause struct {
	fn   func()
	done chan struct{}
}

// committedBatch is a batch whose transaction has ended, with each caller's
// result, waiting for its commit to reach the disk before the callers hear.
type committedBatch struct {
	batch   []*writeRequest
	results []writeResult
}

// lingerFill is the batch from which the writer no longer lingers for more
// writes: past a few dozen, a commit's own cost is shared thinly enough.
const lingerFill = 32

// defaultLinger is how long the writer waits for writes to join a batch
// when writes arrive faster than it commits them (see batcher.linger).
const defaultLinger = time.Millisecond

// maxUnsynced bounds the batches committed but not yet made durable; past it
// the writer waits for the disk.
const maxUnsynced = 64

// newBatcher starts the group commit on db, whose commits sync makes durable.
func newBatcher(db *gorm.DB, sync func() error, linger time.Duration, log *slog.Logger) *batcher {
	b := &batcher{db: db, sync: sync, linger: linger, log: log, requests: make(chan *writeRequest, maxBatch),
		pauses: make(chan pause), committed: make(chan committedBatch, maxUnsynced), quit: make(chan struct{}),
		done: make(chan struct{})}
	go b.run()
	return b
}

// write hands fn to the batcher and waits for its commit.
func (b *batcher) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return b.do(&writeRequest{ctx: ctx, fn: fn})
}

// do hands r to the batcher and waits for its commit.
func (b *batcher) do(r *writeRequest) error {
	r.result = make(chan writeResult, 1)
	r.handedIn = time.Now()
	select {
	case b.requests <- r:
	case <-r.ctx.Done():
		return r.ctx.Err()
	case <-b.quit:
		return errClosed
	}
	// Not abandoned on ctx.Done: fn may already be committing.
	var res writeResult
	select {
	case res = <-r.result:
	case <-b.done: // stopped; r was taken into a last batch or never will be
		select {
		case res = <-r.result:
		default:
			return errClosed
		}
	}
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.err
}

// paused runs fn in the writer's goroutine between two batches, so that
// nothing commits while it runs, and returns once it has; once the batcher
// has stopped, it returns without running fn.
func (b *batcher) paused(fn func()) {
	p := pause{fn: fn, done: make(chan struct{})}
	select {
	case b.pauses <- p:
		<-p.done
	case <-b.quit:
	}
}

// stop ends the batcher after the batch in progress.
func (b *batcher) stop() {
	b.stopOnce.Do(func() { close(b.quit) })
	<-b.done
}

func (b *batcher) run() {
	defer close(b.done)
	var syncer sync.WaitGroup
	syncer.Go(b.syncCommits)
	defer func() {
		close(b.committed)
		syncer.Wait()
	}()
	for {
		var first *writeRequest
		select {
		case first = <-b.requests:
		case p := <-b.pauses:
			p.fn()
			close(p.done)
			continue
		case <-b.quit:
			return
		}
		batch := takeWaiting(b.requests, []*writeRequest{first}, maxBatch)
		if len(batch) < lingerFill && b.arrivingTogether(first) {
			batch = b.gather(batch)
		}
		b.last.Store(int64(len(batch)))
		results := b.commit(batch)
		b.lastEnd = time.Now()
		b.committed <- committedBatch{batch: batch, results: results}
	}
}

// arrivingTogether reports whether writes are arriving faster than the
// writer commits them one by one: first was handed in before the last commit
// ended, or soon after one that carried several. A caller writing alone, one
// write after another, hands each in after the last has committed.
func (b *batcher) arrivingTogether(first *writeRequest) bool {
	gap := first.handedIn.Sub(b.lastEnd)
	return gap < 0 || (gap < b.linger && b.last.Load() > 1)
}

// gather waits up to the batcher's linger for more writes to join batch,
// until it holds lingerFill, and returns it with every write queued by then.
func (b *batcher) gather(batch []*writeRequest) []*writeRequest {
	timer := time.NewTimer(b.linger)
	defer timer.Stop()
	for len(batch) < lingerFill {
		select {
		case r := <-b.requests:
			batch = append(batch, r)
		case <-timer.C:
			return takeWaiting(b.requests, batch, maxBatch)
		case <-b.quit:
			return batch
		}
	}
	return takeWaiting(b.requests, batch, maxBatch)
}

// takeWaiting appends to got what ch holds already, until got has limit, and
// waits for nothing.
func takeWaiting[T any](ch <-chan T, got []T, limit int) []T {
	for len(got) < limit {
		select {
		case v, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, v)
		default:
			return got
		}
	}
	return got
}

// syncCommits answers the callers of each committed batch once the WAL holds
// its commit on disk. It takes every batch waiting and fsyncs once for them
// all: a commit made while an fsync runs waits for the next one, which then
// serves every commit made meanwhile.
func (b *batcher) syncCommits() {
	for c := range b.committed {
		waiting := takeWaiting(b.committed, []committedBatch{c}, maxUnsynced)
		err := b.sync()
		if err != nil {
			err = fmt.Errorf("store: make a commit durable: %w", err)
			b.log.Error("store: fsync of the WAL failed; the writes it should have made durable report it", "err", err)
		}
		for _, c := range waiting {
			c.answer(err)
		}
	}
}

// answer tells each caller of c how its write went: a write that committed
// fails after all when syncErr says its commit may not be on disk.
func (c committedBatch) answer(syncErr error) {
	for i, r := range c.batch {
		res := c.results[i]
		if syncErr != nil && res.err == nil && res.panicked == nil {
			res.err = syncErr
		}
		r.result <- res
	}
}

// busyBatch is the group commit from which writers are queueing: a batch
// holds what arrived while the last one committed, and what arrives in the
// millisecond it lingers, so batches this large form only in a rush. Signers
// at 200 a second commit one by one; at 2,500 a second most batches hold four
// to seven, one in four eight or more; at 5,000 a second four in five hold
// eight or more, at times the most one takes (maxBatch). There the two cores
// are nearly full, and mail sent then delays signers (docs/benchmarks.md).
const busyBatch = 8

// busy reports whether writes are queueing for the writer: its last batch
// carried at least busyBatch of them.
func (b *batcher) busy() bool { return b.last.Load() >= busyBatch }

// commit runs batch in one transaction and returns how each write went.
func (b *batcher) commit(batch []*writeRequest) []writeResult {
	results := make([]writeResult, len(batch))
	if len(batch) == 1 { // nothing to share: no savepoint needed
		// GORM rolls the transaction back on an error or a panic.
		results[0] = guard(func() error { return b.db.WithContext(batch[0].ctx).Transaction(batch[0].fn) })
	} else {
		err := b.db.Transaction(func(tx *gorm.DB) error {
			done, err := b.insertInBulk(tx, batch)
			if err != nil {
				return err
			}
			for i, r := range batch {
				if done[i] {
					continue
				}
				if err := r.ctx.Err(); err != nil {
					results[i].err = err
					continue
				}
				var err error
				if results[i], err = inSavepoint(tx, i, r); err != nil {
					return err // the savepoint could not be undone: nothing of the batch may commit
				}
			}
			return nil
		})
		if err != nil {
			for i := range results {
				if results[i].err == nil && results[i].panicked == nil {
					results[i].err = fmt.Errorf("store: commit a batch of %d writes: %w", len(batch), err)
				}
			}
		}
	}
	return results
}

// inSavepoint runs one write of a batch inside a savepoint, rolls back to it
// when the write fails or panics, and releases it either way. Releasing
// matters: while savepoints stay open SQLite keeps the original of every page
// they touch, and past 64 KiB it spills that journal to a file, a write
// system call per page. The second result is an error of the savepoint
// itself, after which the batch cannot be committed. Once begun, a write runs
// to its end: were its context cancelled half way, even the rollback would
// fail.
func inSavepoint(tx *gorm.DB, i int, r *writeRequest) (writeResult, error) {
	return withSavepoint(tx, "write"+strconv.Itoa(i), func() error {
		return r.fn(tx.WithContext(context.WithoutCancel(r.ctx)))
	})
}

// withSavepoint runs fn inside the savepoint name, rolls back to it when fn
// fails or panics, and releases it either way (ROLLBACK TO leaves it open).
// The second result is an error of the savepoint itself.
func withSavepoint(tx *gorm.DB, name string, fn func() error) (res writeResult, err error) {
	if err := tx.SavePoint(name).Error; err != nil {
		return res, err
	}
	res = guard(fn)
	if res.err != nil || res.panicked != nil {
		if err := tx.RollbackTo(name).Error; err != nil {
			return res, err
		}
	}
	return res, tx.Exec("RELEASE SAVEPOINT " + name).Error
}

// insertInBulk runs the batch's signature inserts together, in one
// savepoint (see insertSignatures), and reports which requests it completed.
// Should that fail, it undoes them all, logs why, and leaves each to run on
// its own, so that a bad row fails only its own caller. The second result is
// an error of the savepoint itself, after which the batch cannot be committed.
func (b *batcher) insertInBulk(tx *gorm.DB, batch []*writeRequest) (done []bool, err error) {
	done = make([]bool, len(batch))
	var ins []*signatureInsert
	var at []int
	for i, r := range batch {
		if r.insert != nil && r.ctx.Err() == nil {
			ins = append(ins, r.insert)
			at = append(at, i)
		}
	}
	if len(ins) < 2 {
		return done, nil
	}
	res, err := withSavepoint(tx, "bulk", func() error { return insertSignatures(tx, ins) })
	if err != nil {
		return done, err
	}
	if res.err != nil || res.panicked != nil {
		for _, in := range ins { // as before the attempt
			in.inserted, in.sig.ID = false, 0
		}
		b.log.Warn("store: a batch's signatures could not be inserted together; inserting them one by one",
			"signatures", len(ins), "err", res.err, "panic", res.panicked)
		return done, nil
	}
	for _, i := range at {
		done[i] = true
	}
	return done, nil
}

// guard runs fn, turning a panic into a result for the caller to re-raise.
func guard(fn func() error) (res writeResult) {
	defer func() {
		if p := recover(); p != nil {
			res = writeResult{panicked: p}
		}
	}()
	return writeResult{err: fn()}
}
