package store

import (
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"
)

// checkpointEvery is how often the checkpointer copies the WAL back into the
// database file. Under constant writes the WAL never starts over by itself
// (a checkpoint is never quite done before the next commit), so the writer's
// backstop below comes due every few seconds, and it must copy and fsync
// whatever the checkpointer has not: at 250 ms that stalled the writer for
// 70–113 ms, at 50 ms for 35–45 ms (5,000 signatures/s, 1,000,000 stored).
const checkpointEvery = 50 * time.Millisecond

// writerCheckpointPages is the WAL size, in pages (4 KiB), from which the
// writer checkpoints itself after a commit, as SQLite does by default from
// 1,000: should the checkpointer fall behind, and to let the WAL start over.
const writerCheckpointPages = 16000

// checkpointer copies committed pages from the WAL into the database file on
// a connection of its own, so that the one writer does not do it after its
// commits: on a launch day that copying took about a third of the writer's
// time. PASSIVE never waits for readers or the writer; SQLite starts the WAL
// over once a checkpoint has copied all of it.
type checkpointer struct {
	db   *gorm.DB
	log  *slog.Logger
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func newCheckpointer(db *gorm.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, quit: make(chan struct{}), done: make(chan struct{})}
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
		}
	}
}

// checkpoint copies what it can of the WAL into the database file.
func (c *checkpointer) checkpoint() error {
	return c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)").Error
}

// stop ends the checkpointer after the checkpoint in progress.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}
