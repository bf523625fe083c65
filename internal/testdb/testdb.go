package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	// The three drivers the project uses, registered as "pgx", "mysql" and "sqlite".
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// Engine names, as in the CRMDatabase API.
const (
	EnginePostgres = "postgres"
	EngineMySQL    = "mysql"
	EngineSQLite   = "sqlite"
)

// Database is one fresh database handed to one test.
type Database struct {
	// Engine is "postgres", "mysql" or "sqlite".
	Engine string
	// Host and Port of the server (empty for SQLite).
	Host string
	Port int
	// User and Password of an administrative account (superuser on PostgreSQL, a user with
	// every privilege and GRANT OPTION on MariaDB); empty for SQLite.
	User     string
	Password string
	// Name of the database (schema on MariaDB).
	Name string
	// Path of the SQLite file.
	Path string
	// DSN is the data source name for the engine's Go driver.
	DSN string
	// Driver is the database/sql driver name: "pgx", "mysql" or "sqlite".
	Driver string

	server *Server
}

// Open returns a *sql.DB for the database, closed when the test ends.
func (d *Database) Open(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open(d.Driver, d.DSN)
	if err != nil {
		t.Fatalf("testdb: opening %s database %s: %v", d.Engine, d.Name, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("testdb: connecting to %s database %s: %v", d.Engine, d.Name, err)
	}
	return db
}

// Server returns the server the database lives on (nil for SQLite).
func (d *Database) Server() *Server { return d.server }

var (
	sharedMu      sync.Mutex
	sharedServers = map[string]*sharedServer{}
	startedMu     sync.Mutex
	started       []*Server
)

type sharedServer struct {
	once sync.Once
	srv  *Server
	err  error
}

// Runner is what Main runs: *testing.M, or a wrapper that adds its own teardown.
type Runner interface{ Run() int }

// Main runs the tests of a package and then stops every server this package started.
// Call it from TestMain; it does not return.
func Main(m Runner) {
	code := m.Run()
	stopAll()
	os.Exit(code)
}

func stopAll() {
	startedMu.Lock()
	defer startedMu.Unlock()
	for _, s := range started {
		s.destroy()
	}
	started = nil
}

func register(s *Server) {
	startedMu.Lock()
	defer startedMu.Unlock()
	started = append(started, s)
}

func shared(t testing.TB, engine string) *Server {
	t.Helper()
	sharedMu.Lock()
	s, ok := sharedServers[engine]
	if !ok {
		s = &sharedServer{}
		sharedServers[engine] = s
	}
	sharedMu.Unlock()
	s.once.Do(func() { s.srv, s.err = startServer(engine) })
	if s.err != nil {
		t.Fatalf("testdb: %v", s.err)
	}
	return s.srv
}

// Postgres returns a fresh, empty database on a throwaway PostgreSQL server shared by the
// tests of this binary. The database is dropped when the test ends.
func Postgres(t testing.TB) *Database {
	t.Helper()
	return shared(t, EnginePostgres).NewDatabase(t)
}

// MariaDB returns a fresh, empty database on a throwaway MariaDB server shared by the tests
// of this binary. The database is dropped when the test ends.
func MariaDB(t testing.TB) *Database {
	t.Helper()
	return shared(t, EngineMySQL).NewDatabase(t)
}

// SQLite returns a fresh SQLite database file in the test's temporary directory, with
// foreign keys enforced and WAL journaling.
func SQLite(t testing.TB) *Database {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crm.db")
	return &Database{
		Engine: EngineSQLite,
		Driver: "sqlite",
		Name:   "main",
		Path:   path,
		DSN:    SQLiteDSN(path),
	}
}

// SQLiteDSN is the DSN the tests use for a SQLite file.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
}

// StartPostgres starts a PostgreSQL server for this test alone, so that the test may stop
// and start it. It is removed when the test ends.
func StartPostgres(t testing.TB) *Server {
	t.Helper()
	return startPrivate(t, EnginePostgres)
}

// StartMariaDB starts a MariaDB server for this test alone, so that the test may stop and
// start it. It is removed when the test ends.
func StartMariaDB(t testing.TB) *Server {
	t.Helper()
	return startPrivate(t, EngineMySQL)
}

func startPrivate(t testing.TB, engine string) *Server {
	t.Helper()
	s, err := startServer(engine)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(s.destroy)
	return s
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}
