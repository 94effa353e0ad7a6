package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

func addLetters(t *testing.T, st *store.Store, slugs ...string) {
	t.Helper()
	err := st.Write(context.Background(), func(tx *gorm.DB) error {
		for _, slug := range slugs {
			l := store.Letter{Slug: slug, Title: "Letter " + slug, Body: "body", Lang: "en", VersionHash: "v"}
			if err := store.UpsertLetter(tx, &l); err != nil {
				return err
			}
			if err := store.AddToCount(tx, l.ID, "DE", store.KindIndividual, true, 3); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func openBackup(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Driver: "sqlite", DSN: path, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func integrity(t *testing.T, st *store.Store) string {
	t.Helper()
	var res []string
	if err := st.Read(context.Background()).Raw("PRAGMA integrity_check").Scan(&res).Error; err != nil {
		t.Fatal(err)
	}
	return strings.Join(res, "\n")
}

func TestBackupRestores(t *testing.T) {
	st, _ := openTemp(t)
	ctx := context.Background()
	addLetters(t, st, "one", "two", "three")
	target := filepath.Join(t.TempDir(), "new", "folder", "copy.db")
	if err := st.Backup(ctx, target); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("backup mode = %v, want 0600", perm)
	}

	restored := openBackup(t, target)
	if got := integrity(t, restored); got != "ok" {
		t.Errorf("integrity_check = %q", got)
	}
	var slugs []string
	if err := restored.Read(ctx).Model(&store.Letter{}).Order("slug").Pluck("slug", &slugs).Error; err != nil {
		t.Fatal(err)
	}
	if strings.Join(slugs, ",") != "one,three,two" {
		t.Errorf("letters in the backup = %v", slugs)
	}
	var l store.Letter
	if err := restored.Read(ctx).Where("slug = ?", "two").Take(&l).Error; err != nil {
		t.Fatal(err)
	}
	counts, err := store.CountsForLetter(restored.Read(ctx), l.ID)
	if err != nil || len(counts) != 1 || counts[0].Count != 3 {
		t.Errorf("counts in the backup = %+v (%v)", counts, err)
	}
	// The restored copy is a working database: it migrates and takes writes.
	if err := restored.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	addLetters(t, restored, "four")
}

func TestBackupRefusesAnExistingFile(t *testing.T) {
	st, _ := openTemp(t)
	target := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(target, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := st.Backup(context.Background(), target)
	if err == nil || !strings.Contains(err.Error(), target) || !strings.Contains(err.Error(), "exists") ||
		!strings.HasPrefix(err.Error(), "store:") {
		t.Errorf("err = %v, want it to say %s exists", err, target)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Errorf("the existing file was changed: %q", b)
	}

	// A second backup to the same new name is refused too.
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	if err := st.Backup(context.Background(), fresh); err != nil {
		t.Fatal(err)
	}
	if err := st.Backup(context.Background(), fresh); err == nil {
		t.Error("a backup overwrote an earlier one")
	}
}

func TestBackupFailureLeavesNoFile(t *testing.T) {
	st, _ := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	target := filepath.Join(t.TempDir(), "copy.db")
	if err := st.Backup(ctx, target); err == nil {
		t.Fatal("a backup with a cancelled context succeeded")
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s behind: %v", target, err)
	}
}

// TestBackupDoesNotWaitForWriters takes a backup while a write transaction is
// open: it must neither wait for it nor include its uncommitted rows.
func TestBackupDoesNotWaitForWriters(t *testing.T) {
	st, _ := openTemp(t)
	addLetters(t, st, "committed")
	inTx, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.Write(context.Background(), func(tx *gorm.DB) error {
			l := store.Letter{Slug: "uncommitted", Title: "U", Body: "b", Lang: "en", VersionHash: "v"}
			if err := store.UpsertLetter(tx, &l); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	select {
	case <-inTx:
	case err := <-done:
		t.Fatalf("write: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	target := filepath.Join(t.TempDir(), "copy.db")
	backupErr := st.Backup(ctx, target)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if backupErr != nil {
		t.Fatalf("backup during a write transaction: %v", backupErr)
	}
	var slugs []string
	if err := openBackup(t, target).Read(context.Background()).Model(&store.Letter{}).Pluck("slug", &slugs).Error; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(slugs) != "[committed]" {
		t.Errorf("letters in the backup = %v, want only the committed one", slugs)
	}
}

func TestBackupRefusesPostgres(t *testing.T) {
	err := (&store.Store{Driver: "postgres"}).Backup(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.HasPrefix(err.Error(), "store:") {
		t.Errorf("err = %v, want a pointer to pg_dump", err)
	}
}
