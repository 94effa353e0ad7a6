package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
)

// backupCommand runs `undersigned backup FILE`: a consistent copy of the
// SQLite database, taken while the server may be running.
//
// It opens the store itself rather than through build: build migrates, syncs
// the letters and may create the secret key file, all of which write, and a
// backup must change nothing under a server that is serving the database.
func backupCommand(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, con console) (err error) {
	if len(args) != 1 || args[0] == "" {
		return errors.New("usage: undersigned backup FILE")
	}
	target := args[0]
	if cfg.Database.Driver != "sqlite" {
		return fmt.Errorf("backup copies SQLite databases only; back up %s with pg_dump", cfg.Database.Driver)
	}
	opts := store.Options{Driver: cfg.Database.Driver, DSN: cfg.Database.DSN, DataDir: cfg.DataDir, Log: log}
	// store.Open would create an empty database where there is none.
	if _, err := os.Stat(opts.SQLitePath()); err != nil {
		return fmt.Errorf("backup: no database to copy: %w", err)
	}
	st, err := store.Open(opts)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	if err := st.Backup(ctx, target); err != nil {
		return err
	}
	info, err := os.Stat(target)
	if err != nil {
		return err
	}
	fmt.Fprintf(con.out, "backed up to %s (%d bytes)\n", target, info.Size())
	key := "the key file " + filepath.Join(cfg.DataDir, "secret.key")
	if cfg.SecretKey != "" {
		key = "the secret key set in UNDERSIGNED_SECRET_KEY (secret_key)"
	}
	fmt.Fprintf(con.out, "Keep %s with this backup: the email addresses in it are sealed with that key\n"+
		"and cannot be read, nor signers found again, without it. Store both privately.\n", key)
	return nil
}
