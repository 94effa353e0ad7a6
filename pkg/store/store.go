// Package store opens the database (SQLite or PostgreSQL), runs the versioned
// migrations and holds the models and queries that the domain packages share.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// ErrNotFound is returned by look-ups that match no row.
var ErrNotFound = errors.New("store: not found")

// Options says which database to open.
type Options struct {
	Driver  string // "sqlite" or "postgres"
	DSN     string // for sqlite, a file path; empty means <DataDir>/undersigned.db
	DataDir string
	Log     *slog.Logger
}

// Store is the open database. Writes go through Writer (one connection on SQLite,
// so transactions never fight over the lock); reads go through Reader's pool.
type Store struct {
	Driver string
	// SortKeys makes the names' collation keys that Signature.SetDerived
	// stores.
	SortKeys *SortKeys
	writer   *gorm.DB
	reader   *gorm.DB
	// live is the pool of the public view's reads (ReadLive): on
	// PostgreSQL a small pool of its own, the reader's on SQLite.
	live *gorm.DB
	// SQLite's group commit and WAL checkpoints; nil on PostgreSQL.
	batch        *batcher
	checkpointer *checkpointer
}

// Open connects to the database named by opts. It does not migrate; call Migrate.
func Open(opts Options) (*Store, error) {
	gcfg := &gorm.Config{
		Logger:         quietLogger{log: opts.Log, slow: 500 * time.Millisecond},
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	}
	switch opts.Driver {
	case "sqlite":
		return openSQLite(opts, gcfg)
	case "postgres":
		return openPostgres(opts, gcfg)
	default:
		return nil, fmt.Errorf("store: unknown driver %q", opts.Driver)
	}
}

// postgresConns is how many connections a server keeps open to PostgreSQL,
// at most, and keeps open when idle. Past what the server's cores run at
// once, more connections only queue inside PostgreSQL, each a process of its
// own; and database/sql's default keeps 2 idle, so that under load nearly
// every request opened a connection (a process forked) and closed it, and
// at 2,500 signatures a second the server ran out of max_connections
// (docs/benchmarks.md, PostgreSQL). Requests beyond it wait for a connection
// in the pool.
const postgresConns = 32

// liveConns is the size of the PostgreSQL pool that the public view's
// reads (ReadLive) have to themselves: one rebuild and one poll at a time
// per letter, never queued behind the requests waiting for postgresConns.
const liveConns = 4

func openPostgres(opts Options, gcfg *gorm.Config) (*Store, error) {
	db, err := openPostgresPool(opts.DSN, gcfg, postgresConns)
	if err != nil {
		return nil, err
	}
	live, err := openPostgresPool(opts.DSN, gcfg, liveConns)
	if err != nil {
		return nil, errors.Join(err, closePool(db))
	}
	return &Store{Driver: "postgres", SortKeys: NewSortKeys(), writer: db, reader: db, live: live}, nil
}

// openPostgresPool opens a pool of at most conns connections to dsn, kept
// open when idle.
func openPostgresPool(dsn string, gcfg *gorm.Config, conns int) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(dsn), gcfg)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: postgres pool: %w", err)
	}
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	return db, nil
}

// SQLitePath is where the SQLite database lives for these options.
func (o Options) SQLitePath() string {
	if o.DSN != "" {
		return o.DSN
	}
	return filepath.Join(o.DataDir, "undersigned.db")
}

func openSQLite(opts Options, gcfg *gorm.Config) (*Store, error) {
	path := opts.SQLitePath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create folder for %s: %w", path, err)
	}
	// Create the file private before SQLite does; its -wal and -shm files take
	// the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", path, err)
	}
	// WAL lets readers go on while the writer commits; busy_timeout waits out the
	// rare lock instead of failing; _txlock=immediate takes the write lock at BEGIN
	// so a transaction never has to upgrade (and deadlock) half way through.
	// synchronous=NORMAL: a commit is written to the WAL without an fsync, and
	// the group commit fsyncs the WAL itself before any caller hears (see
	// batcher); checkpoints still fsync the WAL before they copy it and the
	// database file after.
	params := url.Values{
		"_journal_mode": {"WAL"},
		"_busy_timeout": {"10000"},
		"_foreign_keys": {"on"},
		"_synchronous":  {"NORMAL"},
		"_txlock":       {"immediate"},
		// What a statement frees (an erased name, a deleted row) is
		// overwritten with zeros, not left readable in the file.
		"_secure_delete": {"on"},
		// Keep each connection's most used statements compiled: parsing an
		// INSERT of a signature's 33 columns cost more than running it.
		"_stmt_cache_size": {"128"},
	}
	writer, err := openSQLitePool(path, params, gcfg, 1)
	if err != nil {
		return nil, err
	}
	// Each write of a group commit runs in a savepoint, which keeps the
	// original of every page it changes: in memory that is a copy, in a
	// temporary file a system call per page. go-sqlite3 takes no DSN parameter
	// for it; the writer's one connection lives as long as the pool.
	if err := writer.Exec("PRAGMA temp_store = MEMORY").Error; err != nil {
		return nil, fmt.Errorf("store: set temp_store on %s: %w", path, err)
	}
	// The checkpointer below copies the WAL into the file; the writer does it
	// only as a backstop.
	if err := writer.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerCheckpointPages)).Error; err != nil {
		return nil, fmt.Errorf("store: set wal_autocheckpoint on %s: %w", path, err)
	}
	params.Set("_txlock", "deferred")
	checkpoints, err := openSQLitePool(path, params, gcfg, 1)
	if err != nil {
		return nil, err
	}
	// The checkpointer waits for nobody: emptying the WAL after an erasure
	// (checkpointer.truncate) holds the writer paused, and a reader in the
	// way makes it try again later rather than wait with every signer.
	if err := checkpoints.Exec("PRAGMA busy_timeout = 0").Error; err != nil {
		return nil, fmt.Errorf("store: set busy_timeout on the checkpointer's connection to %s: %w", path, err)
	}
	params.Set("_query_only", "1")
	reader, err := openSQLitePool(path, params, gcfg, 8)
	if err != nil {
		return nil, err
	}
	batch := newBatcher(writer, func() error { return syncFile(path + "-wal") }, defaultLinger, opts.Log)
	return &Store{Driver: "sqlite", SortKeys: NewSortKeys(), writer: writer, reader: reader, batch: batch,
		checkpointer: newCheckpointer(checkpoints, batch.paused, opts.Log)}, nil
}

