package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// openEither opens a fresh PostgreSQL database when the suite runs on one,
// a temporary SQLite file otherwise.
func openEither(t *testing.T) *store.Store {
	t.Helper()
	if dsn := webtest.PostgresDatabase(t); dsn != "" {
		return openMigrated(t, store.Options{Driver: "postgres", DSN: dsn})
	}
	st, _ := openTemp(t)
	return st
}

func TestConcurrentLoginAttemptsReserveNoMoreThanTheLimit(t *testing.T) {
	st := openEither(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	limit := store.LoginLimit{Keys: []string{"account:a@campaign.example", "ip:192.0.2.1"}, At: now, Window: 15 * time.Minute, Max: 10}
	var mu sync.Mutex
	var reserved [][]uint64
	spent := 0
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			ids, err := st.ReserveLoginAttempt(ctx, limit)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, store.ErrLoginAttemptsSpent):
				spent++
			case err != nil:
				t.Error(err)
			default:
				reserved = append(reserved, ids)
			}
		})
	}
	wg.Wait()
	if len(reserved) != 10 || spent != 30 {
		t.Fatalf("%d reserved and %d refused of 40 at once, want 10 and 30", len(reserved), spent)
	}
	if full, err := st.LoginAttemptsSpent(ctx, limit); err != nil || !full {
		t.Errorf("LoginAttemptsSpent = %v, %v after 10 reservations, want true", full, err)
	}

	// A released attempt (a login that succeeded) frees its place; so does time.
	err := st.Write(ctx, func(tx *gorm.DB) error { return store.ReleaseLoginAttempt(tx, reserved[0]) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReserveLoginAttempt(ctx, limit); err != nil {
		t.Errorf("after a release: %v, want a reservation", err)
	}
	other := limit
	other.Keys = []string{"account:b@campaign.example", "ip:192.0.2.1"}
	if _, err := st.ReserveLoginAttempt(ctx, other); !errors.Is(err, store.ErrLoginAttemptsSpent) {
		t.Errorf("another account from the same address: %v, want ErrLoginAttemptsSpent", err)
	}
	later := limit
	later.At = now.Add(limit.Window)
	if _, err := st.ReserveLoginAttempt(ctx, later); err != nil {
		t.Errorf("a window later: %v, want a reservation", err)
	}
}
