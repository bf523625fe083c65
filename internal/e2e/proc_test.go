package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What the fault tests need to know about processes and their TCP sockets, read from
// Linux's /proc: which process listens on a port, and how many connections a process has
// open to a port.

// tcpSocket is one line of /proc/net/tcp or /proc/net/tcp6.
type tcpSocket struct {
	localPort, remotePort int
	listening             bool
	inode                 string
}

// tcpSockets lists the TCP sockets of the machine's network namespace.
func tcpSockets(t *testing.T) []tcpSocket {
	t.Helper()
	var out []tcpSocket
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Fatalf("reading the TCP sockets: %v", err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 {
				continue
			}
			out = append(out, tcpSocket{localPort: hexPort(fields[1]), remotePort: hexPort(fields[2]),
				listening: fields[3] == "0A", inode: fields[9]})
		}
		_ = f.Close()
	}
	return out
}

func hexPort(addr string) int {
	_, port, _ := strings.Cut(addr, ":")
	n, _ := strconv.ParseInt(port, 16, 32)
	return int(n)
}

// socketInodes returns the inodes of the sockets process pid has open.
func socketInodes(pid int) map[string]bool {
	inodes := map[string]bool{}
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	for _, fd := range fds {
		target, err := os.Readlink(fd)
		if err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	return inodes
}

// connectionsTo counts the TCP connections process pid has open to port on this machine.
func connectionsTo(t *testing.T, pid, port int) int {
	t.Helper()
	inodes := socketInodes(pid)
	n := 0
	for _, s := range tcpSockets(t) {
		if !s.listening && s.remotePort == port && inodes[s.inode] {
			n++
		}
	}
	return n
}

// listenerPID returns the process listening on TCP port, whose command name must be comm.
func listenerPID(t *testing.T, port int, comm string) int {
	t.Helper()
	listeners := map[string]bool{}
	for _, s := range tcpSockets(t) {
		if s.listening && s.localPort == port {
			listeners[s.inode] = true
		}
	}
	if len(listeners) == 0 {
		t.Fatalf("nothing listens on port %d", port)
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		for inode := range socketInodes(pid) {
			if !listeners[inode] {
				continue
			}
			name, _ := os.ReadFile(filepath.Join(dir, "comm"))
			if got := strings.TrimSpace(string(name)); got != comm {
				t.Fatalf("port %d is served by process %d %q, not %s", port, pid, got, comm)
			}
			return pid
		}
	}
	t.Fatalf("no process found for the listener on port %d", port)
	return 0
}

// processGone says whether process pid has exited (and was reaped, or is a zombie).
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) state ...: the state follows the last ")".
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// terminate sends SIGTERM to pid, and SIGKILL if it has not exited within grace, as the
// kubelet does to a container. It returns once the process is gone, and whether it had to
// be killed.
func terminate(t *testing.T, pid int, grace time.Duration) (killed bool) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("signalling process %d: %v", pid, err)
	}
	if waitGone(pid, grace) {
		return false
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if !waitGone(pid, time.Minute) {
		t.Fatalf("process %d did not exit after SIGKILL", pid)
	}
	return true
}

func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
