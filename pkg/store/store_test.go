package store_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

func openTemp(t *testing.T) (*store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	return openMigrated(t, store.Options{Driver: "sqlite", DataDir: dir}), filepath.Join(dir, "undersigned.db")
}

// openMigrated opens the database opts names, quiet, migrates it, and closes
// it when the test ends.
func openMigrated(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDatabaseFileIsPrivate(t *testing.T) {
	_, path := openTemp(t)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("database file mode = %v, want 0600", perm)
	}
}

func schemaOf(t *testing.T, st *store.Store) []string {
	t.Helper()
	var sql []string
	if err := st.Read(context.Background()).Raw("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").Scan(&sql).Error; err != nil {
		t.Fatal(err)
	}
	return sql
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	st, _ := openTemp(t)
	before := schemaOf(t, st)
	if len(before) < 8 {
		t.Fatalf("schema has %d objects; the tables were not created", len(before))
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if after := schemaOf(t, st); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("a second migration changed the schema:\n%v\n%v", before, after)
	}
}

// TestCountsChangeBySQLExpression checks that AddToCount never reads the count
// to write it back: the statement itself adds to the stored value.
func TestCountsChangeBySQLExpression(t *testing.T) {
	st, _ := openTemp(t)
	var stmt string
	err := st.Write(context.Background(), func(tx *gorm.DB) error {
		err := tx.Callback().Create().After("gorm:create").Register("test:capture", func(db *gorm.DB) {
			stmt += db.Statement.SQL.String() + "\n"
		})
		if err != nil {
			return err
		}
		return store.AddToCount(tx.Session(&gorm.Session{DryRun: true}), 1, "DE", store.KindIndividual, true, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ON CONFLICT", "country_counts.count +", "country_counts.named +"} {
		if !strings.Contains(stmt, want) {
			t.Errorf("statement lacks %q: %s", want, stmt)
		}
	}
}

// TestConcurrentCountChangesAreNotLost adds to one count from many goroutines at
// once; a read-modify-write would lose some of them.
func TestConcurrentCountChangesAreNotLost(t *testing.T) {
	st, _ := openTemp(t)
	ctx := context.Background()
	letter := store.Letter{Slug: "l", Title: "L", Body: "b", Lang: "en", VersionHash: "v"}
	if err := st.Write(ctx, func(tx *gorm.DB) error { return store.UpsertLetter(tx, &letter) }); err != nil {
		t.Fatal(err)
	}
	const writers, each = 20, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				err := st.Write(ctx, func(tx *gorm.DB) error {
					return store.AddToCount(tx, letter.ID, "DE", store.KindIndividual, w%2 == 0, 1)
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	rows, err := store.CountsForLetter(st.Read(ctx), letter.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Count != writers*each || rows[0].Named != writers*each/2 {
		t.Errorf("counts = %+v, want one row with count %d, named %d", rows, writers*each, writers*each/2)
	}
	err = st.Write(ctx, func(tx *gorm.DB) error { return store.AddToCount(tx, letter.ID, "DE", store.KindIndividual, true, -1) })
	if err != nil {
		t.Fatal(err)
	}
	rows, _ = store.CountsForLetter(st.Read(ctx), letter.ID)
	if rows[0].Count != writers*each-1 || rows[0].Named != writers*each/2-1 {
		t.Errorf("after -1: %+v", rows[0])
	}
}

func TestReaderCannotWrite(t *testing.T) {
	st, _ := openTemp(t)
	err := st.Read(context.Background()).Exec("INSERT INTO letters (slug, title, body, lang, version_hash) VALUES ('x','x','x','en','v')").Error
	if err == nil {
		t.Error("the read pool accepted a write")
	}
}

// TestFailedQueriesAreLoggedWithoutValues makes a query fail with a signer's
// name in it and checks that the log names the failure but not the name.
func TestFailedQueriesAreLoggedWithoutValues(t *testing.T) {
	var logs strings.Builder
	st, err := store.Open(store.Options{Driver: "sqlite", DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	err = st.Write(context.Background(), func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO signatures (name) VALUES (?)", "Secret Signer Name").Error
	})
	if err == nil {
		t.Fatal("the broken insert succeeded")
	}
	if !strings.Contains(logs.String(), "query failed") || strings.Contains(logs.String(), "Secret Signer Name") {
		t.Errorf("log: %s", logs.String())
	}
}
