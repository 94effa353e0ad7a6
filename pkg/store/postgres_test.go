package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestPostgresKeepsItsConnectionsUnderLoad signs 64 signers at once on
// PostgreSQL: the pool opens no more than its bound, and keeps the
// connections it opened for the next requests rather than closing all but
// two and opening (forking) new ones, as database/sql's default does.
func TestPostgresKeepsItsConnectionsUnderLoad(t *testing.T) {
	dsn := webtest.PostgresDatabase(t)
	if dsn == "" {
		t.Skip("needs " + webtest.PostgresEnv)
	}
	st := openMigrated(t, store.Options{Driver: "postgres", DSN: dsn})
	ctx := context.Background()
	letter := &store.Letter{Slug: "l", Title: "L", Body: "b", Lang: "en", VersionHash: "v"}
	if err := st.Write(ctx, func(tx *gorm.DB) error { return store.UpsertLetter(tx, letter) }); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	const signers = 64
	var wg sync.WaitGroup
	errs := make(chan error, signers)
	for i := range signers {
		wg.Go(func() {
			sig := &store.Signature{LetterID: letter.ID, Kind: store.KindIndividual, Name: "Signer", Country: "DE",
				EmailHash: fmt.Sprintf("signer-%d", i), Status: store.StatusUnconfirmed, TokenHash: fmt.Sprintf("token-%d", i),
				Locale: "en", LetterVersion: "v", ConsentVersion: "1"}
			if _, err := st.InsertSignatureWithMail(ctx, sig, store.MailConfirm, now, nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	pool, err := st.Read(ctx).DB()
	if err != nil {
		t.Fatal(err)
	}
	stats := pool.Stats()
	if stats.MaxOpenConnections == 0 || stats.OpenConnections > stats.MaxOpenConnections {
		t.Errorf("%d connections open, at most %d allowed", stats.OpenConnections, stats.MaxOpenConnections)
	}
	if stats.MaxIdleClosed > 0 {
		t.Errorf("%d connections closed for want of room among the idle ones", stats.MaxIdleClosed)
	}
}
