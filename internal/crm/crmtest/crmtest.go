package crmtest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/crmtest/agreement"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/mapping"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

// EngineCase is one engine the real-database tests run on.
type EngineCase struct {
	Name   string
	Engine crm.Engine
	Open   func(testing.TB) *testdb.Database
}

// EngineCases are PostgreSQL, MariaDB and SQLite.
var EngineCases = []EngineCase{
	{"postgres", crm.EnginePostgres, testdb.Postgres},
	{"mariadb", crm.EngineMySQL, testdb.MariaDB},
	{"sqlite", crm.EngineSQLite, testdb.SQLite},
}

// ForEachEngine runs f as a subtest on a fresh database of each engine: db is the
// Database under test (opened through ConnConfig, as the operator does), admin an
// independent connection to assert the database state with.
func ForEachEngine(t *testing.T, f func(t *testing.T, ec EngineCase, db *crm.Database, admin *sql.DB)) {
	t.Helper()
	for _, ec := range EngineCases {
		t.Run(ec.Name, func(t *testing.T) {
			tdb := ec.Open(t)
			admin := tdb.Open(t) // also creates the SQLite file
			f(t, ec, OpenCRM(t, tdb), admin)
		})
	}
}

// ConnConfig returns the operator's settings for a test database.
func ConnConfig(tdb *testdb.Database) crm.ConnConfig {
	if tdb.Engine == testdb.EngineSQLite {
		return crm.ConnConfig{Engine: crm.EngineSQLite, Database: tdb.Path}
	}
	return crm.ConnConfig{
		Engine: crm.Engine(tdb.Engine), Host: tdb.Host, Port: tdb.Port, User: tdb.User,
		Password: tdb.Password, Database: tdb.Name, TLSMode: crm.TLSDisable,
	}
}

// TestOperatorKeys are the operator keys of every Database OpenCRM opens.
var TestOperatorKeys = MustOperatorKeys("operator-test-key-0123456789abcdef0123456789")

// MustOperatorKeys derives operator keys from secret, panicking on a short one.
func MustOperatorKeys(secret string) crm.OperatorKeys {
	k, err := crm.NewOperatorKeys([]byte(secret))
	if err != nil {
		panic(err)
	}
	return k
}

// openedFrom maps each Database opened by OpenCRM to its test database.
var openedFrom sync.Map

// OpenCRM opens a Database for tdb with TestOperatorKeys and pings it; it is closed when
// the test ends.
func OpenCRM(t *testing.T, tdb *testdb.Database) *crm.Database {
	t.Helper()
	db, err := crm.Open(ConnConfig(tdb))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetOperatorKeys(TestOperatorKeys)
	openedFrom.Store(db, tdb)
	if err := db.Ping(TestContext(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	return db
}

// Source returns the test database OpenCRM opened db on (for a second pool).
func Source(t *testing.T, db *crm.Database) *testdb.Database {
	t.Helper()
	src, ok := openedFrom.Load(db)
	if !ok {
		t.Fatal("unknown test database")
	}
	return src.(*testdb.Database)
}

// TestContext is a context with a minute's timeout, cancelled when the test ends.
func TestContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var sqlComment = regexp.MustCompile(`--[^\n]*`)

// SplitSQL splits a DDL file into statements (the sample files put no ";" in strings or
// comments).
func SplitSQL(text string) []string {
	var out []string
	for _, s := range strings.Split(sqlComment.ReplaceAllString(text, ""), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SamplesDir is config/samples/crm of the repository.
func SamplesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "config", "samples", "crm")
}

// LoadSample runs one of config/samples/crm/*.sql.
func LoadSample(t *testing.T, db *sql.DB, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(SamplesDir(), name))
	if err != nil {
		t.Fatalf("reading sample schema: %v", err)
	}
	ExecAll(t, db, SplitSQL(string(b))...)
}

// GenericSample returns the reference schema file of an engine.
func GenericSample(e crm.Engine) string { return "generic-" + string(e) + ".sql" }

// ExecAll runs statements on db, failing the test at the first error.
func ExecAll(t *testing.T, db *sql.DB, statements ...string) {
	t.Helper()
	for _, s := range statements {
		if _, err := db.ExecContext(TestContext(t), s); err != nil {
			t.Fatalf("executing %q: %v", s, err)
		}
	}
}

// QueryInt runs a query that returns one integer.
func QueryInt(t *testing.T, db *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(TestContext(t), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Q quotes a name for the engine in test statements.
func Q(t *testing.T, e crm.Engine, name string) string {
	t.Helper()
	d, err := crm.DialectFor(e)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.QuoteIdent(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// GenericMapping is the mapping of the generic preset (the schema of GenericSample).
func GenericMapping() mapping.Mapping {
	m, ok := mapping.Preset(mapping.PresetGeneric)
	if !ok {
		panic("no generic preset")
	}
	return m
}

// AgreementEngines runs f as a subtest on each engine, on a fresh database holding the
// selector agreement dataset (package agreement): db is the operator's Database, admin an
// administrator's connection.
func AgreementEngines(t *testing.T, f func(t *testing.T, e crm.Engine, db *crm.Database, admin *sql.DB)) {
	t.Helper()
	for _, ec := range EngineCases {
		t.Run(ec.Name, func(t *testing.T) {
			tdb := ec.Open(t)
			admin := tdb.Open(t)
			agreement.Load(t, string(ec.Engine), admin)
			f(t, ec.Engine, OpenCRM(t, tdb), admin)
		})
	}
}