// Busy reports whether writes are queueing for SQLite's one writer, as they
// do in a launch's rush, so that work that can wait (the outbox) gives way.
// On PostgreSQL, which has no one writer, it is always false.
func (s *Store) Busy() bool { return s.batch != nil && s.batch.busy() }

// GiveWayToSigners waits wait if signers queue for the one writer (Busy),
// and returns at once otherwise: on a launch day signatures are stored
// first, and work that can wait (the outbox's mail and webhook deliveries,
// an update's chunks) goes a batch per wait until the rush eases, then at
// full speed. Such work competes with signing for the processor and the
// writer; the signer's page waits on the one, not the other. A wait of 0,
// or ctx ending, never holds it back.
func (s *Store) GiveWayToSigners(ctx context.Context, wait time.Duration) {
	if wait <= 0 || !s.Busy() {
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// Read returns a handle for queries that change nothing.
func (s *Store) Read(ctx context.Context) *gorm.DB {
	return s.reader.WithContext(ctx)
}

// ReadLive is Read for the public view (the live snapshot's rebuilds and
// the polls that find other servers' changes): on PostgreSQL its pool is
// its own, so that a burst of requests waiting for connections does not
// hold back what every reader of the letter sees.
func (s *Store) ReadLive(ctx context.Context) *gorm.DB {
	if s.live == nil {
		return s.Read(ctx)
	}
	return s.live.WithContext(ctx)
}

// Write runs fn in one transaction on the writer; fn's error rolls it back.
// On SQLite, writes from concurrent callers share one commit (see batcher):
// fn must not call Write itself, and sees the rows of writes committed with it.
func (s *Store) Write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.batch != nil {
		return s.batch.write(ctx, fn)
	}
	return s.writer.WithContext(ctx).Transaction(fn)
}

// WriteMove is Write for a function that loads a signature and moves it
// (MoveSignature), where a move lost to another request should be made again
// on the signature as it is now rather than fail: a signer's correction or
// withdrawal, a staff edit. It runs fn again, up to three times in all,
// while it fails with ErrAlreadyMoved, which only PostgreSQL's side-by-side
// transactions give; on SQLite writes run one at a time.
func (s *Store) WriteMove(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var err error
	for range 3 {
		if err = s.Write(ctx, fn); !errors.Is(err, ErrAlreadyMoved) {
			return err
		}
	}
	return err
}

// Shred removes from the database's files the old copies of pages that an
// erasure changed, so that erased personal data cannot be read back from the
// disk: SQLite zeroes what a statement frees (secure_delete), and Shred
// copies the WAL into the database file and empties it. Should a reader hold
// the WAL, it is emptied as soon as it can be. On PostgreSQL the server's
// vacuum reclaims the old row versions.
func (s *Store) Shred(ctx context.Context) error {
	if s.checkpointer == nil {
		return nil
	}
	return s.checkpointer.shred()
}

// Ping reports whether the database answers; /healthz calls it.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.reader.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close stops the group commit and the checkpoints and closes the pools.
func (s *Store) Close() error {
	pools := []*gorm.DB{s.writer}
	if s.reader != s.writer {
		pools = append(pools, s.reader)
	}
	if s.live != nil {
		pools = append(pools, s.live)
	}
	if s.batch != nil {
		s.batch.stop()
		s.checkpointer.stop()
		pools = append(pools, s.checkpointer.db)
	}
	var errs []error
	for _, db := range pools {
		errs = append(errs, closePool(db))
	}
	return errors.Join(errs...)
}

// closePool closes db's connections.
func closePool(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// openSQLitePool opens one connection pool on the file with at most conns
// connections. Each pool gets its own copy of gcfg: gorm.Open keeps the
// Config it is given and hangs the pool's callbacks on it, so pools opened
// with one Config would share them, and a hook added to the readers' (as a
// test does to count their queries) would also run for the writer's and the
// checkpointer's statements.
func openSQLitePool(path string, params url.Values, gcfg *gorm.Config, conns int) (*gorm.DB, error) {
	own := *gcfg
	db, err := gorm.Open(sqlite.Open("file:"+path+"?"+params.Encode()), &own)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: sqlite pool for %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	sqlDB.SetConnMaxIdleTime(0)
	return db, nil
}

// findOne loads the one row of T matched by the condition, or ErrNotFound.
func findOne[T any](tx *gorm.DB, what, query string, args ...any) (*T, error) {
	var row T
	err := tx.Where(query, args...).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: find %s where %s: %w", what, query, err)
	}
	return &row, nil
}

// TruncateRunes cuts s to at most n characters, to fit a column.
func TruncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
