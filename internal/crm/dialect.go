package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Querier is what the catalog and ledger functions need from a connection: *sql.DB,
// *sql.Tx and *sql.Conn all satisfy it.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ErrTableNotFound is wrapped by the errors returned for a table or view that does not
// exist where the connection looks for it.
var ErrTableNotFound = errors.New("table not found")

// Dialect is what differs between the SQL engines: identifier quoting, parameter
// placeholders, the version query, catalog introspection and the ledger DDL.
//
// Every method that takes a table or column name validates it with ParseIdent first and
// returns an *InvalidIdentError for a name that does not match IdentPattern.
type Dialect interface {
	// Engine is the engine this dialect speaks to.
	Engine() Engine
	// DriverName is the database/sql driver name: "pgx", "mysql" or "sqlite".
	DriverName() string
	// Quote returns the identifier quoted for this engine: "name" or `name`.
	Quote(id Ident) string
	// QuoteIdent validates name and returns it quoted.
	QuoteIdent(name string) (string, error)
	// Placeholder returns the bind parameter marker for the n-th (1-based) argument.
	Placeholder(n int) string
	// IdentsCaseSensitive reports whether column names are matched case-sensitively once
	// quoted (PostgreSQL: yes; MySQL and SQLite: no).
	IdentsCaseSensitive() bool

	// ServerVersion returns the server's version string.
	ServerVersion(ctx context.Context, q Querier) (string, error)
	// Tables lists the tables and views the connection sees without a schema prefix.
	Tables(ctx context.Context, q Querier) ([]string, error)
	// DescribeTable returns a table's or view's columns in order, with their types
	// classified; the error wraps ErrTableNotFound when it does not exist.
	DescribeTable(ctx context.Context, q Querier, table string) (*Table, error)
	// UniqueKeys returns the column sets the database guarantees unique in a table: the
	// primary key and every unique constraint or index without a predicate or expression.
	UniqueKeys(ctx context.Context, q Querier, table string) ([][]string, error)

	// classify maps a declared column type to its TypeClass.
	classify(declared string) TypeClass
}

// DialectFor returns the dialect of an engine.
func DialectFor(e Engine) (Dialect, error) {
	switch e {
	case EnginePostgres:
		return PostgresDialect{}, nil
	case EngineMySQL:
		return MySQLDialect{}, nil
	case EngineSQLite:
		return sqliteDialect{}, nil
	}
	_, err := ParseEngine(string(e))
	return nil, err
}

// Table is a table or view as the catalog describes it.
type Table struct {
	// Name is the name the catalog holds (its case may differ from the one asked for on
	// engines with case-insensitive names).
	Name string
	// View is true for a view (or materialized view).
	View bool
	// Columns in declaration order.
	Columns []Column
}

// Column is one column of a table or view.
type Column struct {
	// Name of the column as the catalog holds it.
	Name string
	// DataType is the declared type as the catalog renders it, e.g. "character varying(255)",
	// "tinyint(1)", "DATETIME".
	DataType string
	// Class is the family of the type, used to check a column fits its role.
	Class TypeClass
	// Nullable is false when the column is declared NOT NULL.
	Nullable bool
}

// Column returns the named column; on engines with case-insensitive names the match
// ignores case.
func (t *Table) Column(d Dialect, name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	if d.IdentsCaseSensitive() {
		return Column{}, false
	}
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Column{}, false
}

// ColumnNames returns the names of the table's columns.
func (t *Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// IsUnique reports whether the database guarantees that the columns, taken together, hold
// no duplicate: some primary key or unique index covers a subset of them.
func IsUnique(ctx context.Context, d Dialect, q Querier, table string, columns []string) (bool, error) {
	keys, err := d.UniqueKeys(ctx, q, table)
	if err != nil {
		return false, err
	}
	return coveredByUniqueKey(d, keys, columns), nil
}

// coveredByUniqueKey reports whether one of keys is a non-empty subset of columns.
func coveredByUniqueKey(d Dialect, keys [][]string, columns []string) bool {
	want := make(map[string]bool, len(columns))
	for _, c := range columns {
		want[normalName(d, c)] = true
	}
	for _, key := range keys {
		if len(key) == 0 {
			continue
		}
		covered := true
		for _, c := range key {
			if !want[normalName(d, c)] {
				covered = false
				break
			}
		}
		if covered {
			return true
		}
	}
	return false
}

// normalName folds a name to the form in which the engine compares it.
func normalName(d Dialect, name string) string {
	if d.IdentsCaseSensitive() {
		return name
	}
	return strings.ToLower(name)
}

// keyCollector turns (index, column) rows, ordered by index, into column sets; an index with
// any unusable column (an expression) is dropped.
type keyCollector struct {
	order   []string
	columns map[string][]string
	broken  map[string]bool
}

func newKeyCollector() *keyCollector {
	return &keyCollector{columns: map[string][]string{}, broken: map[string]bool{}}
}

func (k *keyCollector) add(index string, column sql.NullString) {
	if _, seen := k.columns[index]; !seen {
		k.order = append(k.order, index)
		k.columns[index] = nil
	}
	if !column.Valid || column.String == "" {
		k.broken[index] = true
		return
	}
	k.columns[index] = append(k.columns[index], column.String)
}

func (k *keyCollector) keys() [][]string {
	var out [][]string
	for _, idx := range k.order {
		if !k.broken[idx] && len(k.columns[idx]) > 0 {
			out = append(out, k.columns[idx])
		}
	}
	return out
}

// QuoteAll validates and quotes several names, returning the first error.
func QuoteAll(d Dialect, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		q, err := d.QuoteIdent(n)
		if err != nil {
			return nil, err
		}
		out[i] = q
	}
	return out, nil
}

// CloseRows closes rows and joins its error (and the iteration error) into err.
func CloseRows(rows *sql.Rows, err *error) {
	if cerr := rows.Err(); cerr != nil && *err == nil {
		*err = cerr
	}
	if cerr := rows.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

// tableNotFound returns the error for a missing table.
func tableNotFound(d Dialect, table string) error {
	return fmt.Errorf("%s table %s: %w", d.Engine(), table, ErrTableNotFound)
}
