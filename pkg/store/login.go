package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrLoginAttemptsSpent is returned by ReserveLoginAttempt when a key already
// has its limit of attempts within the window.
var ErrLoginAttemptsSpent = errors.New("store: login attempts spent")

// LoginLimit is how many staff login attempts each key may make: at most Max
// within Window before At. The staff service's keys are the account and the
// client's network, so a login counts under both.
type LoginLimit struct {
	Keys   []string
	At     time.Time
	Window time.Duration
	Max    int
}

// since is when the window of l begins; attempts at or before it are spent.
func (l LoginLimit) since() time.Time { return l.At.Add(-l.Window) }

// LoginAttemptsSpent reports whether a key of l has spent its attempts,
// from a read: the staff service asks it first, so a locked-out flood is
// refused without a write. ReserveLoginAttempt decides for certain.
func (s *Store) LoginAttemptsSpent(ctx context.Context, l LoginLimit) (bool, error) {
	spent, err := loginAttemptsSpent(s.Read(ctx), l)
	if err != nil {
		return false, fmt.Errorf("store: count login attempts of %v: %w", l.Keys, err)
	}
	return spent, nil
}

// ReserveLoginAttempt records an attempt under every key of l before its
// password is checked, and returns the rows' ids; a login that succeeds
// deletes them again (ReleaseLoginAttempt), a failed one leaves them as its
// record. When a key has spent its attempts it records nothing and returns
// ErrLoginAttemptsSpent. Counting and recording are one transaction that no
// other reservation runs beside: on SQLite every write goes through the one
// writer in turn; on PostgreSQL the transaction first locks login_failures
// against other reservations (SHARE ROW EXCLUSIVE conflicts with itself),
// which serves every server sharing the database. Attempts older than the
// window are deleted as it goes.
func (s *Store) ReserveLoginAttempt(ctx context.Context, l LoginLimit) ([]uint64, error) {
	var ids []uint64
	err := s.Write(ctx, func(tx *gorm.DB) error {
		if s.Driver == "postgres" {
			if err := tx.Exec("LOCK TABLE login_failures IN SHARE ROW EXCLUSIVE MODE").Error; err != nil {
				return err
			}
		}
		if err := tx.Where("at <= ?", l.since()).Delete(&LoginFailure{}).Error; err != nil {
			return err
		}
		spent, err := loginAttemptsSpent(tx, l)
		if err != nil {
			return err
		}
		if spent {
			return ErrLoginAttemptsSpent
		}
		rows := make([]LoginFailure, len(l.Keys))
		for i, key := range l.Keys {
			rows[i] = LoginFailure{Key: key, At: l.At}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		ids = make([]uint64, len(rows))
		for i, row := range rows {
			ids[i] = row.ID
		}
		return nil
	})
	if errors.Is(err, ErrLoginAttemptsSpent) {
		return nil, ErrLoginAttemptsSpent
	}
	if err != nil {
		return nil, fmt.Errorf("store: reserve a login attempt for %v: %w", l.Keys, err)
	}
	return ids, nil
}

// ReleaseLoginAttempt deletes the rows of a reserved attempt that no longer
// counts: the login succeeded, or its password was never checked.
func ReleaseLoginAttempt(tx *gorm.DB, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := tx.Delete(&LoginFailure{}, ids).Error; err != nil {
		return fmt.Errorf("store: release login attempt %v: %w", ids, err)
	}
	return nil
}

// loginAttemptsSpent reports whether any key of l has Max attempts or more
// within the window, in one query.
func loginAttemptsSpent(tx *gorm.DB, l LoginLimit) (bool, error) {
	var spent []string
	err := tx.Model(&LoginFailure{}).Where("key IN ? AND at > ?", l.Keys, l.since()).
		Group("key").Having("COUNT(*) >= ?", l.Max).Pluck("key", &spent).Error
	return len(spent) > 0, err
}
