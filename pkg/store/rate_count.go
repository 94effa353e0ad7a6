package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// RateCount is one fixed window of a rate counter: how many events Key had
// from WindowStart for Period. Servers sharing a PostgreSQL database count
// the rate limits of the public forms here, so that together they allow
// what one would. The table exists on PostgreSQL only, unlogged: a crash
// forgets the counts, which errs on the side of letting people sign, and
// the counting writes no WAL.
type RateCount struct {
	Key         string        `gorm:"size:64;primaryKey"`
	Period      time.Duration `gorm:"primaryKey;autoIncrement:false"`
	WindowStart time.Time     `gorm:"primaryKey"`
	ExpiresAt   time.Time     `gorm:"not null"`
	Count       int64         `gorm:"not null"`
}

// RateWindow names the window of a key's counter that an event falls in:
// the one of Period beginning at Start.
type RateWindow struct {
	Key    string
	Start  time.Time
	Period time.Duration
}

// CountRateEvent adds one event to each of windows, which must have
// different periods, and returns each window's count with it, in the order
// of windows. It is one statement in one round trip: the rows it adds to
// stay locked until it ends, so events counted at once, by one server or
// several, each get a count of their own. Only PostgreSQL has the table.
func (s *Store) CountRateEvent(ctx context.Context, windows []RateWindow) ([]int64, error) {
	values := make([]string, len(windows))
	args := make([]any, 0, 4*len(windows))
	for i, w := range windows {
		values[i] = "(?, ?, ?, ?, 1)"
		args = append(args, w.Key, int64(w.Period), w.Start.UTC(), w.Start.Add(w.Period).UTC())
	}
	var rows []RateCount
	err := s.writer.WithContext(ctx).Raw("INSERT INTO rate_counts (key, period, window_start, expires_at, count) VALUES "+
		strings.Join(values, ", ")+" ON CONFLICT (key, period, window_start) DO UPDATE SET count = rate_counts.count + 1 "+
		"RETURNING period, count", args...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: count a rate event of %d windows: %w", len(windows), err)
	}
	return countsByPeriod(windows, rows)
}

// countsByPeriod puts the counts RETURNING gave back in the order of windows.
func countsByPeriod(windows []RateWindow, rows []RateCount) ([]int64, error) {
	counts := make([]int64, len(windows))
	for i, w := range windows {
		found := false
		for _, r := range rows {
			if r.Period == w.Period {
				counts[i], found = r.Count, true
			}
		}
		if !found {
			return nil, fmt.Errorf("store: no count returned for the window of %s", w.Period)
		}
	}
	return counts, nil
}

// UncountRateEvent takes back the event CountRateEvent added to windows,
// for an event that a limit refused. It changes one window per statement,
// so that it never holds one row while it waits for another that a
// CountRateEvent holds.
func (s *Store) UncountRateEvent(ctx context.Context, windows []RateWindow) error {
	for _, w := range windows {
		err := s.writer.WithContext(ctx).Exec("UPDATE rate_counts SET count = count - 1 WHERE key = ? AND period = ? AND window_start = ?",
			w.Key, int64(w.Period), w.Start.UTC()).Error
		if err != nil {
			return fmt.Errorf("store: uncount a rate event in the window of %s from %s: %w", w.Period, w.Start, err)
		}
	}
	return nil
}

// PruneRateCounts deletes the windows that ended at or before now and
// returns how many.
func (s *Store) PruneRateCounts(ctx context.Context, now time.Time) (int64, error) {
	res := s.writer.WithContext(ctx).Where("expires_at <= ?", now.UTC()).Delete(&RateCount{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune rate counts ended by %s: %w", now, res.Error)
	}
	return res.RowsAffected, nil
}

// rateCounts adds the table of rate counts on PostgreSQL, unlogged; SQLite,
// which one server alone uses, counts in memory and has no such table. The
// table as it is at this step, written out: a step must not follow later
// changes to the model.
func rateCounts(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	return tx.Exec(`CREATE UNLOGGED TABLE IF NOT EXISTS rate_counts (
		key varchar(64) NOT NULL,
		period bigint NOT NULL,
		window_start timestamptz NOT NULL,
		expires_at timestamptz NOT NULL,
		count bigint NOT NULL,
		PRIMARY KEY (key, period, window_start))`).Error
}
