package testdb

import (
	"context"
	"database/sql"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

var sqlComment = regexp.MustCompile(`--[^\n]*`)

// SplitSQL splits a script into statements at semicolons, after removing "--" comments.
// It is meant for the project's sample schemas, which put no ";" in strings or comments.
func SplitSQL(text string) []string {
	var out []string
	for _, s := range strings.Split(sqlComment.ReplaceAllString(text, ""), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Exec runs statements on the database as its administrative user, failing the test on
// the first error.
func (d *Database) Exec(t testing.TB, statements ...string) {
	t.Helper()
	db, err := sql.Open(d.Driver, d.DSN)
	if err != nil {
		t.Fatalf("testdb: opening %s database %s: %v", d.Engine, d.Name, err)
	}
	defer func() { _ = db.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, s := range statements {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("testdb: executing %q on %s database %s: %v", s, d.Engine, d.Name, err)
		}
	}
}

// LoadFile runs the SQL script at path (see SplitSQL).
func (d *Database) LoadFile(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testdb: reading %s: %v", path, err)
	}
	d.Exec(t, SplitSQL(string(b))...)
}
