package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"gorm.io/gorm"
)

// Backup writes a consistent copy of the SQLite database to path, a file that
// must not exist yet; missing folders are created. It can run while the server
// serves the same database, in this process or another: the copy is one
// snapshot, as of the moment the copy began, and writers are not held up.
//
// The copy holds the signers' sealed personal data, so it is created with mode
// 0600. It is useless without the instance's secret key, which is not in it.
//
// PostgreSQL databases are not copied here; back them up with pg_dump.
func (s *Store) Backup(ctx context.Context, path string) (err error) {
	if s.Driver != "sqlite" {
		return fmt.Errorf("store: backup copies SQLite databases only; back up %s with pg_dump", s.Driver)
	}
	if path == "" {
		return errors.New("store: backup: no target file given")
	}
	// An absolute path also keeps SQLite from reading a name such as
	// "file:x.db" as a URI.
	target, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	if _, err := os.Lstat(target); err == nil {
		return fmt.Errorf("store: backup target %s already exists; choose a new file name", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("store: create folder for backup %s: %w", path, err)
	}
	// Create the file, empty and private, before SQLite writes into it (VACUUM
	// INTO accepts an empty file and keeps its mode), so the data is never in a
	// file others may read. O_EXCL also settles a race with another backup.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("store: backup target %s already exists; choose a new file name", path)
	}
	if err != nil {
		return fmt.Errorf("store: create backup %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: create backup %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			// The file is ours (O_EXCL) and incomplete: do not leave it to be
			// mistaken for a backup.
			_ = os.Remove(target)
		}
	}()

	src, err := s.sqliteFile(ctx)
	if err != nil {
		return err
	}
	if err := s.vacuumInto(ctx, src, target); err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	// SQLite keeps the mode of the file it was given; make sure whatever the umask.
	if err := os.Chmod(target, 0o600); err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	return syncFile(target)
}

// sqliteFile is the path of the main database file, as SQLite opened it.
func (s *Store) sqliteFile(ctx context.Context) (string, error) {
	var dbs []struct {
		Name string
		File string
	}
	if err := s.reader.WithContext(ctx).Raw("PRAGMA database_list").Scan(&dbs).Error; err != nil {
		return "", fmt.Errorf("store: backup: find the database file: %w", err)
	}
	for _, db := range dbs {
		if db.Name == "main" && db.File != "" {
			return db.File, nil
		}
	}
	return "", errors.New("store: backup: the database has no file to copy")
}

// vacuumInto runs VACUUM INTO on a connection of its own.
//
// VACUUM INTO reads the source in one read transaction, so the copy is a
// consistent snapshot; in WAL mode a read transaction does not block the
// writer, which goes on committing to the WAL while the copy is made. It
// cannot run inside an explicit transaction ("cannot VACUUM from within a
// transaction"); as a statement of its own it is its own transaction.
//
// Which connection: not the writer, since the writer pool has one connection
// and every Write would queue behind the whole copy. Not a connection of the
// reader pool either: those are query_only, and SQLite refuses VACUUM INTO on
// them ("attempt to write a readonly database") because it writes the new
// file, and making one writable for a while risks handing a writable
// connection back to the readers. So it opens a short-lived connection with
// the readers' settings minus query_only and closes it afterwards. It sets no
// journal mode: the database is already in WAL mode, and a backup changes
// nothing in it.
func (s *Store) vacuumInto(ctx context.Context, src, target string) (err error) {
	params := url.Values{
		"_busy_timeout": {"10000"},
		"_synchronous":  {"FULL"},
		"_txlock":       {"deferred"},
	}
	db, err := openSQLitePool(src, params, &gorm.Config{Logger: s.reader.Logger}, 1)
	if err != nil {
		return err
	}
	defer func() {
		if sqlDB, derr := db.DB(); derr == nil {
			err = errors.Join(err, sqlDB.Close())
		}
	}()
	return db.WithContext(ctx).Exec("VACUUM INTO ?", target).Error
}

// syncFile flushes path to disk: a backup, so that one reported done
// survives a crash, or the WAL, which the writer's connection writes without
// an fsync (see batcher). It opens the file each time, so that it reaches the
// one there now.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: sync %s: %w", path, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: sync %s: %w", path, err)
	}
	return nil
}
