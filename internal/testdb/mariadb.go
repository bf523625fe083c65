package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// installMariaDB is the command that installs the MariaDB server binaries on Debian.
const installMariaDB = "apt-get install -y mariadb-server"

type mariadbFlavor struct {
	// statementLogs makes the server write its general query log and binary log in its
	// directory (general.log, binlog.*), for tests that check what reaches them.
	statementLogs bool
}

func (mariadbFlavor) driver() string { return "mysql" }

func (mariadbFlavor) stopSignal() syscall.Signal { return syscall.SIGTERM }

func mariadbBinaries() (install, server string, err error) {
	install, err1 := exec.LookPath("mariadb-install-db")
	server, err2 := exec.LookPath("mariadbd")
	if err2 != nil {
		if p, err := exec.LookPath("/usr/sbin/mariadbd"); err == nil {
			server, err2 = p, nil
		}
	}
	if err1 != nil || err2 != nil {
		return "", "", fmt.Errorf("MariaDB server binaries (mariadb-install-db, mariadbd) not found: install them with `%s` (or `make test-deps`)", installMariaDB)
	}
	return install, server, nil
}

func (mariadbFlavor) initialise(s *Server) error {
	install, _, err := mariadbBinaries()
	if err != nil {
		return err
	}
	s.user = "admin"
	cmd := exec.Command(install,
		"--no-defaults", "--user=root", "--auth-root-authentication-method=normal",
		"--skip-test-db", "--datadir="+filepath.Join(s.dir, "data"))
	cmd.Dir = s.dir
	if err := run(cmd); err != nil {
		return fmt.Errorf("mariadb-install-db: %w", err)
	}
	// The init file runs at every start: it creates the administrative account the tests use.
	initSQL := fmt.Sprintf("CREATE USER IF NOT EXISTS 'admin'@'%%' IDENTIFIED BY '%s';\n"+
		"GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%%' WITH GRANT OPTION;\n", s.password)
	return os.WriteFile(filepath.Join(s.dir, "init.sql"), []byte(initSQL), 0o600)
}

// StartMariaDBWithStatementLogs starts a MariaDB server for this test alone that writes
// every statement to its general query log and its binary log, in its directory
// (GeneralLogPath, BinaryLogPaths). It is removed when the test ends.
func StartMariaDBWithStatementLogs(t testing.TB) *Server {
	t.Helper()
	s, err := startServerFlavor(EngineMySQL, mariadbFlavor{statementLogs: true})
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(s.destroy)
	return s
}

// GeneralLogPath is the general query log of a server started by
// StartMariaDBWithStatementLogs.
func (s *Server) GeneralLogPath() string { return filepath.Join(s.dir, "general.log") }

// BinaryLogPaths lists the binary log files of a server started by
// StartMariaDBWithStatementLogs.
func (s *Server) BinaryLogPaths() []string {
	paths, _ := filepath.Glob(filepath.Join(s.dir, "binlog.[0-9]*"))
	return paths
}

func (f mariadbFlavor) command(s *Server) *exec.Cmd {
	_, server, _ := mariadbBinaries()
	args := []string{
		"--no-defaults", "--user=root",
		"--datadir=" + filepath.Join(s.dir, "data"),
		"--port=" + strconv.Itoa(s.port),
		"--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(s.dir, "mysqld.sock"),
		// A temporary directory of its own: in the shared /tmp, another test's cleanup can
		// remove the server's internal temporary tables under it.
		"--tmpdir=" + mariadbTmpDir(s),
		"--pid-file=" + filepath.Join(s.dir, "mysqld.pid"),
		"--init-file=" + filepath.Join(s.dir, "init.sql"),
		"--skip-name-resolve",
		"--max-connections=500",
		"--innodb-buffer-pool-size=256M",
		"--innodb-flush-log-at-trx-commit=2",
		"--character-set-server=utf8mb4"}
	if f.statementLogs {
		args = append(args,
			"--general-log=1", "--log-output=FILE", "--general-log-file="+s.GeneralLogPath(),
			"--log-bin="+filepath.Join(s.dir, "binlog"), "--server-id=1", "--binlog-format=MIXED")
	}
	cmd := exec.Command(server, args...)
	cmd.Dir = s.dir
	return cmd
}

// mariadbTmpDir returns the server's own temporary directory, creating it.
func mariadbTmpDir(s *Server) string {
	dir := filepath.Join(s.dir, "tmp")
	_ = os.MkdirAll(dir, 0o700)
	return dir
}

func (mariadbFlavor) dsn(s *Server, name string) string {
	return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/%s?parseTime=true&loc=UTC", s.user, s.password, s.port, name)
}

func (mariadbFlavor) afterStart(*Server) error { return nil }

func (mariadbFlavor) createDatabase(ctx context.Context, admin *sql.DB, name string) error {
	_, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4")
	return err
}

func (mariadbFlavor) dropDatabase(ctx context.Context, admin *sql.DB, name string) error {
	_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
	return err
}
