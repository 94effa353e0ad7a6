package main

import (
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// meter measures a phase from its start: the time it takes, the CPU time
// this process uses, and the share of the machine's CPU time the hypervisor
// gives to its other guests (steal), which on a shared machine explains
// slow phases the code does not.
type meter struct {
	start   time.Time
	cpu     time.Duration
	machine procfs.CPUStat // zero where /proc/stat cannot be read
}

// reading is what a meter measured up to the moment it was read.
type reading struct {
	elapsed, cpu time.Duration
	stolen       float64 // of the machine's CPU time, 0 to 1
}

// startMeter starts measuring.
func startMeter() meter {
	return meter{start: time.Now(), cpu: cpuTime(), machine: machineCPU()}
}

// read is what m measured so far.
func (m meter) read() reading {
	r := reading{elapsed: time.Since(m.start), cpu: cpuTime() - m.cpu}
	now := machineCPU()
	if all := busyAndIdle(now) - busyAndIdle(m.machine); all > 0 {
		r.stolen = (now.Steal - m.machine.Steal) / all
	}
	return r
}

// cpuTime is the CPU time, user and system, this process has used so far.
// Per request it is steadier than throughput on a shared machine, whose
// other tenants take wall-clock time but not this process's CPU.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// machineCPU is the time all the machine's CPUs have spent in each state
// since it booted, or zero where that cannot be read.
func machineCPU() procfs.CPUStat {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return procfs.CPUStat{}
	}
	stat, err := fs.Stat()
	if err != nil {
		return procfs.CPUStat{}
	}
	return stat.CPUTotal
}

// busyAndIdle is all of c's CPU time (guests' time is counted in user's).
func busyAndIdle(c procfs.CPUStat) float64 {
	return c.User + c.Nice + c.System + c.Idle + c.Iowait + c.IRQ + c.SoftIRQ + c.Steal
}
