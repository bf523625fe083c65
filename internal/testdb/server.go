package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 60 * time.Second

// Server is a throwaway database server running on 127.0.0.1.
type Server struct {
	engine   string
	dir      string // temporary directory: data, socket, logs
	port     int
	user     string
	password string
	flavor   flavor

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	watchdog *exec.Cmd
	admin    *sql.DB
}

// flavor holds what differs between PostgreSQL and MariaDB.
type flavor interface {
	// initialise creates the data directory and the administrative account.
	initialise(s *Server) error
	// command returns the server process to run.
	command(s *Server) *exec.Cmd
	// dsn returns a driver DSN for database name (empty for the default one).
	dsn(s *Server, name string) string
	driver() string
	// afterStart runs once the server accepts connections the first time.
	afterStart(s *Server) error
	createDatabase(ctx context.Context, admin *sql.DB, name string) error
	dropDatabase(ctx context.Context, admin *sql.DB, name string) error
	// stopSignal asks the server for a fast, clean shutdown.
	stopSignal() syscall.Signal
}

// Engine is "postgres" or "mysql".
func (s *Server) Engine() string { return s.engine }

// Port is the TCP port on 127.0.0.1; it stays the same across Stop and Start.
func (s *Server) Port() int { return s.port }

// Dir is the server's temporary directory (data directory and logs).
func (s *Server) Dir() string { return s.dir }

// LogPath is the file the server writes its log (stdout and stderr) to, for tests that
// check what reaches the server log.
func (s *Server) LogPath() string { return filepath.Join(s.dir, "server.log") }

// AdminDSN is a DSN for the administrative account on the server's default database.
func (s *Server) AdminDSN() string { return s.flavor.dsn(s, "") }

func startServer(engine string) (*Server, error) {
	var f flavor
	switch engine {
	case EnginePostgres:
		f = postgresFlavor{}
	case EngineMySQL:
		f = mariadbFlavor{}
	default:
		return nil, fmt.Errorf("unknown engine %q", engine)
	}
	return startServerFlavor(engine, f)
}

// startServerFlavor starts a server of engine with the given flavor.
func startServerFlavor(engine string, f flavor) (*Server, error) {
	dir, err := os.MkdirTemp("", "crmtest-"+engine+"-")
	if err != nil {
		return nil, fmt.Errorf("creating the %s directory: %w", engine, err)
	}
	s := &Server{engine: engine, dir: dir, flavor: f, password: randomName("pw")}
	register(s)
	if err := s.startWatchdog(); err != nil {
		s.destroy()
		return nil, err
	}
	if err := f.initialise(s); err != nil {
		s.destroy()
		return nil, err
	}
	if err := s.startOnFreePort(); err != nil {
		s.destroy()
		return nil, err
	}
	if err := f.afterStart(s); err != nil {
		s.destroy()
		return nil, err
	}
	return s, nil
}

// startOnFreePort picks a free port and starts the server, trying again if another process
// took the port in between.
func (s *Server) startOnFreePort() error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if s.port, err = freePort(); err != nil {
			return err
		}
		if err = s.start(); err == nil {
			return nil
		}
	}
	return err
}

// Start starts a stopped server again, on the same port and data directory.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("testdb: restarting %s: %v", s.engine, err)
	}
}

// Stop shuts the server down cleanly; connections to it fail until Start.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatalf("testdb: stopping %s: %v", s.engine, err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("server is already running")
	}
	cmd := s.flavor.command(s)
	logFile, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening the server log: %w", err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// Own process group: a Ctrl-C sent to the test's group does not tear the server down
	// half-way; the test binary or the watchdog stops it.
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	if err := s.waitReady(exited); err != nil {
		s.killLocked()
		return fmt.Errorf("%w\n%s", err, s.logTail())
	}
	return nil
}

func (s *Server) waitReady(exited <-chan struct{}) error {
	db, err := sql.Open(s.flavor.driver(), s.flavor.dsn(s, ""))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited while starting", s.engine)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %s: %w", s.engine, startTimeout, err)
		}
	}
}

func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin != nil {
		_ = s.admin.Close()
		s.admin = nil
	}
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(s.flavor.stopSignal())
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.killLocked()
		return errors.New("server did not stop within 30s; killed")
	}
	s.cmd = nil
	return nil
}

func (s *Server) killLocked() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// destroy stops the server and removes its directory.
func (s *Server) destroy() {
	if err := s.stop(); err != nil {
		s.mu.Lock()
		s.killLocked()
		s.mu.Unlock()
	}
	_ = os.RemoveAll(s.dir)
	if s.watchdog != nil && s.watchdog.Process != nil {
		_ = s.watchdog.Process.Kill()
		_ = s.watchdog.Wait()
		s.watchdog = nil
	}
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "server log (last lines):\n" + strings.Join(lines, "\n")
}

// adminDB returns a pooled connection to the server's default database.
func (s *Server) adminDB() (*sql.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin != nil {
		return s.admin, nil
	}
	db, err := sql.Open(s.flavor.driver(), s.flavor.dsn(s, ""))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	s.admin = db
	return db, nil
}

// NewDatabase creates a fresh, empty database on the server, dropped when the test ends
// (if the server is running then).
func (s *Server) NewDatabase(t testing.TB) *Database {
	t.Helper()
	name := randomName("t_")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := s.adminDB()
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	if err := s.flavor.createDatabase(ctx, admin, name); err != nil {
		t.Fatalf("testdb: creating database on %s: %v", s.engine, err)
	}
	t.Cleanup(func() { s.dropDatabase(name) })
	return &Database{
		Engine:   s.engine,
		Driver:   s.flavor.driver(),
		Host:     "127.0.0.1",
		Port:     s.port,
		User:     s.user,
		Password: s.password,
		Name:     name,
		DSN:      s.flavor.dsn(s, name),
		server:   s,
	}
}

func (s *Server) dropDatabase(name string) {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if !running {
		return
	}
	admin, err := s.adminDB()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.flavor.dropDatabase(ctx, admin, name)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// watchdogScript kills whatever still runs from the server's directory and removes it once
// the test binary is gone. It ignores the signals a terminal sends to the test's process
// group and runs in a session of its own, so it outlives a killed test binary. The directory
// and parent are passed in the environment, so that pkill -f does not match the watchdog.
const watchdogScript = `trap '' INT TERM HUP
while kill -0 "$CRMTEST_PARENT" 2>/dev/null; do sleep 0.5; done
pkill -KILL -f -- "$CRMTEST_DIR/" 2>/dev/null
sleep 0.5
pkill -KILL -f -- "$CRMTEST_DIR/" 2>/dev/null
rm -rf -- "$CRMTEST_DIR"
`

func (s *Server) startWatchdog() error {
	cmd := exec.Command("/bin/sh", "-c", watchdogScript)
	cmd.Env = append(os.Environ(), fmt.Sprintf("CRMTEST_PARENT=%d", os.Getpid()), "CRMTEST_DIR="+s.dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the cleanup watchdog: %w", err)
	}
	s.watchdog = cmd
	return nil
}

// run runs a setup command and returns its output in the error when it fails.
func run(cmd *exec.Cmd) error {
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}
