package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
)

// installPostgres is the command that installs the PostgreSQL server binaries on Debian.
const installPostgres = "apt-get install -y postgresql"

// envPGStatStatements, when set, starts the PostgreSQL servers with pg_stat_statements
// loaded and counting nested statements too (the queries of foreign-key triggers), for
// benchmarks that report where a run's time went. Off by default: it costs every statement
// a little.
const envPGStatStatements = "TESTDB_PG_STAT_STATEMENTS"

type postgresFlavor struct{}

func (postgresFlavor) driver() string { return "pgx" }

func (postgresFlavor) stopSignal() syscall.Signal { return syscall.SIGINT } // fast shutdown

// postgresBinDir finds the newest installed PostgreSQL server (Debian keeps them under
// /usr/lib/postgresql/<major>/bin); PG_BINDIR overrides it.
func postgresBinDir() (string, error) {
	if dir := os.Getenv("PG_BINDIR"); dir != "" {
		return dir, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(matches, func(i, j int) bool { return pgMajor(matches[i]) > pgMajor(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, postgres) not found: install them with `%s` (or `make test-deps`)", installPostgres)
}

func pgMajor(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// asPostgresUser makes cmd run as the "postgres" system user when the tests run as root:
// initdb and postgres refuse to run as root.
func asPostgresUser(cmd *exec.Cmd, dir string) error {
	cmd.Dir = dir
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the postgres system user (created by `%s`): %w", installPostgres, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return nil
}

func chownToPostgres(paths ...string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the postgres system user (created by `%s`): %w", installPostgres, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, p := range paths {
		if err := os.Chown(p, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

func (postgresFlavor) initialise(s *Server) error {
	bin, err := postgresBinDir()
	if err != nil {
		return err
	}
	s.user = "postgres"
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return err
	}
	if err := chownToPostgres(s.dir, pwfile); err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"),
		"-D", filepath.Join(s.dir, "data"),
		"-U", s.user, "--pwfile="+pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256",
		"--no-locale", "--encoding=UTF8", "--no-sync")
	if err := asPostgresUser(cmd, s.dir); err != nil {
		return err
	}
	if err := run(cmd); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	return os.Remove(pwfile)
}

func (postgresFlavor) command(s *Server) *exec.Cmd {
	bin, _ := postgresBinDir()
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(s.port),
		"-k", s.dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=300",
		"-c", "shared_buffers=256MB",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "log_min_messages=warning")
	if os.Getenv(envPGStatStatements) != "" {
		cmd.Args = append(cmd.Args, "-c", "shared_preload_libraries=pg_stat_statements",
			"-c", "pg_stat_statements.track=all", "-c", "pg_stat_statements.track_planning=on")
	}
	_ = asPostgresUser(cmd, s.dir)
	return cmd
}

func (postgresFlavor) dsn(s *Server, name string) string {
	if name == "" {
		name = "postgres"
	}
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", s.user, s.password, s.port, name)
}

func (postgresFlavor) afterStart(*Server) error { return nil }

func (postgresFlavor) createDatabase(ctx context.Context, admin *sql.DB, name string) error {
	_, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`)
	return err
}

func (postgresFlavor) dropDatabase(ctx context.Context, admin *sql.DB, name string) error {
	_, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	if err != nil {
		return errors.Join(fmt.Errorf("dropping database %s", name), err)
	}
	return nil
}
