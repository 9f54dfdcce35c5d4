// Package gctune sets the Go garbage collector for what trailwatch is: a short-lived process that is CPU-bound on
// building, signing and parsing tens of thousands of API calls (docs/performance.md), whose live data is small (about
// 2.6 KB per finding). The default GOGC=100 collects whenever the heap doubles, which at that allocation rate is
// about a tenth of the CPU; GOGC=400 lets the heap grow to five times the live data before collecting. In a container
// the GC is also given a soft memory limit below the cgroup's hard limit, so that it collects harder instead of the
// process being killed. A user's GOGC or GOMEMLIMIT always wins.
package gctune

import (
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// Percent is the GOGC trailwatch runs with when the user sets none.
const Percent = 400

// limitShare is the part of a container's memory limit given to the Go heap as a soft limit; the rest covers stacks,
// the runtime's own memory and what is not yet returned to the OS.
const limitShare = 0.85

// Settings are what Apply decided.
type Settings struct {
	// Percent is the GC percent set, or -1 when GOGC was left to the user.
	Percent int
	// Limit is the soft memory limit set in bytes, or 0 when none was set (no container limit, or GOMEMLIMIT given).
	Limit int64
}

// Decide works out the settings from the environment and the cgroup files (v2 memory.max, v1
// memory.limit_in_bytes), without applying them.
func Decide(getenv func(string) string, readFile func(string) ([]byte, error)) Settings {
	s := Settings{Percent: -1}
	if getenv("GOGC") == "" {
		s.Percent = Percent
	}
	if getenv("GOMEMLIMIT") == "" {
		s.Limit = cgroupLimit(readFile)
	}
	return s
}

// Apply applies the settings Decide returns and reports them.
func Apply(getenv func(string) string, readFile func(string) ([]byte, error)) Settings {
	s := Decide(getenv, readFile)
	if s.Percent > 0 {
		debug.SetGCPercent(s.Percent)
	}
	if s.Limit > 0 {
		debug.SetMemoryLimit(s.Limit)
	}
	return s
}

// cgroupLimit returns limitShare of the container's memory limit, or 0 when there is none (or it cannot be read).
func cgroupLimit(readFile func(string) ([]byte, error)) int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := readFile(path)
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(data))
		if v == "max" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		// cgroup v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages), anything above 1 PiB is that.
		if err != nil || n <= 0 || n >= 1<<50 {
			return 0
		}
		return int64(math.Floor(float64(n) * limitShare))
	}
	return 0
}

// Cap lowers the soft memory limit to limit bytes for work whose live data is bounded but whose garbage is not
// (evaluating infrastructure as code: parsing a 10 MB file allocates over a gigabyte that is dead at once), so that
// with GOGC=400 the heap is collected before it grows past it. It never raises a limit, and a user's GOMEMLIMIT
// wins. It returns the limit in force.
func Cap(getenv func(string) string, limit int64) int64 {
	cur := debug.SetMemoryLimit(-1)
	if getenv("GOMEMLIMIT") != "" || cur <= limit {
		return cur
	}
	debug.SetMemoryLimit(limit)
	return limit
}
