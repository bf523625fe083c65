package testdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of the times in /proc/<pid>/stat: 100 on every
// architecture Go supports there.
const clockTicks = 100

// CPUTime returns the processor time (user and system) the server has used since it last
// started: its own process's, the children it has reaped (PostgreSQL's ended backends) and
// the children still running (PostgreSQL's backends and background workers). A benchmark
// takes it before and after a timed step to see how much work the server did, which
// varies far less between runs than the elapsed time on a shared machine. Linux only.
func (s *Server) CPUTime() (time.Duration, error) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return 0, errors.New("the server is not running")
	}
	pid := cmd.Process.Pid
	st, err := readProcStat(pid)
	if err != nil {
		return 0, err
	}
	ticks := st.own + st.reaped
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		cs, err := readProcStat(child)
		if err != nil || cs.ppid != pid {
			continue // gone meanwhile, or not the server's
		}
		ticks += cs.own + cs.reaped
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// ProcessCPUTime is the processor time (user and system) the calling process has used: the
// Go side of a benchmark, and the whole of an embedded SQLite.
func ProcessCPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// procStat is what CPUTime reads of /proc/<pid>/stat, times in clock ticks.
type procStat struct {
	ppid   int
	own    int64 // utime + stime
	reaped int64 // cutime + cstime
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: fields are counted
	// from the last ")". After it come state (field 3), ppid (4) … utime (14), stime (15),
	// cutime (16), cstime (17).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields after the command name", pid, len(f))
	}
	var n [5]int64
	for j, k := range []int{1, 11, 12, 13, 14} {
		if n[j], err = strconv.ParseInt(f[k], 10, 64); err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: field %d: %w", pid, k+3, err)
		}
	}
	return procStat{ppid: int(n[0]), own: n[1] + n[2], reaped: n[3] + n[4]}, nil
}
