package crm

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// PostgresDialect speaks to PostgreSQL through pgx v5 (database/sql driver "pgx").
//
// Tables are looked up with to_regclass, which resolves an unqualified name through the
// connection's search_path exactly as the statements the operator runs will: ordinary,
// partitioned and foreign tables, views and materialized views are all found.
type PostgresDialect struct{}

func (PostgresDialect) Engine() Engine              { return EnginePostgres }
func (PostgresDialect) DriverName() string          { return "pgx" }
func (PostgresDialect) Quote(id Ident) string       { return QuoteWith(id.name, '"') }
func (PostgresDialect) Placeholder(n int) string    { return "$" + strconv.Itoa(n) }
func (PostgresDialect) IdentsCaseSensitive() bool   { return true }
func (PostgresDialect) classify(t string) TypeClass { return classifyPostgres(t) }

func (d PostgresDialect) QuoteIdent(name string) (string, error) {
	id, err := ParseIdent(name)
	if err != nil {
		return "", err
	}
	return d.Quote(id), nil
}

func (PostgresDialect) ServerVersion(ctx context.Context, q Querier) (string, error) {
	var v string
	if err := q.QueryRowContext(ctx, "SELECT pg_catalog.current_setting('server_version')").Scan(&v); err != nil {
		return "", fmt.Errorf("while reading the PostgreSQL server version: %w", err)
	}
	return "PostgreSQL " + v, nil
}

// PostgresRelKinds are the relation kinds a mapping may name: r table, p partitioned table,
// f foreign table, v view, m materialized view.
const PostgresRelKinds = "'r','p','f','v','m'"

func (PostgresDialect) Tables(ctx context.Context, q Querier) (names []string, err error) {
	rows, err := q.QueryContext(ctx, `
SELECT DISTINCT c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (pg_catalog.current_schemas(false))
  AND c.relkind IN (`+PostgresRelKinds+`)
  AND NOT c.relispartition
ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("while listing PostgreSQL tables: %w", err)
	}
	defer CloseRows(rows, &err)
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("while listing PostgreSQL tables: %w", err)
		}
		names = append(names, n)
	}
	return names, nil
}

// RegclassArg is the text to_regclass parses: the quoted identifier, so that case is kept
// and the name is never read as a schema-qualified one.
func (d PostgresDialect) RegclassArg(table string) (string, error) {
	return d.QuoteIdent(table)
}

func (d PostgresDialect) DescribeTable(ctx context.Context, q Querier, table string) (_ *Table, err error) {
	arg, err := d.RegclassArg(table)
	if err != nil {
		return nil, err
	}
	// One row per column; a relation without columns gives one row of NULLs.
	rows, err := q.QueryContext(ctx, `
SELECT c.relname,
       c.relkind::text,
       a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       pg_catalog.format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, NULL),
       (t.typtype = 'e' OR bt.typtype = 'e'),
       NOT a.attnotnull
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
WHERE c.oid = pg_catalog.to_regclass($1)
  AND c.relkind IN (`+PostgresRelKinds+`)
ORDER BY a.attnum`, arg)
	if err != nil {
		return nil, fmt.Errorf("while describing PostgreSQL table %s: %w", table, err)
	}
	defer CloseRows(rows, &err)
	var tbl *Table
	for rows.Next() {
		var (
			relname, relkind    string
			name, display, base sql.NullString
			isEnum, nullable    sql.NullBool
		)
		if err := rows.Scan(&relname, &relkind, &name, &display, &base, &isEnum, &nullable); err != nil {
			return nil, fmt.Errorf("while describing PostgreSQL table %s: %w", table, err)
		}
		if tbl == nil {
			tbl = &Table{Name: relname, View: relkind == "v" || relkind == "m"}
		}
		if !name.Valid {
			continue
		}
		class := classifyPostgres(base.String)
		if isEnum.Bool {
			class = ClassText
		}
		tbl.Columns = append(tbl.Columns, Column{Name: name.String, DataType: display.String, Class: class, Nullable: nullable.Bool})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("while describing PostgreSQL table %s: %w", table, err)
	}
	if tbl == nil {
		return nil, tableNotFound(d, table)
	}
	return tbl, nil
}

func (d PostgresDialect) UniqueKeys(ctx context.Context, q Querier, table string) (_ [][]string, err error) {
	arg, err := d.RegclassArg(table)
	if err != nil {
		return nil, err
	}
	// Key columns only (not INCLUDE columns), of valid unique indexes that cover every row
	// (no WHERE predicate) and index plain columns (no expression).
	rows, err := q.QueryContext(ctx, `
SELECT i.indexrelid::pg_catalog.int8::text, a.attname
FROM pg_catalog.pg_index i
CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
WHERE i.indrelid = pg_catalog.to_regclass($1)
  AND i.indisunique AND i.indisvalid
  AND i.indpred IS NULL AND i.indexprs IS NULL
  AND k.ord <= i.indnkeyatts
ORDER BY i.indexrelid, k.ord`, arg)
	if err != nil {
		return nil, fmt.Errorf("while reading the unique keys of PostgreSQL table %s: %w", table, err)
	}
	defer CloseRows(rows, &err)
	keys := newKeyCollector()
	for rows.Next() {
		var index string
		var column sql.NullString
		if err := rows.Scan(&index, &column); err != nil {
			return nil, fmt.Errorf("while reading the unique keys of PostgreSQL table %s: %w", table, err)
		}
		keys.add(index, column)
	}
	return keys.keys(), nil
}
