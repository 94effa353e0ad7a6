package webtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/undersigned/undersigned/pkg/store"
)

// PostgresEnv names the variable that, when set, runs the suite on
// PostgreSQL: a key=value connection string without dbname, e.g.
// "host=127.0.0.1 port=5432 user=postgres sslmode=disable".
const PostgresEnv = "UNDERSIGNED_TEST_POSTGRES_DSN"

// PostgresDatabase creates a fresh database for one test when PostgresEnv is
// set, drops it when the test ends, and returns its connection string; it
// returns "" when the suite runs on SQLite.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		return ""
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	dsn, drop, err := store.CreatePostgresDatabase(base, "undersigned_test_"+hex.EncodeToString(b))
	if err != nil {
		t.Fatalf("webtest: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("webtest: %v", err)
		}
	})
	return dsn
}
