package app

import (
	"log/slog"
	"math"
	"runtime/debug"
	"runtime/metrics"
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

// collectorSettings reads the collector's GOGC and memory limit (0 for none).
func collectorSettings() (gcPercent int, memoryLimit int64) {
	samples := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(samples)
	gcPercent, memoryLimit = int(samples[0].Value.Uint64()), int64(samples[1].Value.Uint64())
	if memoryLimit == math.MaxInt64 {
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
