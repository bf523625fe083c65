package testdb_test

import (
	"context"
	"database/sql"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// roundTrip writes a row and reads it back, proving the database is real and writable.
func roundTrip(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE probe (id INTEGER PRIMARY KEY, v VARCHAR(20))"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO probe (id, v) VALUES (1, 'ok')"); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM probe WHERE id = 1").Scan(&v); err != nil {
		t.Fatalf("select: %v", err)
	}
	if v != "ok" {
		t.Fatalf("read back %q, want %q", v, "ok")
	}
}

func TestEnginesGiveFreshWritableDatabases(t *testing.T) {
	for _, tc := range []struct {
		name    string
		open    func(testing.TB) *testdb.Database
		version string
		want    string
	}{
		{"postgres", testdb.Postgres, "SELECT version()", "PostgreSQL"},
		{"mariadb", testdb.MariaDB, "SELECT version()", "MariaDB"},
		{"sqlite", testdb.SQLite, "SELECT 'SQLite ' || sqlite_version()", "SQLite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.open(t), tc.open(t)
			if a.Name == b.Name && a.Path == b.Path {
				t.Fatalf("two calls returned the same database %q", a.Name)
			}
			dbA := a.Open(t)
			var version string
			if err := dbA.QueryRow(tc.version).Scan(&version); err != nil {
				t.Fatalf("reading the server version: %v", err)
			}
			if !strings.Contains(version, tc.want) {
				t.Fatalf("server version %q does not mention %q", version, tc.want)
			}
			roundTrip(t, dbA)
			// The second database is separate: the table made in the first is not there.
			roundTrip(t, b.Open(t))
		})
	}
}

func TestPrivateServerStopsAndStartsOnTheSamePort(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *testdb.Server
	}{
		{"postgres", testdb.StartPostgres},
		{"mariadb", testdb.StartMariaDB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.start(t)
			d := srv.NewDatabase(t)
			db := d.Open(t)
			roundTrip(t, db)
			port := srv.Port()

			srv.Stop(t)
			if err := db.PingContext(context.Background()); err == nil {
				t.Fatal("ping succeeded against a stopped server")
			}
			srv.Start(t)
			if srv.Port() != port {
				t.Fatalf("port changed across restart: %d -> %d", port, srv.Port())
			}
			var v string
			if err := db.QueryRow("SELECT v FROM probe WHERE id = 1").Scan(&v); err != nil || v != "ok" {
				t.Fatalf("data after restart: %q, %v", v, err)
			}
			if _, err := os.Stat(srv.Dir()); err != nil {
				t.Fatalf("server directory: %v", err)
			}
		})
	}
}

// The processor time a server reports grows with the work it is given, including the work
// of PostgreSQL's per-connection backends.
func TestServerCPUTimeCountsItsWork(t *testing.T) {
	for _, c := range []struct {
		name  string
		open  func(testing.TB) *testdb.Database
		query string
	}{
		{"postgres", testdb.Postgres, "SELECT count(*) FROM generate_series(1, 5000000) g WHERE g % 7 = 3"},
		{"mariadb", testdb.MariaDB, "SELECT BENCHMARK(3000000, SHA2('x', 256))"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := c.open(t)
			db := d.Open(t)
			before, err := d.Server().CPUTime()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := db.Exec(c.query); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			after, err := d.Server().CPUTime()
			if err != nil {
				t.Fatal(err)
			}
			// The query ran on one core, the server's background threads on others: its
			// processor time is some, and at most all the machine's cores for that time.
			if used := after - before; used < 10*time.Millisecond || used > time.Duration(runtime.NumCPU())*took+time.Second {
				t.Errorf("the server used %v of processor time for a query that took %v", used, took)
			}
		})
	}
	own, err := testdb.ProcessCPUTime()
	if err != nil || own <= 0 {
		t.Errorf("ProcessCPUTime = %v, %v", own, err)
	}
}
