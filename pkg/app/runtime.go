package app

import (
	"log/slog"
	"math"
	"runtime/debug"
	"strings"

	"github.com/undersigned/undersigned/pkg/config"
)

// TuneCollector sets the garbage collector as cfg says, except for what the
// GOGC and GOMEMLIMIT variables in environ set: the runtime has applied those
// already, and an operator's variable wins over the file. It logs what is in
// effect.
func TuneCollector(cfg config.Runtime, environ []string, log *slog.Logger) {
	if !hasVariable(environ, "GOGC") {
		debug.SetGCPercent(cfg.GCPercent)
	}
	if !hasVariable(environ, "GOMEMLIMIT") && cfg.MemoryLimitMiB > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimitMiB << 20)
	}
	gcPercent, limit := collectorSettings()
	log.Info("garbage collector", "gc_percent", gcPercent, "memory_limit_mib", limit>>20)
}

// collectorSettings reports the collector's GOGC and memory limit (0 for
// none) without changing them.
func collectorSettings() (gcPercent int, memoryLimit int64) {
	gcPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)
	if memoryLimit = debug.SetMemoryLimit(-1); memoryLimit == math.MaxInt64 {
		memoryLimit = 0
	}
	return gcPercent, memoryLimit
}

func hasVariable(environ []string, name string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}
