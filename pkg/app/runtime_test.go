package app

import (
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"

	"github.com/undersigned/undersigned/pkg/config"
)

func TestTuneCollectorLetsTheEnvironmentWin(t *testing.T) {
	gcPercent, limit := collectorSettings()
	t.Cleanup(func() {
		debug.SetGCPercent(gcPercent)
		if limit == 0 {
			limit = math.MaxInt64
		}
		debug.SetMemoryLimit(limit)
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)

	TuneCollector(config.Runtime{GCPercent: 250, MemoryLimitMiB: 300}, []string{"HOME=/x"}, log)
	if got, gotLimit := collectorSettings(); got != 250 || gotLimit != 300<<20 {
		t.Errorf("from the file: gc %d, limit %d; want 250, %d", got, gotLimit, 300<<20)
	}

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	TuneCollector(config.Runtime{GCPercent: 250, MemoryLimitMiB: 300}, []string{"GOGC=100", "GOMEMLIMIT=off"}, log)
	if got, gotLimit := collectorSettings(); got != 100 || gotLimit != 0 {
		t.Errorf("with GOGC and GOMEMLIMIT set: gc %d, limit %d; want them untouched (100, none)", got, gotLimit)
	}
}
