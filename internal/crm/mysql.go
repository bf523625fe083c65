package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MySQLDialect speaks to MySQL and MariaDB through go-sql-driver/mysql (driver "mysql").
//
// The catalog is read from information_schema for the connection's current database
// (DATABASE()): a DSN without a database name is an error. Column names are
// case-insensitive; table names follow the server's lower_case_table_names.
type MySQLDialect struct{}

func (MySQLDialect) Engine() Engine              { return EngineMySQL }
func (MySQLDialect) DriverName() string          { return "mysql" }
func (MySQLDialect) Quote(id Ident) string       { return QuoteWith(id.name, '`') }
func (MySQLDialect) Placeholder(int) string      { return "?" }
func (MySQLDialect) IdentsCaseSensitive() bool   { return false }
func (MySQLDialect) classify(t string) TypeClass { return classifyMySQL(t) }

func (d MySQLDialect) QuoteIdent(name string) (string, error) {
	id, err := ParseIdent(name)
	if err != nil {
		return "", err
	}
	return d.Quote(id), nil
}

// errNoDatabase is returned when the connection has no current database.
var errNoDatabase = errors.New("the connection has no current database: put the database name in the DSN or the database setting")

func (MySQLDialect) ServerVersion(ctx context.Context, q Querier) (string, error) {
	var v string
	if err := q.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return "", fmt.Errorf("while reading the MySQL server version: %w", err)
	}
	return v, nil
}

// currentDatabase returns DATABASE(), or errNoDatabase.
func (MySQLDialect) currentDatabase(ctx context.Context, q Querier) (string, error) {
	var name sql.NullString
	if err := q.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		return "", fmt.Errorf("while reading the current MySQL database: %w", err)
	}
	if !name.Valid {
		return "", errNoDatabase
	}
	return name.String, nil
}

func (d MySQLDialect) Tables(ctx context.Context, q Querier) (names []string, err error) {
	if _, err := d.currentDatabase(ctx, q); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `
SELECT TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')
ORDER BY TABLE_NAME`)
	if err != nil {
		return nil, fmt.Errorf("while listing MySQL tables: %w", err)
	}
	defer CloseRows(rows, &err)
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("while listing MySQL tables: %w", err)
		}
		names = append(names, n)
	}
	return names, nil
}

func (d MySQLDialect) DescribeTable(ctx context.Context, q Querier, table string) (*Table, error) {
	if _, err := ParseIdent(table); err != nil {
		return nil, err
	}
	tbl, err := d.describe(ctx, q, table)
	if err != nil {
		return nil, err
	}
	if tbl == nil {
		if _, err := d.currentDatabase(ctx, q); err != nil {
			return nil, err
		}
		return nil, tableNotFound(d, table)
	}
	if tbl.Name != table {
		// information_schema may match names case-insensitively; the statements will only
		// find the table under another case if the server folds table names.
		folds, err := d.foldsTableNames(ctx, q)
		if err != nil {
			return nil, err
		}
		if !folds {
			return nil, tableNotFound(d, table)
		}
	}
	return tbl, nil
}

// describe reads the table, then its columns, in two statements: MariaDB answers a join
// of information_schema.TABLES and COLUMNS by reading the columns of every table of the
// server (tens of milliseconds or more), and a query of COLUMNS by constant schema and
// table name from that table alone.
func (d MySQLDialect) describe(ctx context.Context, q Querier, table string) (_ *Table, err error) {
	var tableName, tableType string
	err = q.QueryRowContext(ctx, `
SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
  AND TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')`, table).Scan(&tableName, &tableType)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("while describing MySQL table %s: %w", table, err)
	}
	tbl := &Table{Name: tableName, View: tableType == "VIEW"}
	rows, err := q.QueryContext(ctx, `
SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
ORDER BY ORDINAL_POSITION`, tableName)
	if err != nil {
		return nil, fmt.Errorf("while describing MySQL table %s: %w", table, err)
	}
	defer CloseRows(rows, &err)
	for rows.Next() {
		var name, columnType, nullable string
		if err := rows.Scan(&name, &columnType, &nullable); err != nil {
			return nil, fmt.Errorf("while describing MySQL table %s: %w", table, err)
		}
		tbl.Columns = append(tbl.Columns, Column{
			Name:     name,
			DataType: columnType,
			Class:    classifyMySQL(columnType),
			Nullable: nullable == "YES",
		})
	}
	return tbl, nil
}

// foldsTableNames reports whether the server compares table names case-insensitively
// (lower_case_table_names 1 or 2).
func (MySQLDialect) foldsTableNames(ctx context.Context, q Querier) (bool, error) {
	var mode int
	if err := q.QueryRowContext(ctx, "SELECT @@lower_case_table_names").Scan(&mode); err != nil {
		return false, fmt.Errorf("while reading lower_case_table_names: %w", err)
	}
	return mode != 0, nil
}

func (d MySQLDialect) UniqueKeys(ctx context.Context, q Querier, table string) (_ [][]string, err error) {
	if _, err := ParseIdent(table); err != nil {
		return nil, err
	}
	// COLUMN_NAME is NULL for a functional key part (MySQL 8): such an index is dropped.
	rows, err := q.QueryContext(ctx, `
SELECT INDEX_NAME, COLUMN_NAME
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0
ORDER BY INDEX_NAME, SEQ_IN_INDEX`, table)
	if err != nil {
		return nil, fmt.Errorf("while reading the unique keys of MySQL table %s: %w", table, err)
	}
	defer CloseRows(rows, &err)
	keys := newKeyCollector()
	for rows.Next() {
		var index string
		var column sql.NullString
		if err := rows.Scan(&index, &column); err != nil {
			return nil, fmt.Errorf("while reading the unique keys of MySQL table %s: %w", table, err)
		}
		keys.add(index, column)
	}
	return keys.keys(), nil
}
