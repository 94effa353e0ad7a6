package webtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
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
	admin, err := gorm.Open(postgres.Open(base+" dbname=postgres"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("webtest: connect to PostgreSQL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "undersigned_test_" + hex.EncodeToString(b)
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("webtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)").Error; err != nil {
			t.Errorf("webtest: drop %s: %v", name, err)
		}
		if db, err := admin.DB(); err == nil {
			_ = db.Close()
		}
	})
	return base + " dbname=" + name
}
