package crm

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// engineCase is one engine the real-database tests run on.
type engineCase struct {
	name   string
	engine Engine
	open   func(testing.TB) *testdb.Database
}

var engineCases = []engineCase{
	{"postgres", EnginePostgres, testdb.Postgres},
	{"mariadb", EngineMySQL, testdb.MariaDB},
	{"sqlite", EngineSQLite, testdb.SQLite},
}

// forEachEngine runs f as a subtest on a fresh database of each engine: crm is the
// Database under test (opened through ConnConfig, as the operator does), admin an
// independent connection to assert the database state with.
func forEachEngine(t *testing.T, f func(t *testing.T, ec engineCase, crm *Database, admin *sql.DB)) {
	t.Helper()
	for _, ec := range engineCases {
		t.Run(ec.name, func(t *testing.T) {
			tdb := ec.open(t)
			admin := tdb.Open(t) // also creates the SQLite file
			f(t, ec, openCRM(t, tdb), admin)
		})
	}
}

// connConfig returns the operator's settings for a test database.
func connConfig(tdb *testdb.Database) ConnConfig {
	if tdb.Engine == testdb.EngineSQLite {
		return ConnConfig{Engine: EngineSQLite, Database: tdb.Path}
	}
	return ConnConfig{
		Engine: Engine(tdb.Engine), Host: tdb.Host, Port: tdb.Port, User: tdb.User,
		Password: tdb.Password, Database: tdb.Name, TLSMode: TLSDisable,
	}
}

// openCRM opens a Database for tdb, closed when the test ends.
func openCRM(t *testing.T, tdb *testdb.Database) *Database {
	t.Helper()
	db, err := Open(connConfig(tdb))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetOperatorKeys(testOperatorKeys)
	if err := db.Ping(testContext(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	return db
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var sqlComment = regexp.MustCompile(`--[^\n]*`)

// splitSQL splits a DDL file into statements (the sample files put no ";" in strings or
// comments).
func splitSQL(text string) []string {
	var out []string
	for _, s := range strings.Split(sqlComment.ReplaceAllString(text, ""), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// loadSample runs one of config/samples/crm/*.sql.
func loadSample(t *testing.T, db *sql.DB, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "crm", name))
	if err != nil {
		t.Fatalf("reading sample schema: %v", err)
	}
	execAll(t, db, splitSQL(string(b))...)
}

// genericSample returns the reference schema file of an engine.
func genericSample(e Engine) string { return "generic-" + string(e) + ".sql" }

func execAll(t *testing.T, db *sql.DB, statements ...string) {
	t.Helper()
	for _, s := range statements {
		if _, err := db.ExecContext(testContext(t), s); err != nil {
			t.Fatalf("executing %q: %v", s, err)
		}
	}
}

func queryInt(t *testing.T, db *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(testContext(t), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// q quotes a name for the engine in test statements.
func q(t *testing.T, e Engine, name string) string {
	t.Helper()
	d, err := DialectFor(e)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.QuoteIdent(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testOperatorKeys are the operator keys of every Database openCRM opens.
var testOperatorKeys = mustOperatorKeys("operator-test-key-0123456789abcdef0123456789")

func mustOperatorKeys(secret string) OperatorKeys {
	k, err := NewOperatorKeys([]byte(secret))
	if err != nil {
		panic(err)
	}
	return k
}
