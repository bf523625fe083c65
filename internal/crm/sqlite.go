package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// sqliteDialect speaks to SQLite through modernc.org/sqlite (driver "sqlite"), pure Go.
//
// The catalog is read from sqlite_master and the table-valued pragma functions
// (pragma_table_xinfo, pragma_index_list, pragma_index_info) of the main database. Names are
// case-insensitive. Column types are declared names only; see classifySQLite.
type sqliteDialect struct{}

func (sqliteDialect) Engine() Engine              { return EngineSQLite }
func (sqliteDialect) DriverName() string          { return "sqlite" }
func (sqliteDialect) Quote(id Ident) string       { return QuoteWith(id.name, '"') }
func (sqliteDialect) Placeholder(int) string      { return "?" }
func (sqliteDialect) IdentsCaseSensitive() bool   { return false }
func (sqliteDialect) classify(t string) TypeClass { return classifySQLite(t) }

func (d sqliteDialect) QuoteIdent(name string) (string, error) {
	id, err := ParseIdent(name)
	if err != nil {
		return "", err
	}
	return d.Quote(id), nil
}

func (sqliteDialect) ServerVersion(ctx context.Context, q Querier) (string, error) {
	var v string
	if err := q.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v); err != nil {
		return "", fmt.Errorf("while reading the SQLite version: %w", err)
	}
	return "SQLite " + v, nil
}

func (sqliteDialect) Tables(ctx context.Context, q Querier) (names []string, err error) {
	rows, err := q.QueryContext(ctx, `
SELECT name FROM sqlite_master
WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("while listing SQLite tables: %w", err)
	}
	defer CloseRows(rows, &err)
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("while listing SQLite tables: %w", err)
		}
		names = append(names, n)
	}
	return names, nil
}

func (d sqliteDialect) DescribeTable(ctx context.Context, q Querier, table string) (_ *Table, err error) {
	if _, err := ParseIdent(table); err != nil {
		return nil, err
	}
	tbl := &Table{}
	var kind string
	err = q.QueryRowContext(ctx,
		`SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE`,
		table).Scan(&tbl.Name, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tableNotFound(d, table)
	}
	if err != nil {
		return nil, fmt.Errorf("while describing SQLite table %s: %w", table, err)
	}
	tbl.View = kind == "view"
	// hidden: 0 ordinary, 1 hidden column of a virtual table, 2 and 3 generated columns.
	rows, err := q.QueryContext(ctx,
		`SELECT name, type, "notnull", pk FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid`, tbl.Name)
	if err != nil {
		return nil, fmt.Errorf("while describing SQLite table %s: %w", table, err)
	}
	defer CloseRows(rows, &err)
	for rows.Next() {
		var (
			name, declared string
			notNull, pk    int
		)
		if err := rows.Scan(&name, &declared, &notNull, &pk); err != nil {
			return nil, fmt.Errorf("while describing SQLite table %s: %w", table, err)
		}
		tbl.Columns = append(tbl.Columns, Column{
			Name:     name,
			DataType: declared,
			Class:    classifySQLite(declared),
			// An INTEGER PRIMARY KEY is the rowid and can never be NULL.
			Nullable: notNull == 0 && (pk == 0 || !isRowidAlias(declared)),
		})
	}
	return tbl, nil
}

// isRowidAlias reports whether a primary key column's declared type makes it the rowid.
func isRowidAlias(declared string) bool {
	return strings.EqualFold(strings.TrimSpace(declared), "INTEGER")
}

func (d sqliteDialect) UniqueKeys(ctx context.Context, q Querier, table string) ([][]string, error) {
	tbl, err := d.DescribeTable(ctx, q, table)
	if err != nil {
		return nil, err
	}
	pk, err := d.primaryKey(ctx, q, tbl.Name)
	if err != nil {
		return nil, err
	}
	keys, err := d.uniqueIndexes(ctx, q, tbl.Name)
	if err != nil {
		return nil, err
	}
	if len(pk) > 0 {
		keys = append([][]string{pk}, keys...)
	}
	return keys, nil
}

// primaryKey returns the primary key columns in key order (none for a view or a table
// keyed by its implicit rowid only).
func (sqliteDialect) primaryKey(ctx context.Context, q Querier, table string) (cols []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, table)
	if err != nil {
		return nil, fmt.Errorf("while reading the primary key of SQLite table %s: %w", table, err)
	}
	defer CloseRows(rows, &err)
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("while reading the primary key of SQLite table %s: %w", table, err)
		}
		cols = append(cols, n)
	}
	return cols, nil
}

// uniqueIndexes returns the columns of the table's unique, non-partial indexes; an index
// on an expression has a NULL column name and is dropped.
func (sqliteDialect) uniqueIndexes(ctx context.Context, q Querier, table string) (_ [][]string, err error) {
	rows, err := q.QueryContext(ctx, `
SELECT il.name, ii.name
FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii
WHERE il."unique" = 1 AND il.partial = 0
ORDER BY il.name, ii.seqno`, table)
	if err != nil {
		return nil, fmt.Errorf("while reading the unique indexes of SQLite table %s: %w", table, err)
	}
	defer CloseRows(rows, &err)
	keys := newKeyCollector()
	for rows.Next() {
		var index string
		var column sql.NullString
		if err := rows.Scan(&index, &column); err != nil {
			return nil, fmt.Errorf("while reading the unique indexes of SQLite table %s: %w", table, err)
		}
		keys.add(index, column)
	}
	return keys.keys(), nil
}
