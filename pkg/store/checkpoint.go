package store

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// checkpointEvery is how often the checkpointer copies the WAL back into the
// database file. At 250 ms the WAL outgrew the checkpoints and the writer's
// backstop came due (70–113 ms stalls at 5,000 signatures/s, 1,000,000
// stored); at 50 ms each checkpoint copies about 800 pages.
const checkpointEvery = 50 * time.Millisecond

// restartPages is the WAL size, in pages (4 KiB), from which the
// checkpointer has the WAL start over (see checkpointer.checkpoint): at
// 5,000 signatures/s about once a second.
const restartPages = 16000

// writerCheckpointPages is the WAL size, in pages, from which the writer
// checkpoints itself after a commit, as SQLite does by default from 1,000:
// only should the checkpointer fail to start the WAL over (restartPages),
// so that the WAL cannot grow without end.
const writerCheckpointPages = 4 * restartPages

// checkpointer copies committed pages from the WAL into the database file on
// a connection of its own, so that the one writer does not do it after its
// commits: on a launch day that copying took about a third of the writer's
// time. PASSIVE never waits for readers or the writer.
type checkpointer struct {
	db  *gorm.DB
	log *slog.Logger
	// paused runs a function while the writer commits nothing
	// (batcher.paused).
	paused func(fn func())
	// restartPages is the WAL size from which the WAL is made to start
	// over; restartPages but for tests.
	restartPages int
	// nextRestart is the WAL size at which checkpoint next has it start
	// over, and lastPages the WAL size its last checkpoint found; only run
	// uses them.
	nextRestart, lastPages int
	// shredWanted counts the requests to empty the WAL after an erasure,
	// and shredDone the last of them an emptying covered: while it is
	// behind, the checkpointer tries again every shredRetry.
	shredWanted, shredDone atomic.Uint64
	lastShredTry           time.Time
	quit                   chan struct{}
	done                   chan struct{}
	once                   sync.Once
}

func newCheckpointer(db *gorm.DB, paused func(fn func()), log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, paused: paused, log: log, restartPages: restartPages, nextRestart: restartPages,
		quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	ticker := time.NewTicker(checkpointEvery)
	defer ticker.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-ticker.C:
			if err := c.checkpoint(); err != nil {
				c.log.Warn("store: WAL checkpoint failed", "err", err)
			}
			if c.shredDone.Load() < c.shredWanted.Load() && time.Since(c.lastShredTry) >= shredRetry {
				c.lastShredTry = time.Now()
				if err := c.tryShred(); err != nil {
					c.log.Warn("store: emptying the WAL after an erasure failed", "err", err)
				}
			}
		}
	}
}

// checkpoint copies what it can of the WAL into the database file and, once
// the WAL holds restartPages, has it start over.
//
// SQLite starts the WAL over when the writer begins a transaction on a WAL
// copied to its end. Under constant writes a checkpoint never gets there:
// the writer commits more while it copies. Left to itself, the writer then
// copies the rest after one of its commits, every restartPages or so, and
// that copy and the database file's fsync held every signer back for 20–94
// ms once a second (5,000 signatures/s, 1,000,000 stored). Instead, a second
// checkpoint copies what the writer committed during the first, few pages,
// and a last one, with the writer paused between two batches, what it
// committed during the second: fewer still.
func (c *checkpointer) checkpoint() error {
	pages, err := c.copyWAL()
	if err != nil {
		return err
	}
	if pages < c.lastPages { // the WAL started over
		c.nextRestart = c.restartPages
	}
	c.lastPages = pages
	if pages < c.nextRestart {
		return nil
	}
	// Should a reader hold the WAL (SQLite cannot start it over under one
	// still reading from it), the next try waits as long again.
	c.nextRestart = pages + c.restartPages
	if _, err := c.copyWAL(); err != nil {
		return err
	}
	c.paused(func() { _, err = c.copyWAL() })
	return err
}

// copyWAL copies what it can of the WAL into the database file and returns
// the WAL's size, in pages, when it began.
func (c *checkpointer) copyWAL() (pages int, err error) {
	var busy, copied int
	err = c.db.Raw("PRAGMA wal_checkpoint(PASSIVE)").Row().Scan(&busy, &pages, &copied)
	return pages, err
}

// shredRetry is how often the checkpointer tries again to empty the WAL
// after an erasure, while readers keep it from doing so.
const shredRetry = time.Second

// errStopped is what emptying the WAL fails with once the store is closed.
var errStopped = errors.New("store: closed")

// shred asks for the WAL to be emptied, so that no copy of the pages an
// erasure overwrote remains in it, and tries at once. Should a reader still
// reading the WAL keep it from being emptied, the checkpointer tries again
// every shredRetry until it is.
func (c *checkpointer) shred() error {
	c.shredWanted.Add(1)
	return c.tryShred()
}

// tryShred empties the WAL if it can, and records which requests that
// covered.
func (c *checkpointer) tryShred() error {
	wanted := c.shredWanted.Load()
	emptied, err := c.truncate()
	if err != nil || !emptied {
		return err
	}
	for done := c.shredDone.Load(); done < wanted && !c.shredDone.CompareAndSwap(done, wanted); done = c.shredDone.Load() {
	}
	return nil
}

// truncate copies the whole WAL into the database file and empties it, so
// that no page written before remains in either file but as it is now: what
// an erasure overwrote (secure_delete zeroes what a statement frees) is gone
// from the disk too. It copies what it can first, then, with the writer
// paused between two batches, the rest and empties the WAL. The checkpoint
// connection waits for nobody (busy_timeout 0): when a reader still reads
// the WAL, it reports emptied false at once rather than hold the writer.
func (c *checkpointer) truncate() (emptied bool, err error) {
	if _, err := c.copyWAL(); err != nil {
		return false, err
	}
	ran := false
	c.paused(func() {
		ran = true
		var busy, pages, copied int
		err = c.db.Raw("PRAGMA wal_checkpoint(TRUNCATE)").Row().Scan(&busy, &pages, &copied)
		emptied = err == nil && busy == 0
	})
	if !ran {
		return false, errStopped
	}
	return emptied, err
}

// stop ends the checkpointer after the checkpoint in progress.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}
