package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// quietLogger is GORM's logger for this app: it reports failed and slow
// queries by their error and duration, never by their SQL, because GORM
// writes the SQL with its values filled in, and those can be signers' names.
type quietLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func (q quietLogger) LogMode(logger.LogLevel) logger.Interface { return q }

func (q quietLogger) Info(ctx context.Context, msg string, _ ...any) {
	q.log.InfoContext(ctx, "store: "+msg)
}

func (q quietLogger) Warn(ctx context.Context, msg string, _ ...any) {
	q.log.WarnContext(ctx, "store: "+msg)
}

func (q quietLogger) Error(ctx context.Context, msg string, _ ...any) {
	q.log.ErrorContext(ctx, "store: "+msg)
}

func (q quietLogger) Trace(ctx context.Context, begin time.Time, _ func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, context.Canceled):
		q.log.ErrorContext(ctx, "store: query failed", "err", err, "duration", elapsed)
	case elapsed > q.slow:
		q.log.WarnContext(ctx, "store: slow query", "duration", elapsed)
	}
}
